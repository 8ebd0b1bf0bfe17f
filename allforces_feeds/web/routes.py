"""Ties "which posts", "which format" and "HTTP" together: path -> prepared representation."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from functools import cached_property
from urllib.parse import unquote

from .cache import RenderCache
from .config import Config
from .http import Representation
from .index import Catalog, Snapshot
from .markup import renderer_fingerprint
from .models import SITE, Feed, Post, Problem, Rendered
from .render import FORMATS
from .render.discovery import JSON_MIMETYPE, OPML_MIMETYPE, Listing, listings, render_feeds_json, render_opml
from .render.document import Item, build_document, last_modified
from .render.html import HTML_MIMETYPE
from .render.pages import render_index, render_scope_page
from .urls import FORMAT_FILES, Urls

Builder = Callable[[Snapshot], Representation]
# How many representations one snapshot keeps; the fixed routes stay far below it.
PREPARED_LIMIT = 4096


def wsgi_path(path: str) -> str:
    """A percent-encoded path as WSGI servers put it in PATH_INFO: decoded bytes as latin-1 (PEP 3333)."""
    return unquote(path).encode("utf-8").decode("latin-1")


class Publisher:
    """Prepares every representation once per snapshot and serves it by path."""

    def __init__(self, config: Config, catalog: Catalog, problems: list[Problem]) -> None:
        self.config = config
        self.urls = Urls(config)
        self.catalog = catalog
        self.problems = problems
        self.render_cache = RenderCache(config)
        self._lock = threading.Lock()
        self._generation = -1
        self._next_release: float = float("-inf")
        self._routes: dict[str, Builder] = {}
        self._prepared: dict[object, Representation] = {}
        self.snapshot: Snapshot
        self._advance(time.time())

    # -- which posts ---------------------------------------------------------------
    def current(self) -> Snapshot:
        """The snapshot for now; a scheduled post that has come due starts a new one."""
        now = time.time()
        if now >= self._next_release:
            self._advance(now)
        return self.snapshot

    def _advance(self, now: float) -> None:
        with self._lock:
            generation = self.catalog.generation(now)
            if generation != self._generation:
                self.snapshot = self.catalog.snapshot(now)
                self._routes = self._build_routes(self.snapshot)
                self._prepared = {}
                self._generation = generation
            upcoming = self.catalog.next_release(now)
            self._next_release = float("inf") if upcoming is None else upcoming

    def rendered(self, post: Post) -> Rendered:
        """The post's HTML and summary, rendered once."""
        return self.render_cache.rendered(post)

    # -- which format ----------------------------------------------------------------
    def items(self, feed: Feed) -> list[Item]:
        """The feed's posts with their rendered HTML and summaries."""
        return [Item(post, (done := self.rendered(post)).html, done.summary) for post in feed.posts]

    def feed_body(self, feed: Feed, fmt: str) -> bytes:
        """One feed rendered in one format."""
        return FORMATS[fmt].render(build_document(feed, self.items(feed), self.config, self.urls))

    def _feed_builder(self, kind: str, slug: str, render: Callable[[Feed], bytes], mimetype: str) -> Builder:
        """A builder of one representation of a site or scope feed: a feed file or a scope page."""

        def build(snapshot: Snapshot) -> Representation:
            feed = snapshot.feed(kind, slug, self.config.feed_limit, self.config.site_title)
            assert feed is not None  # the routes come from this same snapshot
            return self.representation(render(feed), mimetype, feed.posts)

        return build

    def _discovery_builder(self, render: Callable[[list[Listing]], bytes], mimetype: str) -> Builder:
        def build(snapshot: Snapshot) -> Representation:
            entries = listings(snapshot, self.config, self.urls)
            return self.representation(render(entries), mimetype, snapshot.posts)

        return build

    def _build_routes(self, snapshot: Snapshot) -> dict[str, Builder]:
        config, urls = self.config, self.urls
        routes: dict[str, Builder] = {
            "/": self._discovery_builder(lambda e: render_index(e, config, urls), HTML_MIMETYPE),
            "/feeds.json": self._discovery_builder(lambda e: render_feeds_json(e, config, urls), JSON_MIMETYPE),
            "/feeds.opml": self._discovery_builder(lambda e: render_opml(e, config), OPML_MIMETYPE),
        }
        for feed in snapshot.feeds(config.feed_limit, config.site_title):
            kind, slug = feed.kind, feed.slug
            for fmt in FORMAT_FILES:
                routes[wsgi_path(urls.feed_path(kind, slug, fmt))] = self._feed_builder(
                    kind, slug, lambda f, fmt=fmt: self.feed_body(f, fmt), FORMATS[fmt].mimetype
                )
            if kind != SITE:
                routes[wsgi_path(urls.scope_path(kind, slug))] = self._feed_builder(
                    kind, slug, lambda f: render_scope_page(f, self.items(f), config, urls), HTML_MIMETYPE
                )
        return routes

    # -- HTTP ---------------------------------------------------------------------------
    def representation(
        self, body: bytes, mimetype: str, posts: tuple[Post, ...], extra_headers: tuple[tuple[str, str], ...] = ()
    ) -> Representation:
        """A representation whose Last-Modified is the newest of the posts it shows."""
        return Representation(body, mimetype, last_modified(posts), self.config.feed_max_age, extra_headers)

    def prepared(self, key: object, build: Builder) -> Representation:
        """The representation cached under key for the current snapshot, built on first use."""
        snapshot = self.current()
        prepared = self._prepared
        found = prepared.get(key)
        if found is None:
            found = prepared[key] = build(snapshot)
            # Embed queries (limit x tag x category x author) are many: bound them, oldest out first.
            while len(prepared) > PREPARED_LIMIT:
                del prepared[next(iter(prepared))]
        return found

    def lookup(self, path_info: str) -> Representation | None:
        """The prepared representation at a canonical path (as PATH_INFO), or None."""
        self.current()
        found = self._prepared.get(path_info)
        if found is None:
            build = self._routes.get(path_info)
            found = None if build is None else self.prepared(path_info, build)
        return found

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the renderer, the configuration and every loaded post's bytes: equal means equal output."""
        digest = hashlib.sha256(renderer_fingerprint().encode())
        digest.update(json.dumps(self.config.as_dict(), sort_keys=True).encode())
        for post in self.catalog.posts:
            digest.update(f"{post.source}\0{post.digest}\n".encode())
        return digest.hexdigest()[:32]
