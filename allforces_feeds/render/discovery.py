"""Discovery documents: the list of every feed as JSON (/feeds.json) and as OPML 2.0 (/feeds.opml)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from ..config import Config
from ..dates import rfc3339
from ..index import Snapshot
from ..models import SCOPE_KINDS, SITE, Scope
from ..urls import Urls
from . import feed_urls
from .document import feed_title, last_modified

JSON_MIMETYPE = "application/json; charset=utf-8"
# OPML 2.0 (http://opml.org/spec2.opml) has no registered type; text/x-opml is what readers expect.
OPML_MIMETYPE = "text/x-opml; charset=utf-8"
SCOPE_TITLES = {SITE: "サイト全体", **{kind.name: f"{kind.title}別" for kind in SCOPE_KINDS.values()}}


@dataclass(frozen=True)
class Listing:
    """One feed as discovery shows it: scope, title, counts, dates and URLs."""

    scope: Scope
    title: str
    items: int
    updated: datetime
    urls: dict[str, str]
    page: str
    home: str

    @property
    def total(self) -> int:
        """How many posts the scope has in all."""
        return len(self.scope.posts)


def listings(snapshot: Snapshot, config: Config, urls: Urls) -> list[Listing]:
    """Every feed the service offers, site first, then tags, categories and authors by slug."""
    found = []
    for scope in snapshot.all_scopes():
        latest = scope.latest(config.feed_limit)
        found.append(
            Listing(
                scope=scope,
                title=feed_title(scope, config),
                items=len(latest),
                updated=last_modified(latest),
                urls=feed_urls(scope, urls),
                page=urls.page(scope.kind, scope.slug),
                home=urls.blog_page(scope.kind, scope.slug),
            )
        )
    return found


def render_feeds_json(entries: list[Listing], config: Config, urls: Urls) -> bytes:
    """/feeds.json: every feed with scope, label, slug, item count, newest date and its URLs."""
    document = {
        "title": config.site_title,
        "home_page_url": urls.home(),
        "opml_url": urls.public("/feeds.opml"),
        "feeds": [
            {
                "scope": entry.scope.kind,
                "label": entry.scope.label,
                "slug": entry.scope.slug,
                "title": entry.title,
                "items": entry.items,
                "posts": entry.total,
                "updated": rfc3339(entry.updated),
                "page_url": entry.page,
                "urls": entry.urls,
            }
            for entry in entries
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def render_opml(entries: list[Listing], config: Config) -> bytes:
    """/feeds.opml: OPML 2.0, one outline per scope kind holding one RSS outline per feed."""
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = f"{config.site_title} のフィード一覧"
    updated = max((entry.updated for entry in entries), default=None)
    if updated is not None:
        # The newest post's date, never "now": identical content gives identical bytes (OPML 2.0: RFC 822 dates).
        etree.SubElement(head, "dateModified").text = format_datetime(updated, usegmt=False)
    body = etree.SubElement(opml, "body")
    for kind, title in SCOPE_TITLES.items():
        group = [entry for entry in entries if entry.scope.kind == kind]
        if not group:
            continue
        outline = etree.SubElement(body, "outline", text=title)
        for entry in group:
            attributes = {"type": "rss", "text": entry.title, "title": entry.title}
            etree.SubElement(outline, "outline", attributes, xmlUrl=entry.urls["rss"], htmlUrl=entry.home)
    return etree.tostring(opml, encoding="UTF-8", xml_declaration=True, pretty_print=True)
