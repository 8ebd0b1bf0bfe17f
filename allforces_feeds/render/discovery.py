"""Discovery documents: the list of every feed as JSON (/feeds.json) and as OPML 2.0 (/feeds.opml)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import quoteattr

from ..config import Config
from ..dates import rfc3339
from ..index import Snapshot
from ..models import SITE, Feed
from ..urls import FORMAT_FILES, Urls
from .document import SCOPE_NAMES, feed_title, last_modified

JSON_MIMETYPE = "application/json; charset=utf-8"
# OPML 2.0 (http://opml.org/spec2.opml) has no registered type; text/x-opml is what readers expect.
OPML_MIMETYPE = "text/x-opml; charset=utf-8"
SCOPE_TITLES = {SITE: "サイト全体", **{kind: f"{name}別" for kind, name in SCOPE_NAMES.items()}}


@dataclass(frozen=True)
class Listing:
    """One feed as discovery shows it: scope, label, counts, dates and URLs."""

    feed: Feed
    title: str
    updated: datetime
    urls: dict[str, str]
    page: str
    home: str


def listings(snapshot: Snapshot, config: Config, urls: Urls) -> list[Listing]:
    """Every feed the service offers, site first, then tags, categories and authors by slug."""
    return [
        Listing(
            feed=feed,
            title=feed_title(feed, config),
            updated=last_modified(feed.posts),
            urls={fmt: urls.feed(feed.kind, feed.slug, fmt) for fmt in FORMAT_FILES},
            page=urls.page(feed.kind, feed.slug),
            home=urls.blog_page(feed.kind, feed.slug),
        )
        for feed in snapshot.feeds(config.feed_limit, config.site_title)
    ]


def render_feeds_json(entries: list[Listing], config: Config, urls: Urls) -> bytes:
    """/feeds.json: every feed with scope, label, slug, item count, newest date and its URLs."""
    document = {
        "title": config.site_title,
        "home_page_url": urls.home(),
        "opml_url": urls.public("/feeds.opml"),
        "feeds": [
            {
                "scope": entry.feed.kind,
                "label": entry.feed.label,
                "slug": entry.feed.slug,
                "title": entry.title,
                "items": len(entry.feed.posts),
                "posts": entry.feed.total,
                "updated": rfc3339(entry.updated),
                "page_url": entry.page,
                "urls": entry.urls,
            }
            for entry in entries
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def render_opml(entries: list[Listing], config: Config) -> bytes:
    """/feeds.opml: OPML 2.0, one outline per scope holding one RSS outline per feed."""
    updated = max((entry.updated for entry in entries), default=None)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_text(config.site_title)} のフィード一覧</title>",
    ]
    if updated is not None:
        # The newest post's date, never "now": identical content gives identical bytes.
        lines.append(f"    <dateModified>{format_datetime(updated, usegmt=False)}</dateModified>")
    lines += ["  </head>", "  <body>"]
    for kind, title in SCOPE_TITLES.items():
        group = [entry for entry in entries if entry.feed.kind == kind]
        if not group:
            continue
        lines.append(f"    <outline text={quoteattr(title)}>")
        for entry in group:
            lines.append(
                f'      <outline type="rss" text={quoteattr(entry.title)} title={quoteattr(entry.title)}'
                f" xmlUrl={quoteattr(entry.urls['rss'])} htmlUrl={quoteattr(entry.home)}/>"
            )
        lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def _text(value: str) -> str:
    return quoteattr(value)[1:-1]
