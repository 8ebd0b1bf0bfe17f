"""What each path of a snapshot is made of: feeds, archive pages, scope pages, discovery documents, the script.

The Router (routes.py) decides when to build and keeps what was built; this layer only builds, from the
configuration, the posts' bodies and the snapshot it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from importlib.resources import files

from ..archives import Archive, ArchivePage, archive_of
from ..body.cache import BodyCache
from ..config import Config
from ..index import Snapshot
from ..models import SITE, Body, Post, Scope
from ..render import FORMATS, render_archive, render_feed
from ..render.discovery import JSON_MIMETYPE, OPML_MIMETYPE, Listing, listings, render_feeds_json, render_opml
from ..render.document import FeedFormat, Item, last_modified
from ..render.html import HTML_MIMETYPE
from ..render.pages import render_index, render_scope_page
from ..urls import Urls
from .http import CORP_HEADER, CORS_HEADERS, Clock, Representation
from .paths import wsgi_path

Builder = Callable[[Snapshot], Representation]
JS_MIMETYPE = "text/javascript; charset=utf-8"
ICON_MIMETYPE = "image/vnd.microsoft.icon"


class Documents:
    """Builds every representation the service serves from a snapshot; keeps nothing but the body cache."""

    def __init__(self, config: Config, clock: Clock) -> None:
        """The settings, the URLs built from them, the clock, and the posts' bodies."""
        self.config = config
        self.urls = Urls(config)
        self.clock = clock
        self.body_cache = BodyCache(config)

    def body(self, post: Post) -> Body:
        """The post's HTML and summary, made once."""
        return self.body_cache.body(post)

    def items(self, posts: tuple[Post, ...]) -> list[Item]:
        """The posts with their bodies: what a feed or a page shows."""
        return [Item(post, (body := self.body(post)).html, body.summary) for post in posts]

    def archive(self, scope: Scope) -> Archive:
        """How the scope's posts are paged into archive documents (RFC 5005 §4)."""
        return archive_of(scope, self.config.feed_limit, self.config.archive_size)

    def feed_body(self, scope: Scope, fmt: FeedFormat) -> bytes:
        """One scope's subscription feed in one format."""
        items = self.items(scope.latest(self.config.feed_limit))
        return render_feed(self.archive(scope), items, fmt, self.config, self.urls)

    def feed_headers(self, scope: Scope, fmt: FeedFormat) -> tuple[tuple[str, str], ...]:
        """A subscription feed's WebSub discovery headers (W3C WebSub §4), on its 200 and 304 alike."""
        if not self.config.websub_hubs:
            return ()
        own = self.urls.feed(scope.kind, scope.slug, fmt.file)
        links = [f'<{hub}>; rel="hub"' for hub in self.config.websub_hubs] + [f'<{own}>; rel="self"']
        return (("Link", ", ".join(links)),)

    # -- the routes of a snapshot -----------------------------------------------------------
    def _build_routes(self, snapshot: Snapshot) -> dict[str, Builder]:
        """Every fixed path of this snapshot (as PATH_INFO) and the builder of its representation."""
        config, urls = self.config, self.urls
        routes: dict[str, Builder] = {
            "/": self._listing(lambda e: render_index(e, self.archive(snapshot.site), config, urls), HTML_MIMETYPE),
            "/feeds.json": self._listing(lambda e: render_feeds_json(e, config, urls), JSON_MIMETYPE),
            "/feeds.opml": self._listing(lambda e: render_opml(e, config), OPML_MIMETYPE),
            "/embed.js": self._script,
        }
        icon = config.content_dir / "favicon.ico"
        if icon.is_file():
            # Readers ask for /favicon.ico on every poll: the site's own icon, as a prepared representation.
            routes["/favicon.ico"] = lambda s: self.representation(icon.read_bytes(), ICON_MIMETYPE, s.posts)
        for scope in snapshot.all_scopes():
            for fmt in FORMATS.values():
                path = urls.feed_path(scope.kind, scope.slug, fmt.file)
                headers = self.feed_headers(scope, fmt)
                routes[wsgi_path(path)] = self._scoped(scope, partial(self.feed_body, fmt=fmt), fmt.media_type, headers)
            if scope.kind != SITE:
                page = self._scoped(scope, self._scope_page, HTML_MIMETYPE)
                routes[wsgi_path(urls.scope_path(scope.kind, scope.slug))] = page
        return routes

    def _scope_page(self, scope: Scope) -> bytes:
        """A scope's HTML page: its newest posts and its archive pages."""
        items = self.items(scope.latest(self.config.feed_limit))
        return render_scope_page(scope, items, self.archive(scope), self.config, self.urls)

    def _scoped(
        self, scope: Scope, render: Callable[[Scope], bytes], mimetype: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> Builder:
        """The builder of a scope's feed file or page."""
        latest = scope.latest(self.config.feed_limit)
        return lambda snapshot: self.representation(render(scope), mimetype, latest, headers)

    def _listing(self, render: Callable[[list[Listing]], bytes], mimetype: str) -> Builder:
        """The builder of a discovery document listing every feed."""

        def build(snapshot: Snapshot) -> Representation:
            """The document over this snapshot's listings."""
            return self.representation(render(listings(snapshot, self.config, self.urls)), mimetype, snapshot.posts)

        return build

    def _script(self, snapshot: Snapshot) -> Representation:
        """/embed.js: our static script; its Last-Modified is the content's, like everything served here."""
        body = (files("allforces_feeds") / "static" / "embed.js").read_bytes()
        return self.representation(body, JS_MIMETYPE, snapshot.posts, (*CORS_HEADERS, CORP_HEADER))

    def archive_page(self, archive: Archive, page: ArchivePage, fmt: FeedFormat) -> Representation:
        """One archive page of a scope's feed in one format, dated by its newest post."""
        body = render_archive(archive, page, self.items(page.posts), fmt, self.config, self.urls)
        return self.representation(body, fmt.media_type, page.posts)

    def representation(
        self, body: bytes, mimetype: str, posts: tuple[Post, ...], extra_headers: tuple[tuple[str, str], ...] = ()
    ) -> Representation:
        """A representation whose Last-Modified is the newest of the posts it shows."""
        return Representation(body, mimetype, last_modified(posts), self.config.feed_max_age, extra_headers)
