"""The body cache: each post's HTML and summary, in memory and in CACHE_DIR (outliving restarts, shared).

Each body is one file, `CACHE_DIR/render/<k[:2]>/<k>`, where k hashes everything that shapes it: the
renderer (version, libraries, code), the settings it uses and the SHA-256 of the post file's bytes. A key
never names two different renderings, so entries are never invalidated, only added; a file is written
under a temporary name and renamed into place, so workers and replicas sharing the folder read either
nothing or a whole entry. Each entry carries its key and a checksum: a damaged one is rendered again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from ..config import Config
from ..errors import ContentError
from ..load.parse import read_source
from ..logs import post_context
from ..models import Body, Post
from ..sealed import seal, unseal, write_atomic
from .markdown import fingerprint, make_body
from .site import BodySite, body_site

log = logging.getLogger(__name__)

# Renderings kept in each process's memory; the rest are read back from CACHE_DIR (a file read is ~50 µs,
# rendering a 5 KB post ~5 ms). Prepared feeds keep their own bytes, so this only needs to cover the
# posts that the feeds being prepared now share.
MEMORY_ENTRIES = 1024


class BodyCache:
    """Makes each post's body once: key = body code and libraries, settings that shape the HTML, the file's bytes."""

    def __init__(self, config: Config) -> None:
        """Keep the settings that shape bodies; CACHE_DIR/render holds the entries."""
        self.config = config
        self._salt = f"{fingerprint()}\0{config.site_url}\0{config.excerpt_length}"
        self._folder: Path | None = None if config.cache_dir is None else config.cache_dir / "render"
        self._memory: OrderedDict[str, Body] = OrderedDict()
        self._lock = threading.Lock()
        # What happened, for tests and logs: renders made, entries read from disk, entries found damaged.
        self.renders = 0
        self.disk_hits = 0
        self.rejected = 0
        self._site: BodySite | None = None
        self._posts: tuple[Post, ...] = ()
        # Liquid problems by post file: (line, reason), found when the body was made.
        self.problems: dict[str, tuple[tuple[int, str], ...]] = {}

    def use_posts(self, posts: Iterable[Post]) -> None:
        """The posts Liquid links to ({% post_url %}, {% link %}); bodies with Liquid are keyed by them too."""
        self._posts = tuple(posts)
        self._site = None

    @property
    def site(self) -> BodySite:
        """The Liquid site of the current posts, built on first use."""
        site = self._site
        if site is None:
            site = self._site = body_site(self.config, self._posts)
        return site

    def key(self, digest: str, post: Post | None = None) -> str:
        """The cache key of the body of a post file with this SHA-256; with Liquid, also of its site and path.

        Liquid reads page.* (the post's path, URL, front matter defaults) and site.*: two files with the
        same bytes in two language folders render differently.
        """
        context = f"{self.site.fingerprint}\0{post.source}" if post is not None and post.liquid else ""
        return hashlib.sha256(f"{self._salt}\0{digest}\0{context}".encode()).hexdigest()

    def path(self, key: str) -> Path | None:
        """Where the entry of this key lives, or None without CACHE_DIR."""
        return None if self._folder is None else self._folder / key[:2] / key

    def body(self, post: Post) -> Body:
        """The post's HTML and summary: from memory, from CACHE_DIR, or rendered now and kept in both."""
        key = self.key(post.digest, post)
        found = self._recall(key)
        if found is not None:
            return found
        try:
            source = read_source(self.config, post)
        except (OSError, ContentError) as error:
            # The file was readable at startup; serve the post without a body rather than fail the feed.
            log.error("%s cannot be read back for rendering (%s); its item has no content", post.source, error)
            return Body(html="", summary=post.excerpt or "")
        if source.digest != post.digest:
            # Only bytes the loader checked are rendered (issue 12): the next reload checks the new ones.
            log.warning("%s changed since it was loaded: served without content until it is loaded again", post.source)
            return Body(html="", summary=post.excerpt or "")
        with post_context(post.source):
            found, problems = make_body(post, source, self.config, self.site)
        for line, reason in problems:
            log.warning("%s: line %d: Liquid: %s; left out", post.source, line, reason)
        self.problems[post.source] = problems
        self.renders += 1
        self._remember(key, found)
        self._store(key, found)
        return found

    # -- memory -----------------------------------------------------------------------------------
    def _recall(self, key: str) -> Body | None:
        """The body of this key from memory or CACHE_DIR, or None."""
        with self._lock:
            found = self._memory.get(key)
            if found is not None:
                self._memory.move_to_end(key)
                return found
        found = self._load(key)
        if found is not None:
            self.disk_hits += 1
            self._remember(key, found)
        return found

    def _remember(self, key: str, rendered: Body) -> None:
        """Keep a body in memory, the least recently used out first."""
        with self._lock:
            self._memory[key] = rendered
            while len(self._memory) > MEMORY_ENTRIES:
                self._memory.popitem(last=False)

    # -- CACHE_DIR ----------------------------------------------------------------------------------
    def _load(self, key: str) -> Body | None:
        """The entry of this key when it is whole and is this key's; None otherwise."""
        path = self.path(key)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        payload = unseal(data)
        try:
            entry = json.loads(payload) if payload is not None else None
            if entry is not None and entry["key"] == key:
                return Body(html=entry["html"], summary=entry["summary"])
        except (ValueError, KeyError, TypeError):
            pass
        self.rejected += 1
        log.warning("body cache entry %s is damaged; rendering the post again", path)
        return None

    def _store(self, key: str, rendered: Body) -> None:
        """Write a body's entry to CACHE_DIR, atomically; a failure only costs speed."""
        path = self.path(key)
        if path is None:
            return
        payload = json.dumps({"key": key, "html": rendered.html, "summary": rendered.summary}, ensure_ascii=False)
        try:
            write_atomic(path, seal(payload.encode()))
        except OSError as error:
            # A read-only or full disk makes restarts slower, never a request fail.
            log.warning("body cache entry %s cannot be written: %s", path, error)
