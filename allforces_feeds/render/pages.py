"""The human pages: the index of every feed (/) and one page per scope (/tags/<slug>/ ...)."""

from __future__ import annotations

from ..config import Config
from ..models import SITE, Feed
from ..urls import FORMAT_FILES, Urls
from .discovery import SCOPE_TITLES, Listing
from .document import SCOPE_NAMES, Item, feed_title
from .html import render_page

FORMAT_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
LINK_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}


def _common(config: Config, urls: Urls, feed: Feed) -> dict[str, object]:
    return {
        "language": config.site_language,
        "site_title": config.site_title,
        "zone": config.site_timezone,
        "feed_title": feed_title(feed, config),
        "feed_links": {fmt: urls.feed(feed.kind, feed.slug, fmt) for fmt in FORMAT_FILES},
        "format_names": FORMAT_NAMES,
        "link_types": LINK_TYPES,
        "index_url": urls.public("/"),
    }


def render_index(entries: list[Listing], config: Config, urls: Urls) -> bytes:
    """/: every feed by scope with its item count and links in the three formats."""
    site = next(entry.feed for entry in entries if entry.feed.kind == SITE)
    groups = [
        {"kind": kind, "title": title, "entries": [e for e in entries if e.feed.kind == kind]}
        for kind, title in SCOPE_TITLES.items()
    ]
    return render_page(
        "pages/index.html",
        **_common(config, urls, site),
        page_title=f"{config.site_title} フィード一覧",
        description=config.site_description,
        opml_url=urls.public("/feeds.opml"),
        feeds_json_url=urls.public("/feeds.json"),
        groups=[group for group in groups if group["entries"]],
    )


def render_scope_page(feed: Feed, items: list[Item], config: Config, urls: Urls) -> bytes:
    """/tags/<slug>/ and the like: the scope's latest items and how to subscribe to its feeds."""
    return render_page(
        "pages/scope.html",
        **_common(config, urls, feed),
        page_title=f"{feed_title(feed, config)}（{SCOPE_NAMES[feed.kind]}）",
        scope_name=SCOPE_NAMES[feed.kind],
        label=feed.label,
        total=feed.total,
        posts=items,
    )
