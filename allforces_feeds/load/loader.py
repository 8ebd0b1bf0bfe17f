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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..config import Config
from ..models import Parsed, Post, Problem
from ..urls import Urls
from .cache import LoadCache, decode_parsed, encode_parsed
from .discover import discover
from .parse import parse_post, read_bytes

log = logging.getLogger(__name__)
# A cold load parses this many new files or more in two processes, when two CPUs are there to run them.
PARALLEL_FROM = 1000
Result = tuple[str, Any, Parsed]


@dataclass
class Loaded:
    """What loading found: the good posts and every problem."""

    posts: list[Post] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def load_posts(config: Config, now: datetime | None = None) -> Loaded:
    """Every post under CONTENT_DIR as of `now`; a broken one is reported and left out, the rest kept."""
    collecting = gc.isenabled()
    # Loading makes tens of thousands of objects and no cycles: the collector would only walk them again and again.
    gc.disable()
    try:
        return _load(config, now or datetime.now(UTC))
    finally:
        if collecting:
            gc.enable()


def _load(config: Config, now: datetime) -> Loaded:
    """The load itself: cached records reused, new files parsed (half of them in a helper when many)."""
    store = LoadCache(config)
    known = store.read()
    files = discover(config.content_dir)
    if len(files) - len(known) >= PARALLEL_FROM and _can_fork():
        # Mostly new files: a forked process parses the second half while this one loads the first.
        half = len(files) // 2
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            helper = pool.submit(_parse_part, files[half:], config)
            results = _load_files(files[:half], known, config)
            try:
                results += helper.result()
            except Exception as error:  # the helper's failure must never lose posts: redo its part here
                log.warning("the helper process failed (%s); its files are loaded here", error)
                results += _load_files(files[half:], known, config)
    else:
        results = _load_files(files, known, config)
    kept = {key: record for key, record, _ in results if record is not None}
    # Rewritten when a file was added, changed or removed (a record not read from the cache is a new one).
    if kept.keys() != known.keys() or any(record is not known[key] for key, record in kept.items()):
        store.write(kept)
    return _collect([parsed for _, _, parsed in results], now)


def _load_files(files: list[tuple[str, str]], known: dict[str, Any], config: Config) -> list[Result]:
    """(load cache key, record, Parsed) of each file: from the load cache when its bytes are known there."""
    urls = Urls(config)
    return [_load_file(source, path, known, config, urls) for source, path in files]


def _parse_part(files: list[tuple[str, str]], config: Config) -> list[Result]:
    """The helper process's share: every file parsed (the parallel path runs only when few are cached)."""
    return _load_files(files, {}, config)


def _load_file(source: str, path: str, known: dict[str, Any], config: Config, urls: Urls) -> Result:
    """One file's load cache key, record and Parsed."""
    try:
        raw = read_bytes(path)
    except OSError as error:
        return "", None, Parsed(source, None, (unreadable(source, error),))
    digest = hashlib.sha256(raw).hexdigest()
    key = f"{source}\0{digest}"
    record = known.get(key)
    parsed = decode_parsed(record, source, digest) if record is not None else None
    if parsed is None:
        parsed = parse_post(raw, digest, source, config, urls)
        record = encode_parsed(parsed)
    return key, record, parsed


def _collect(found: list[Parsed], now: datetime) -> Loaded:
    """The posts and problems, in file order; a post reusing an id or a link is left out."""
    loaded = Loaded()
    seen_ids: dict[str, str] = {}
    seen_urls: dict[str, str] = {}
    for parsed in found:
        post, problems = parsed.finish(now)
        loaded.problems.extend(problems)
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
        loaded.posts.append(post)
    return loaded


def unreadable(source: str, error: OSError) -> Problem:
    """The problem of a file that cannot be read."""
    return Problem(source, "file", f"cannot be read ({error.strerror or error})")


def _can_fork() -> bool:
    """Whether a forked helper can parse beside this process: two CPUs, and no thread a fork would copy."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cpus > 1 and hasattr(os, "fork") and threading.active_count() == 1
