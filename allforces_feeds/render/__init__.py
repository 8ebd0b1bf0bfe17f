"""Every output the service writes; here, the one table of feed formats and the entry point to render a feed."""

from __future__ import annotations

from ..config import Config
from ..models import Scope
from ..urls import Urls
from .document import FeedFormat, Item, build_document
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


def render_feed(scope: Scope, items: list[Item], fmt: FeedFormat, config: Config, urls: Urls) -> bytes:
    """One scope's feed, of these items (its newest posts), in one format."""
    return fmt.render(build_document(scope, items, feed_urls(scope, urls), config, urls), fmt)
