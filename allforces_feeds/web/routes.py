"""The only router: every path the service answers -> a representation prepared once per snapshot.

Feeds, scope pages, discovery and the widget script are fixed paths of the current snapshot; a
non-canonical spelling of a known scope is a 301 to its canonical path, an unknown scope a 404.
Embed queries are prepared here too, under a key the embed view builds from the normalized query.

Everything a response is made from hangs off one reference, swapped in one step on a reload (issue 11):
the loaded content (catalog, problems, fingerprint) and, per snapshot of visible posts, its routes and the
representations prepared so far. A request takes the reference once, so it is answered from one whole
snapshot even while a reload or a scheduled post switches in the next one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib.resources import files
from urllib.parse import unquote

from werkzeug.exceptions import ServiceUnavailable

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
from .served import ServedSince

Builder = Callable[[Snapshot], Representation]
JS_MIMETYPE = "text/javascript; charset=utf-8"
ICON_MIMETYPE = "image/vnd.microsoft.icon"
# How many embed queries (limit x tag x category x author: client input) one snapshot keeps, least recently
# used out first; the fixed routes are kept apart and never evicted.
PREPARED_LIMIT = 4096
# A representation that failed to build is not built again for this snapshot; a client is told to come back
# (RFC 9110 §10.2.3) after about the time a reload of fixed content takes.
RETRY_AFTER = 60
# Failures named on /healthz, at most.
FAILURES_SHOWN = 20
log = logging.getLogger(__name__)


def wsgi_path(path: str) -> str:
    """A percent-encoded path as WSGI servers put it in PATH_INFO: decoded bytes as latin-1 (PEP 3333)."""
    return unquote(path).encode("utf-8").decode("latin-1")


@dataclass(frozen=True)
class Content:
    """One load of CONTENT_DIR: every post, the problems found, when it was loaded."""

    catalog: Catalog
    problems: tuple[Problem, ...]
    loaded_at: float
    fingerprint: str


@dataclass
class Prepared:
    """One snapshot of one load: its routes and what has been prepared from them (or failed to be)."""

    content: Content
    snapshot: Snapshot
    routes: dict[str, Builder]
    paths: dict[str, Representation | Answer] = field(default_factory=dict)
    queries: OrderedDict[object, Representation] = field(default_factory=OrderedDict)


class Router:
    """Resolves paths to representations, each prepared once per snapshot of visible posts."""

    def __init__(self, config: Config, catalog: Catalog, problems: list[Problem], clock: Clock) -> None:
        """Start with no snapshot: routes are built on the first request."""
        self.config = config
        self.urls = Urls(config)
        self.clock = clock
        self.body_cache = BodyCache(config)
        self.served = ServedSince(config.cache_dir)
        self._lock = threading.Lock()
        self._content = self._make_content(catalog, problems)
        self._state: Prepared | None = None
        # What the last snapshot prepared: served again when its successor fails to build one (issue 12).
        self._last_good: dict[str, Representation] = {}
        # Paths and embed queries whose representation failed to build: path -> reason.
        self.failures: dict[str, str] = {}

    def _make_content(self, catalog: Catalog, problems: list[Problem]) -> Content:
        """The content reference of a load, with its fingerprint."""
        # Liquid's {% post_url %} and {% link %} resolve against this load's posts.
        self.body_cache.use_posts(catalog.posts)
        digest = hashlib.sha256(body_fingerprint().encode())
        digest.update(json.dumps(self.config.as_dict(), sort_keys=True).encode())
        for post in catalog.posts:
            digest.update(f"{post.source}\0{post.digest}\n".encode())
        return Content(catalog, tuple(problems), time.time(), digest.hexdigest()[:32])

    def swap(self, catalog: Catalog, problems: list[Problem]) -> None:
        """Serve a new load from the next request on: one reference is replaced, in one step."""
        content = self._make_content(catalog, problems)
        with self._lock:
            self._content = content

    @property
    def content(self) -> Content:
        """The load being served."""
        return self._content

    @property
    def catalog(self) -> Catalog:
        """Every loaded post of the load being served."""
        return self._content.catalog

    @property
    def problems(self) -> list[Problem]:
        """The content problems of the load being served."""
        return list(self._content.problems)

    @property
    def fingerprint(self) -> str:
        """A hash of the body code, the configuration and every loaded post's bytes: equal means equal output."""
        return self._content.fingerprint

    # -- which posts ---------------------------------------------------------------
    def state(self) -> Prepared:
        """The snapshot for now and what is prepared from it; a new load or a scheduled post starts new routes."""
        content = self._content
        snapshot = content.catalog.snapshot(self.clock())
        state = self._state
        if state is None or state.snapshot is not snapshot:
            with self._lock:
                state = self._state
                if state is None or state.snapshot is not snapshot:
                    if state is not None:
                        self._last_good = {p: r for p, r in state.paths.items() if isinstance(r, Representation)}
                    state = self._state = Prepared(content, snapshot, self._build_routes(snapshot))
                    # Each snapshot builds afresh: what fails again is reported again.
                    self.failures = {}
        return state

    def current(self) -> Snapshot:
        """The snapshot for now."""
        return self.state().snapshot

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
        icon = config.content_dir / "favicon.ico"
        if icon.is_file():
            # Readers ask for /favicon.ico on every poll: the site's own icon, as a prepared representation.
            routes["/favicon.ico"] = lambda s: self.representation(icon.read_bytes(), ICON_MIMETYPE, s.posts)
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

    def _dated(self, key: str, found: Representation) -> Representation:
        """The representation with Last-Modified no earlier than the first serving of its bytes at this key."""
        since = self.served.since(key, found.variant("identity").etag, self.clock())
        if since is None or since.replace(microsecond=0) <= found.last_modified:
            return found
        # RFC 9110 §8.8.2.1: never later than the response's Date; `since` is a past moment of our own clock.
        since = min(since, datetime.fromtimestamp(self.clock(), UTC))
        extra = found.common[4:]  # Last-Modified, Cache-Control, Vary, nosniff, then the extra headers
        return Representation(found.body, found.mimetype, since, self.config.feed_max_age, extra)

    def resolve(self, path_info: str) -> Representation | Answer | None:
        """What answers GET at this path: a prepared representation, a 301 or 404 answer, or None (not ours)."""
        state = self.state()
        found = state.paths.get(path_info)
        if found is not None:
            return found
        build = state.routes.get(path_info)
        if build is not None:
            with self._lock:
                found = state.paths.get(path_info)
            if found is None:
                found = self._build(path_info, lambda: build(state.snapshot))
                with self._lock:
                    found = state.paths.setdefault(path_info, found)
            return found
        if path_info == "/favicon.ico":
            return self._favicon()
        return self._scope_spelling(path_info, state.snapshot)

    def _favicon(self) -> Answer:
        """Without a favicon.ico in CONTENT_DIR: a 301 to SITE_ICON, or a 404 (never a redirect to itself)."""
        icon = self.urls.site_resource(self.config.site_icon) if self.config.site_icon else ""
        if icon and icon != self.urls.public("/favicon.ico"):
            return moved(icon)
        return plain_text("404 Not Found", "no favicon.ico: put one in CONTENT_DIR or set ALLFORCES_SITE_ICON")

    def _build(self, key: str, build: Callable[[], Representation]) -> Representation | Answer:
        """Build one representation; a failure is reported once and answered by the last good one, else 503."""
        try:
            return self._dated(key, build())
        except Exception as error:  # any renderer bug: one path down and reported, never a 500 per request
            reason = f"{type(error).__name__}: {error}"
            log.error("%s cannot be built: %s", key, reason, exc_info=error)
            with self._lock:
                self.failures[key] = reason
        last = self._last_good.get(key)
        if last is not None:
            return last
        return plain_text(
            "503 Service Unavailable",
            "503 Service Unavailable: this document cannot be built now; it is reported",
            ("Retry-After", str(RETRY_AFTER)),
        )

    def _scope_spelling(self, path_info: str, snapshot: Snapshot) -> Answer | None:
        """301 for another spelling of a known scope's path, 404 for an unknown scope, None elsewhere."""
        kind, _, rest = path_info[1:].partition("/")
        if kind not in SCOPE_KINDS or not rest and not path_info.endswith("/"):
            return None
        # PATH_INFO holds the request's bytes as latin-1 (PEP 3333); undecodable bytes cannot name a scope.
        raw = rest.encode("latin-1").decode("utf-8", errors="replace")
        fmt = next((f for f in FORMATS.values() if raw.endswith("/" + f.file)), None)
        raw = raw[: -len(fmt.file) - 1] if fmt is not None else raw.removesuffix("/")
        slug = slugify(raw)
        if not slug or snapshot.scope(kind, slug) is None:
            return plain_text("404 Not Found", f"no {SCOPE_KINDS[kind].singular} {raw[:100]!r}")
        path = self.urls.feed_path(kind, slug, fmt.file) if fmt else self.urls.scope_path(kind, slug)
        return moved(self.urls.public(path))

    def prepared(self, key: object, build: Builder) -> Representation:
        """The representation of an embed query for the current snapshot, built on first use (bounded LRU)."""
        state = self.state()
        with self._lock:
            found = state.queries.get(key)
            if found is not None:
                state.queries.move_to_end(key)
                return found
        made = self._build(repr(key), lambda: build(state.snapshot))
        if not isinstance(made, Representation):
            # The embed views answer through Flask: its error handler sends the 503 with Retry-After.
            raise ServiceUnavailable("this document cannot be built now; it is reported", retry_after=RETRY_AFTER)
        with self._lock:
            state.queries[key] = made
            while len(state.queries) > PREPARED_LIMIT:
                state.queries.popitem(last=False)
        return made
