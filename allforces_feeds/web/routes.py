"""The only router: every path the service answers -> a representation prepared once per snapshot.

Feeds, scope pages, discovery and the widget script are fixed paths of the current snapshot; archive
pages (RFC 5005) are read from the path and kept in a bounded LRU; a non-canonical spelling of a known
scope is a 301 to its canonical path, an unknown scope a 404. Embed queries are prepared here too, under
a key the embed view builds from the normalized query. A first build runs off the event loop (offload.py).

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
from typing import TypeVar

from werkzeug.exceptions import ServiceUnavailable

from ..body.markdown import fingerprint as body_fingerprint
from ..config import Config
from ..index import Catalog, Snapshot
from ..models import SCOPE_KINDS, SITE, Problem, Scope
from ..render import FORMATS
from ..render.document import FeedFormat
from ..slugs import slugify
from .documents import Builder, Documents
from .http import IMMUTABLE, Answer, Clock, Representation, moved, plain_text
from .offload import Pending, off_the_loop, start
from .paths import ScopedPath, parse_scoped, wsgi_path
from .served import ServedSince

# How many embed queries (limit x tag x category x author: client input) one snapshot keeps, least recently
# used out first; the fixed routes are kept apart and never evicted.
PREPARED_LIMIT = 4096
# A representation that failed to build is not built again for this snapshot; a client is told to come back
# (RFC 9110 §10.2.3) after about the time a reload of fixed content takes.
RETRY_AFTER = 60
# How long a request waits for a document's first build (seconds) before it is answered by the last good one
# or a 503 with a short Retry-After; the build goes on in its thread (web/offload.py) and is served when done.
BUILD_WAIT = 5.0
BUILDING_RETRY_AFTER = 5
# Failures named on /healthz, at most.
FAILURES_SHOWN = 20
# Archive pages (RFC 5005) kept per snapshot, least recently used out first: each holds a page of whole posts,
# and a reader backfilling a feed asks for each page once.
ARCHIVES_KEPT = 128
FORMAT_BY_FILE = {fmt.file: fmt for fmt in FORMATS.values()}
log = logging.getLogger(__name__)
Key = TypeVar("Key")
Found = TypeVar("Found")


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
    archives: OrderedDict[str, Representation | Answer] = field(default_factory=OrderedDict)
    # First builds running in a native thread (under gevent), by path: later requests wait for the same one.
    building: dict[str, Pending[Representation | Answer]] = field(default_factory=dict)


class Router(Documents):
    """Resolves paths to representations, each prepared once per snapshot of visible posts."""

    def __init__(self, config: Config, catalog: Catalog, problems: list[Problem], clock: Clock) -> None:
        """Start with no snapshot: routes are built on the first request."""
        super().__init__(config, clock)
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

    def _dated(self, key: str, found: Representation, fixed: bool = False) -> Representation:
        """The representation with Last-Modified no earlier than the first serving of its bytes at this key.

        `fixed`: a full archive page. Its first bytes are immutable; bytes that replace them (a post edited or
        deleted, RFC 5005 §4 allows it) are served with the feeds' Cache-Control, so caches come back for them.
        """
        # A page's bytes while it filled up are not revisions of the full page: the full page is its own key.
        since = self.served.since(f"{key} (full)" if fixed else key, found.variant("identity").etag, self.clock())
        if since is None:
            return found.revised(cache=IMMUTABLE) if fixed else found
        if since.replace(microsecond=0) <= found.last_modified:
            return found
        # RFC 9110 §8.8.2.1: never later than the response's Date; `since` is a past moment of our own clock.
        return found.revised(last_modified=min(since, datetime.fromtimestamp(self.clock(), UTC)))

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
            return found if found is not None else self._first_build(state, path_info, build)
        if path_info == "/favicon.ico":
            return self._favicon()
        scoped = parse_scoped(path_info)
        return None if scoped is None else self._scoped_path(state, scoped, path_info)

    def _first_build(self, state: Prepared, key: str, build: Builder) -> Representation | Answer:
        """Build a fixed path once, off the event loop under gevent; a request waits BUILD_WAIT s for it at most."""

        def work() -> Representation | Answer:
            """Build, keep, and let the next requests find it."""
            found = self._build(key, lambda: build(state.snapshot))
            with self._lock:
                state.building.pop(key, None)
                return state.paths.setdefault(key, found)

        pending = state.building.get(key)
        if pending is None:
            pending = start(work)
            if pending is None:  # no event loop to keep free: build here
                return work()
            state.building.setdefault(key, pending)
        found = pending.wait(BUILD_WAIT)
        if found is not None:
            return found
        log.warning("%s: its first build takes longer than %.0f s; answered without waiting for it", key, BUILD_WAIT)
        return self._last_good.get(key) or plain_text(
            "503 Service Unavailable",
            "503 Service Unavailable: this document is being built; ask again in a few seconds",
            ("Retry-After", str(BUILDING_RETRY_AFTER)),
        )

    def _favicon(self) -> Answer:
        """Without a favicon.ico in CONTENT_DIR: a 301 to SITE_ICON, or a 404 (never a redirect to itself)."""
        icon = self.urls.site_resource(self.config.site_icon) if self.config.site_icon else ""
        if icon and icon != self.urls.public("/favicon.ico"):
            return moved(icon)
        return plain_text("404 Not Found", "no favicon.ico: put one in CONTENT_DIR or set ALLFORCES_SITE_ICON")

    def _build(self, key: str, build: Callable[[], Representation], fixed: bool = False) -> Representation | Answer:
        """Build one representation; a failure is reported once and answered by the last good one, else 503."""
        try:
            return self._dated(key, build(), fixed)
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

    def _scoped_path(self, state: Prepared, scoped: ScopedPath, path_info: str) -> Representation | Answer:
        """301 for another spelling of a known scope's path, 404 for an unknown scope, else an archive page."""
        slug = slugify(scoped.raw) if scoped.kind != SITE else ""
        scope = state.snapshot.scope(scoped.kind, slug) if slug or scoped.kind == SITE else None
        if scope is None:
            return plain_text("404 Not Found", f"no {SCOPE_KINDS[scoped.kind].singular} {scoped.raw[:100]!r}")
        path = scoped.canonical(slug, self.urls)
        if wsgi_path(path) != path_info:
            return moved(self.urls.public(path))
        if scoped.archive is None or scoped.file is None:
            return plain_text("404 Not Found", "no such document")
        return self._archive_page(state, scope, scoped.archive, FORMAT_BY_FILE[scoped.file], path_info)

    def _archive_page(
        self, state: Prepared, scope: Scope, number: int, fmt: FeedFormat, key: str
    ) -> Representation | Answer:
        """Archive page `number` of the scope's feed in one format, built on first use (bounded LRU), or a 404."""
        found = self._recall(state.archives, key)
        if found is not None:
            return found
        archive = self.archive(scope)
        page = archive.page(number)
        if page is None:
            return plain_text("404 Not Found", f"no archive page {number}: this feed has {archive.count}")

        # The newest page gains a next-archive link when a newer one starts: it is fixed only from then on.
        fixed = page.full and page.number < archive.count
        found = off_the_loop(lambda: self._build(key, lambda: self.archive_page(archive, page, fmt), fixed=fixed))
        self._keep(state.archives, key, found, ARCHIVES_KEPT)
        return found

    def prepared(self, key: object, build: Builder) -> Representation:
        """The representation of an embed query for the current snapshot, built on first use (bounded LRU)."""
        state = self.state()
        found = self._recall(state.queries, key)
        if found is not None:
            return found
        made = self._build(repr(key), lambda: build(state.snapshot))
        if not isinstance(made, Representation):
            # The embed views answer through Flask: its error handler sends the 503 with Retry-After.
            raise ServiceUnavailable("this document cannot be built now; it is reported", retry_after=RETRY_AFTER)
        self._keep(state.queries, key, made, PREPARED_LIMIT)
        return made

    def _recall(self, recent: OrderedDict[Key, Found], key: Key) -> Found | None:
        """An entry of a bounded LRU of the snapshot, marked as just used; None when it is not there."""
        with self._lock:
            found = recent.get(key)
            if found is not None:
                recent.move_to_end(key)
            return found

    def _keep(self, recent: OrderedDict[Key, Found], key: Key, found: Found, limit: int) -> None:
        """Keep an entry in a bounded LRU of the snapshot, the least recently used out past `limit`."""
        with self._lock:
            recent[key] = found
            while len(recent) > limit:
                recent.popitem(last=False)
