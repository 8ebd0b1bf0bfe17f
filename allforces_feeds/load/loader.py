"""Load every post under CONTENT_DIR: discovery, the load cache, parsing on two CPUs, duplicates.

Loading keeps no Markdown in memory: a Post holds its file's digest, and parse.read_source() reads the
body back when the post is first rendered. With CACHE_DIR set, what each file's bytes gave is kept in a
load cache, so that a restart over unchanged files reads and hashes them but parses nothing.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ..config import Config
from ..models import Parsed, Post, Problem
from ..urls import Urls
from .cache import LoadCache, decode_parsed, encode_parsed
from .discover import discover
from .parse import parse_post, read_with_status
from .seen import FirstSeen

log = logging.getLogger(__name__)
# A cold load parses this many new files or more in two processes, when two CPUs are there to run them.
PARALLEL_FROM = 1000
# The helper sends its posts back in chunks of this many files.
HELPER_CHUNK = 500
# Whether a load of this process froze what it made (Loader.load).
_frozen = False
Result = tuple[str, Any, Parsed]


@dataclass
class Loaded:
    """What loading found: the good posts and every problem."""

    posts: list[Post] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def load_posts(config: Config, now: datetime | None = None) -> Loaded:
    """Every post under CONTENT_DIR as of `now`; a broken one is reported and left out, the rest kept."""
    return Loader(config).load(now or datetime.now(UTC))


class ContentUnreadable(Exception):
    """CONTENT_DIR cannot be read as a whole (unmounted, permissions): the last good content stays served."""


# What identifies a file's bytes without reading them: a write changes the size or the change time (POSIX
# stat: st_ctime is set by every write and rename), a rename-into-place (editors, git, rsync) the inode.
Signature = tuple[int, int, int, int]
# What reading a file gave: its signature as it was read, and its Result.
Read = tuple[Signature, Result]


@dataclass
class Loader:
    """Loads CONTENT_DIR again and again; a reload reads only the files whose stat signature changed."""

    config: Config
    # source -> (signature, load cache key, record, Parsed) of the last load.
    known: dict[str, tuple[Signature, Result]] = field(default_factory=dict)
    # source -> the post its file last gave, served again while an edit leaves the file broken.
    good: dict[str, Post] = field(default_factory=dict)
    # source -> (Parsed, post as finished, problems) of the last load: unchanged files are not finished again.
    finished: dict[str, tuple[Parsed, Post | None, tuple[Problem, ...]]] = field(default_factory=dict)
    # How many files the last load read (the rest were known by their signature).
    read: int = 0

    def __post_init__(self) -> None:
        """The load cache and the first-seen record of this configuration."""
        self.store = LoadCache(self.config)
        self.seen = FirstSeen(self.config.cache_dir)

    def load(self, now: datetime) -> Loaded:
        """Every post as of `now`; ContentUnreadable when CONTENT_DIR cannot be read at all."""
        global _frozen
        collecting = gc.isenabled()
        # Loading makes tens of thousands of objects and no cycles: the collector would only walk them again and again.
        gc.disable()
        try:
            loaded = self._load(now)
            if not _frozen:
                # The first load of a process makes what it serves for a long time (in a gunicorn master, what its
                # workers fork from). Frozen (gc.freeze), those objects are left out of the collector's passes: it
                # would walk them all soon after (0.1-0.3 s for 10,000 posts), then again in each worker, copying
                # their pages. They are still freed when they die (posts, records and indexes hold no reference
                # cycles); only a cycle alive at this moment would not be collected when it dies.
                gc.freeze()
                _frozen = True
            return loaded
        finally:
            if collecting:
                gc.enable()

    def _load(self, now: datetime) -> Loaded:
        """The load itself: known files by signature, cached records reused, new files parsed (in two processes)."""
        files = self._discover()
        first = not self.known
        # At startup every file is read: each one's signature is taken from the open file as it is read.
        signatures = {} if first else {source: _signature(path) for source, path in files}
        results = {s: k[1] for s, _ in files if (k := self.known.get(s)) is not None and k[0] == signatures[s]}
        changed = [(source, path) for source, path in files if source not in results]
        self.read = len(changed)
        # At startup, the load cache; later, what the last load gave (a touched or reverted file is not parsed).
        records = self.store.read() if first else {key: record for _, (_, (key, record, _)) in self.known.items()}
        for (source, _), (signature, result) in zip(changed, _load_changed(changed, records, self.config), strict=True):
            results[source] = result
            if first:
                signatures[source] = signature
        ordered = [results[source] for source, _ in files]
        self.known = {source: (signatures[source], results[source]) for source, _ in files}
        kept = {key: record for key, record, _ in ordered if record is not None}
        # Written at startup when a file was added, changed or removed since. A reload does not write it: that
        # would cost the whole corpus's JSON for one edit, and a restart parses the few files changed since.
        if first and (kept.keys() != records.keys() or any(record is not records[k] for k, record in kept.items())):
            self.store.write(kept)
        self.seen.refresh()
        loaded = self._collect([parsed for _, _, parsed in ordered], now)
        self.seen.save()
        return loaded

    def _discover(self) -> list[tuple[str, str]]:
        """The post files; ContentUnreadable when the folder is gone, unreadable, or suddenly empty."""
        content_dir = self.config.content_dir
        try:
            # discover() skips folders it cannot read, as Jekyll does: check the top ones here.
            os.listdir(content_dir)
            if os.path.isdir(posts := os.path.join(content_dir, "_posts")):
                os.listdir(posts)
        except OSError as error:
            raise ContentUnreadable(f"{content_dir} cannot be read ({error.strerror or error})") from None
        files = discover(content_dir)
        if not files and self.good:
            # An unmounted volume leaves an empty mount point: that is not a blog that deleted every post.
            raise ContentUnreadable(f"{content_dir} holds no post files now (unmounted?); the last posts stay served")
        return files

    def _collect(self, found: list[Parsed], now: datetime) -> Loaded:
        """The posts and problems, in file order; broken edits keep their last good post; duplicates left out."""
        loaded = Loaded()
        seen_ids: dict[str, str] = {}
        seen_urls: dict[str, str] = {}
        good: dict[str, Post] = {}
        finished: dict[str, tuple[Parsed, Post | None, tuple[Problem, ...]]] = {}
        for parsed in found:
            post, problems = self._finish(parsed, now)
            finished[parsed.source] = (parsed, post, problems)
            loaded.problems.extend(problems)
            if post is None and problems and parsed.source in self.good:
                # A broken edit never takes a good post down (issue 11): its last good version stays served.
                post = self.good[parsed.source]
                loaded.problems.append(Problem(parsed.source, "file", "broken; its last good version is served"))
            if post is None:
                continue
            if post.id in seen_ids:
                loaded.problems.append(Problem(post.source, "id", f"{post.id} is already used by {seen_ids[post.id]}"))
                continue
            if post.url in seen_urls:
                loaded.problems.append(
                    Problem(post.source, "permalink", f"{post.url} is already used by {seen_urls[post.url]}")
                )
                continue
            seen_ids[post.id] = seen_urls[post.url] = post.source
            good[post.source] = post
            loaded.posts.append(post)
        self.good, self.finished = good, finished
        return loaded

    def _finish(self, parsed: Parsed, now: datetime) -> tuple[Post | None, tuple[Problem, ...]]:
        """The post as of now, dated by its first sight unless last_modified_at says; unchanged files as last time."""
        last = self.finished.get(parsed.source)
        # The same Parsed (an unchanged file) gives the same post, unless its last_modified_at was in the future.
        if last is not None and last[0] is parsed and (parsed.modified is None or parsed.modified <= now):
            return last[1], last[2]
        post, problems = parsed.finish(now)
        if post is not None and post.updated == post.published:
            # No last_modified_at in force: the post is as new as the first sight of its bytes.
            first = self.seen.updated(post.source, post.digest, now)
            if first is not None and first > post.published:
                post = replace(post, updated=first)
        return post, tuple(problems)


def _signature(path: str) -> Signature:
    """Size, modification and change times, inode: what changes when the file's bytes may have."""
    try:
        status = os.stat(path)
    except OSError:
        return (-1, -1, -1, -1)
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def _load_changed(files: list[tuple[str, str]], known: dict[str, Any], config: Config) -> list[Read]:
    """What each file gives and its signature as read; half of the files parsed in a helper when many are new."""
    if len(files) - len(known) < PARALLEL_FROM or not _can_fork():
        return _load_files(files, known, config)
    # Mostly new files: a forked process parses the second half while this one loads the first. It sends its posts
    # back a chunk at a time, so that this process takes each in while it parses, rather than all of them at the end.
    half = len(files) // 2
    chunks = [files[start : start + HELPER_CHUNK] for start in range(half, len(files), HELPER_CHUNK)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        parts = [pool.submit(_parse_part, chunk, config) for chunk in chunks]
        results = _load_files(files[:half], known, config)
        failed = False
        for chunk, part in zip(chunks, parts, strict=True):
            if not failed:
                try:
                    # The helper sends no records (less to send and take in): each is made here, as it would be there.
                    results += [
                        (signature, (key, encode_parsed(parsed) if key else None, parsed))
                        for signature, key, parsed in part.result()
                    ]
                    continue
                except Exception as error:  # the helper's failure must never lose posts: redo its part here
                    log.warning("the helper process failed (%s); its files are loaded here", error)
                    failed = True
                    for other in parts:
                        other.cancel()
            results += _load_files(chunk, known, config)
    return results


def _load_files(files: list[tuple[str, str]], known: dict[str, Any], config: Config) -> list[Read]:
    """What each file gives and its signature as read: from the load cache when its bytes are known there."""
    urls = Urls(config)
    return [_load_file(source, path, known, config, urls) for source, path in files]


def _parse_part(files: list[tuple[str, str]], config: Config) -> list[tuple[Signature, str, Parsed]]:
    """The helper process's share: every file parsed (the parallel path runs only when few are cached)."""
    urls = Urls(config)
    found = (_load_file(source, path, {}, config, urls, records=False) for source, path in files)
    return [(signature, key, parsed) for signature, (key, _, parsed) in found]


def _load_file(source: str, path: str, known: dict[str, Any], config: Config, urls: Urls, records: bool = True) -> Read:
    """One file's signature as read, load cache key, record (None without `records`) and Parsed."""
    try:
        raw, status = read_with_status(path, config.post_max_bytes)
    except OSError as error:
        return _signature(path), ("", None, Parsed(source, None, (unreadable(source, error),)))
    signature = (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
    digest = hashlib.sha256(raw).hexdigest()
    key = f"{source}\0{digest}"
    record = known.get(key)
    parsed = decode_parsed(record, source, digest) if record is not None else None
    if parsed is None:
        parsed = parse_post(raw, digest, source, config, urls)
        record = encode_parsed(parsed) if records else None
    return signature, (key, record, parsed)


def unreadable(source: str, error: OSError) -> Problem:
    """The problem of a file that cannot be read."""
    return Problem(source, "file", f"cannot be read ({error.strerror or error})")


def _can_fork() -> bool:
    """Whether a forked helper can parse beside this process: two CPUs, and no thread a fork would copy."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cpus > 1 and hasattr(os, "fork") and threading.active_count() == 1
