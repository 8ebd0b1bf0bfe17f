"""Every output the service writes; here, the one table of feed formats and the entry points to render a feed."""

from __future__ import annotations

from ..archives import Archive, ArchivePage
from ..config import Config
from ..models import Scope
from ..urls import Urls
from .document import FeedFormat, History, Item, build_document
from .jsonfeed import render_json
from .rss_atom import render_xml

# The one table of feed formats (CONTRACT.md, Feeds): name -> file name, media type, label, renderer.
FORMATS: dict[str, FeedFormat] = {
    fmt.name: fmt
    for fmt in (
        FeedFormat("rss", "feed.xml", "application/rss+xml", "RSS", render_xml),
        FeedFormat("atom", "atom.xml", "application/atom+xml", "Atom", render_xml),
        FeedFormat("json", "feed.json", "application/feed+json", "JSON Feed", render_json),
    )
}


def feed_urls(scope: Scope, urls: Urls) -> dict[str, str]:
    """The scope's feed URL in every format, by format name."""
    return {fmt.name: urls.feed(scope.kind, scope.slug, fmt.file) for fmt in FORMATS.values()}


def archive_urls(scope: Scope, number: int, urls: Urls) -> dict[str, str]:
    """The URL of one archive page of the scope in every format, by format name."""
    return {
        fmt.name: urls.public(urls.archive_path(scope.kind, scope.slug, number, fmt.file)) for fmt in FORMATS.values()
    }


def subscription_history(archive: Archive, config: Config, urls: Urls) -> History:
    """The subscription feed's place in its logical feed: complete, or linking to its newest archive page."""
    current = feed_urls(archive.scope, urls)
    if archive.complete:
        return History(current["atom"], state="complete", hubs=config.websub_hubs)
    newest = ("prev-archive", archive_urls(archive.scope, archive.count, urls))
    return History(current["atom"], links=(newest,), hubs=config.websub_hubs)


def render_feed(archive: Archive, items: list[Item], fmt: FeedFormat, config: Config, urls: Urls) -> bytes:
    """One scope's subscription feed, of these items (its newest posts), in one format."""
    history = subscription_history(archive, config, urls)
    return fmt.render(build_document(archive.scope, items, feed_urls(archive.scope, urls), history, config, urls), fmt)


def render_archive(
    archive: Archive, page: ArchivePage, items: list[Item], fmt: FeedFormat, config: Config, urls: Urls
) -> bytes:
    """One archive page of a scope's feed (RFC 5005 §4), of these items (the page's posts), in one format."""
    scope = archive.scope
    links = [("current", feed_urls(scope, urls))]
    if page.number > 1:
        links.append(("prev-archive", archive_urls(scope, page.number - 1, urls)))
    if page.number < archive.count:
        links.append(("next-archive", archive_urls(scope, page.number + 1, urls)))
    history = History(feed_urls(scope, urls)["atom"], links=tuple(links), state="archive")
    return fmt.render(build_document(scope, items, archive_urls(scope, page.number, urls), history, config, urls), fmt)
