"""The human pages: the index of every feed (/) and one page per scope (/tags/<slug>/ ...)."""

from __future__ import annotations

from ..archives import Archive
from ..config import Config
from ..models import SCOPE_KINDS, SITE, Scope
from ..urls import Urls
from . import FORMATS, archive_urls, feed_urls
from .discovery import SCOPE_TITLES, Listing
from .document import Item, feed_title
from .html import render_page


def _common(config: Config, urls: Urls, scope: Scope) -> dict[str, object]:
    """What every page's template reads: site, zone, the scope's feed links and the formats table."""
    return {
        "language": config.site_language,
        "site_title": config.site_title,
        "zone": config.site_timezone,
        "feed_title": feed_title(scope, config),
        "feed_links": feed_urls(scope, urls),
        "formats": FORMATS,
        "index_url": urls.public("/"),
    }


def _archives(archive: Archive, config: Config, urls: Urls) -> dict[str, object]:
    """What the archives section reads: the scope's archive pages, newest first, with their dates and links."""
    rows = []
    for number in range(archive.count, 0, -1):
        page = archive.page(number)
        if page is not None:
            first, last = page.posts[-1].published, page.posts[0].published
            urls_by_format = archive_urls(archive.scope, number, urls)
            rows.append(
                {"number": number, "first": first, "last": last, "count": len(page.posts), "urls": urls_by_format}
            )
    return {"archives": rows, "feed_limit": config.feed_limit, "archive_size": archive.size}


def render_index(entries: list[Listing], archive: Archive, config: Config, urls: Urls) -> bytes:
    """/: every feed by scope with its item count and links in the three formats."""
    site = next(entry.scope for entry in entries if entry.scope.kind == SITE)
    groups = [
        {"kind": kind, "title": title, "entries": [e for e in entries if e.scope.kind == kind]}
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
        **_archives(archive, config, urls),
    )


def render_scope_page(scope: Scope, items: list[Item], archive: Archive, config: Config, urls: Urls) -> bytes:
    """/tags/<slug>/ and the like: the scope's latest items and how to subscribe to its feeds."""
    name = SCOPE_KINDS[scope.kind].title
    return render_page(
        "pages/scope.html",
        **_common(config, urls, scope),
        page_title=f"{feed_title(scope, config)}（{name}）",
        scope_name=name,
        label=scope.label,
        total=len(scope.posts),
        posts=items,
        **_archives(archive, config, urls),
    )
