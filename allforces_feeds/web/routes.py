"""The only router: every path the service answers -> a representation prepared once per snapshot.

Feeds, scope pages, discovery and the widget script are fixed paths of the current snapshot; a
non-canonical spelling of a known scope is a 301 to its canonical path, an unknown scope a 404.
Embed queries are prepared here too, under a key the embed view builds from the normalized query.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cached_property, partial
from importlib.resources import files
from urllib.parse import unquote

from ..body.cache import BodyCache
from ..body.markdown import fingerprint as body_fingerprint
from ..config import Config
from ..index import Catalog, Snapshot
from ..models import SCOPE_KINDS, SITE, Body, Post, Problem, Scope
from ..render import FORMATS, render_feed
from ..render.discovery import JSON_MIMETYPE, OPML_MIMETYPE, Listing, listings, render_feeds_json, render_opml
from ..render.document import FeedFormat, Item, last_modified
from ..render.html import HTML_MIMETYPE
from ..render.pages import render_index, render_scope_page
from ..slugs import slugify
from ..urls import Urls
from .http import CORP_HEADER, CORS_HEADERS, Answer, Clock, Representation, moved, plain_text

Builder = Callable[[Snapshot], Representation]
JS_MIMETYPE = "text/javascript; charset=utf-8"
# How many embed queries (limit x tag x category x author: client input) one snapshot keeps, least recently
# used out first; the fixed routes are kept apart and never evicted.
PREPARED_LIMIT = 4096


def wsgi_path(path: str) -> str:
    """A percent-encoded path as WSGI servers put it in PATH_INFO: decoded bytes as latin-1 (PEP 3333)."""
    return unquote(path).encode("utf-8").decode("latin-1")


class Router:
    """Resolves paths to representations, each prepared once per snapshot of visible posts."""

    def __init__(self, config: Config, catalog: Catalog, problems: list[Problem], clock: Clock) -> None:
        """Start with no snapshot: routes are built on the first request."""
        self.config = config
        self.urls = Urls(config)
        self.catalog = catalog
        self.problems = problems
        self.clock = clock
        self.body_cache = BodyCache(config)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._routes: dict[str, Builder] = {}
        self._prepared: dict[str, Representation] = {}
        self._queries: OrderedDict[object, Representation] = OrderedDict()

    # -- which posts ---------------------------------------------------------------
    def current(self) -> Snapshot:
        """The snapshot for now; a new one (a scheduled post came due) starts new routes."""
        snapshot = self.catalog.snapshot(self.clock())
        if snapshot is not self._snapshot:
            with self._lock:
                if snapshot is not self._snapshot:
                    self._routes = self._build_routes(snapshot)
                    self._prepared = {}
                    self._queries = OrderedDict()
                    self._snapshot = snapshot
        return snapshot

    def body(self, post: Post) -> Body:
        """The post's HTML and summary, made once."""
        return self.body_cache.body(post)

    def items(self, scope: Scope) -> list[Item]:
        """The scope's newest posts with their bodies: what its feeds and page show."""
        return [
            Item(post, (body := self.body(post)).html, body.summary) for post in scope.latest(self.config.feed_limit)
        ]

    def feed_body(self, scope: Scope, fmt: FeedFormat) -> bytes:
        """One scope's feed in one format."""
        return render_feed(scope, self.items(scope), fmt, self.config, self.urls)

    # -- the routes of a snapshot -----------------------------------------------------------
    def _build_routes(self, snapshot: Snapshot) -> dict[str, Builder]:
        """Every fixed path of this snapshot (as PATH_INFO) and the builder of its representation."""
        config, urls = self.config, self.urls
        routes: dict[str, Builder] = {
            "/": self._listing(lambda e: render_index(e, config, urls), HTML_MIMETYPE),
            "/feeds.json": self._listing(lambda e: render_feeds_json(e, config, urls), JSON_MIMETYPE),
            "/feeds.opml": self._listing(lambda e: render_opml(e, config), OPML_MIMETYPE),
            "/embed.js": self._script,
        }
        for scope in snapshot.all_scopes():
            for fmt in FORMATS.values():
                path = urls.feed_path(scope.kind, scope.slug, fmt.file)
                routes[wsgi_path(path)] = self._scoped(scope, partial(self.feed_body, fmt=fmt), fmt.media_type)
            if scope.kind != SITE:
                page = self._scoped(scope, lambda s: render_scope_page(s, self.items(s), config, urls), HTML_MIMETYPE)
                routes[wsgi_path(urls.scope_path(scope.kind, scope.slug))] = page
        return routes

    def _scoped(self, scope: Scope, render: Callable[[Scope], bytes], mimetype: str) -> Builder:
        """The builder of a scope's feed file or page."""
        return lambda snapshot: self.representation(render(scope), mimetype, scope.latest(self.config.feed_limit))

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

    # -- HTTP ---------------------------------------------------------------------------
    def representation(
        self, body: bytes, mimetype: str, posts: tuple[Post, ...], extra_headers: tuple[tuple[str, str], ...] = ()
    ) -> Representation:
        """A representation whose Last-Modified is the newest of the posts it shows."""
        return Representation(body, mimetype, last_modified(posts), self.config.feed_max_age, extra_headers)

    def resolve(self, path_info: str) -> Representation | Answer | None:
        """What answers GET at this path: a prepared representation, a 301 or 404 answer, or None (not ours)."""
        self.current()
        found = self._prepared.get(path_info)
        if found is not None:
            return found
        build = self._routes.get(path_info)
        if build is not None:
            with self._lock:
                found = self._prepared.get(path_info)
                if found is None:
                    found = self._prepared[path_info] = build(self.current())
            return found
        return self._scope_spelling(path_info)

    def _scope_spelling(self, path_info: str) -> Answer | None:
        """301 for another spelling of a known scope's path, 404 for an unknown scope, None elsewhere."""
        kind, _, rest = path_info[1:].partition("/")
        if kind not in SCOPE_KINDS or not rest and not path_info.endswith("/"):
            return None
        # PATH_INFO holds the request's bytes as latin-1 (PEP 3333); undecodable bytes cannot name a scope.
        raw = rest.encode("latin-1").decode("utf-8", errors="replace")
        fmt = next((f for f in FORMATS.values() if raw.endswith("/" + f.file)), None)
        raw = raw[: -len(fmt.file) - 1] if fmt is not None else raw.removesuffix("/")
        slug = slugify(raw)
        if not slug or self.current().scope(kind, slug) is None:
            return plain_text("404 Not Found", f"no {SCOPE_KINDS[kind].singular} {raw[:100]!r}")
        path = self.urls.feed_path(kind, slug, fmt.file) if fmt else self.urls.scope_path(kind, slug)
        return moved(self.urls.public(path))

    def prepared(self, key: object, build: Builder) -> Representation:
        """The representation of an embed query for the current snapshot, built on first use (bounded LRU)."""
        snapshot = self.current()
        with self._lock:
            found = self._queries.get(key)
            if found is not None:
                self._queries.move_to_end(key)
                return found
        found = build(snapshot)
        with self._lock:
            if snapshot is self._snapshot:
                self._queries[key] = found
                while len(self._queries) > PREPARED_LIMIT:
                    self._queries.popitem(last=False)
        return found

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the body code, the configuration and every loaded post's bytes: equal means equal output."""
        digest = hashlib.sha256(body_fingerprint().encode())
        digest.update(json.dumps(self.config.as_dict(), sort_keys=True).encode())
        for post in self.catalog.posts:
            digest.update(f"{post.source}\0{post.digest}\n".encode())
        return digest.hexdigest()[:32]
