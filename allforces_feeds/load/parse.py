"""Read posts from CONTENT_DIR: front matter, dates, labels, links; every problem collected.

Loading keeps no Markdown in memory: a Post holds its file's digest, and read_source() reads the body back
when the post is first rendered. With CACHE_DIR set, what each file's bytes gave is kept in a load cache,
so that a restart over unchanged files reads and hashes them but parses nothing.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import math
import os
import pickle
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urlsplit

import frontmatter
import yaml

from .config import Config
from .dates import parse_date
from .errors import ContentError
from .excerpts import plain
from .loadcache import LoadCache, decode_parsed, encode_parsed
from .models import Parsed, Post, Problem
from .slugs import slugify
from .urls import Urls, permalink_path, tag_uri

log = logging.getLogger(__name__)
T = TypeVar("T")

# Jekyll's post file name: YYYY-MM-DD-title.ext (jekyllrb.com/docs/posts/).
_POST_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")
POST_SUFFIXES = (".md", ".markdown")
# XML 1.0 §2.2 forbids these characters anywhere in a document.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Reading speed for Japanese text, in characters a minute.
CHARS_PER_MINUTE = 500


@dataclass
class Loaded:
    """What loading found: the good posts and every problem."""

    posts: list[Post] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# -- finding the files ----------------------------------------------------------------------
def discover(content_dir: Path) -> Iterator[Path]:
    """Post files in a stable order: _posts/** when it exists, else every **/*.md but drafts."""
    for _, path in _discover(content_dir):
        yield Path(path)


def _discover(content_dir: Path) -> list[tuple[str, str]]:
    """(source, path) of every post file, in the order of sorted(Path.rglob("*")): part by part."""
    posts_dir = os.path.join(content_dir, "_posts")
    if os.path.isdir(posts_dir):
        root, prefix, suffixes = posts_dir, ("_posts",), POST_SUFFIXES
    else:
        root, prefix, suffixes = os.fspath(content_dir), (), (".md",)
    found: list[tuple[tuple[str, ...], str]] = []

    def walk(folder: str, parts: tuple[str, ...]) -> None:
        # As Path.rglob("*") in Python 3.11: symlinked folders are not entered, unreadable ones skipped.
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError:
            return
        for entry in entries:
            name = entry.name
            if name.startswith((".", "_drafts")):
                continue
            if name.endswith(suffixes) and entry.is_file():
                found.append(((*parts, name), entry.path))
            elif entry.is_dir(follow_symlinks=False):
                walk(entry.path, (*parts, name))

    walk(root, prefix)
    found.sort()
    return [("/".join(parts), path) for parts, path in found]


# -- loading ------------------------------------------------------------------------------------
# A cold load parses this many files or more in two processes, when two CPUs are there to run them.
PARALLEL_FROM = 1000


def load_posts(config: Config) -> Loaded:
    """Every post under CONTENT_DIR; a broken one is reported and left out, the rest are kept."""
    collecting = gc.isenabled()
    # Loading makes tens of thousands of objects and no cycles: the collector would only walk them again and again.
    gc.disable()
    try:
        return _load(config)
    finally:
        if collecting:
            gc.enable()


def _load(config: Config) -> Loaded:
    urls = Urls(config)
    store = LoadCache(config)
    known = store.read()
    files = _discover(config.content_dir)

    def load(part: list[tuple[str, str]]) -> list[tuple[str, Any, Parsed]]:
        return [_load_file(source, path, known, config, urls) for source, path in part]

    if len(files) - len(known) >= PARALLEL_FROM and _can_fork():
        # Mostly new files: a forked process loads the second half while this one loads the first.
        half = len(files) // 2
        helper = _in_child(lambda: load(files[half:]))
        try:
            results = load(files[:half])
        finally:
            rest = helper()
        results += load(files[half:]) if rest is None else rest
    else:
        results = load(files)
    kept = {key: record for key, record, _ in results if record is not None}
    # Rewritten when a file was added, changed or removed (a record not read from the cache is a new one).
    if kept.keys() != known.keys() or any(record is not known[key] for key, record in kept.items()):
        store.write(kept)
    return _collect([parsed for _, _, parsed in results])


def _load_file(source: str, path: str, known: dict[str, Any], config: Config, urls: Urls) -> tuple[str, Any, Parsed]:
    """(load cache key, record, Parsed) of one file: from the load cache when its bytes are known there."""
    try:
        raw = _read(path)
    except OSError as error:
        return "", None, Parsed(source, None, (_unreadable(source, error),))
    digest = hashlib.sha256(raw).hexdigest()
    key = f"{source}\0{digest}"
    record = known.get(key)
    parsed = decode_parsed(record, source, digest) if record is not None else None
    if parsed is None:
        parsed = parse_post(raw, digest, source, config, urls)
        record = encode_parsed(parsed)
    return key, record, parsed


def _collect(found: list[Parsed]) -> Loaded:
    """The posts and problems, in file order; a post reusing an id or a link is left out."""
    loaded = Loaded()
    seen_ids: dict[str, str] = {}
    seen_urls: dict[str, str] = {}
    for parsed in found:
        post = parsed.finish(loaded.problems)
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


def _unreadable(source: str, error: OSError) -> Problem:
    return Problem(source, "file", f"cannot be read ({error.strerror or error})")


def _read(path: str | Path) -> bytes:
    """A file's bytes, with the fewest system calls (no buffered reader for a file read whole)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(descriptor, os.fstat(descriptor).st_size + 1)]
        while chunks[-1]:
            chunks.append(os.read(descriptor, 1 << 20))
        return b"".join(chunks)
    finally:
        os.close(descriptor)


# -- loading on two CPUs ------------------------------------------------------------------------------
def _can_fork() -> bool:
    """Whether a forked helper can parse beside this process: two CPUs, and no thread a fork would copy."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cpus > 1 and hasattr(os, "fork") and threading.active_count() == 1


def _in_child(work: Callable[[], T]) -> Callable[[], T | None]:
    """Run work() in a forked process; the returned function waits for its result (None if it failed)."""
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return lambda: None
    if pid == 0:  # pragma: no cover - the child, which leaves by os._exit
        status = 1
        try:
            os.close(reader)
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))
            status = 0
        finally:
            os._exit(status)
    os.close(writer)

    def join() -> T | None:
        with os.fdopen(reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0:
            log.warning("the helper process failed (wait status %s); its work is done here", status)
            return None
        # Our own child's bytes, from a pipe no one else holds.
        result: T = pickle.loads(data)
        return result

    return join


def parse_post(raw: bytes, digest: str, source: str, config: Config, urls: Urls) -> Parsed:
    """Everything one file's bytes give: a post (None for a draft or a broken file) and its problems."""
    problems: list[Problem] = []
    pending: list[tuple[datetime, int, datetime]] = []
    try:
        post = _build_post(raw, digest, source, config, urls, problems, pending)
    except ContentError as error:
        problems.append(Problem(error.source, error.field, error.reason))
        post = None
    if not pending:
        return Parsed(source, post, tuple(problems))
    modified, position, published = pending[0]
    return Parsed(source, post, tuple(problems), modified, position, published)


def _build_post(
    raw: bytes,
    digest: str,
    source: str,
    config: Config,
    urls: Urls,
    problems: list[Problem],
    pending: list[tuple[datetime, int, datetime]],
) -> Post | None:
    text = _decode(raw, source)
    if _XML_FORBIDDEN.search(text):
        problems.append(Problem(source, "text", "control characters that XML forbids were removed"))
        text = _XML_FORBIDDEN.sub("", text)
    meta, body = split_front_matter(text, source)
    if meta.get("published") is False or meta.get("draft") is True:
        return None
    title = plain(str(meta.get("title") or ""))
    if not title:
        raise ContentError(source, "title", "missing or empty")
    stem = PurePosixPath(source).stem
    name = _POST_NAME.match(stem)
    file_slug = name.group(2) if name else stem
    date_value = meta.get("date") or (name.group(1) if name else None)
    if date_value is None:
        raise ContentError(source, "date", "missing: no date field and no YYYY-MM-DD- in the file name")
    try:
        published = parse_date(date_value, config.site_timezone)
    except ValueError as error:
        raise ContentError(source, "date", str(error)) from None
    modified = _modified(meta.get("last_modified_at"), published, config, source, problems)
    if modified is not None:
        pending.append((modified, len(problems), published))
    categories = _labels(meta.get("categories", meta.get("category")), source, "categories")
    tags = _labels(meta.get("tags"), source, "tags")
    pattern = str(meta.get("permalink") or config.permalink)
    url = urls.post(permalink_path(pattern, published, categories, file_slug))
    return Post(
        source=source,
        id=plain(str(meta["id"])) if meta.get("id") else tag_uri(config.tag_authority, published, file_slug),
        url=url,
        title=title,
        published=published,
        updated=published,
        author=_author(meta.get("author"), config.site_author, source),
        tags=tags,
        categories=categories,
        excerpt=_excerpt(meta),
        reading_time=_reading_time(meta.get("reading_time"), body),
        image=_image(meta.get("image"), urls, source, problems),
        digest=digest,
    )


def _image(value: object, urls: Urls, source: str, problems: list[Problem]) -> str | None:
    """The front matter image as an absolute http(s) URL; anything else is reported and left out."""
    if isinstance(value, dict):
        value = value.get("path")
    if not value:
        return None
    try:
        url = urls.site_resource(str(value))
    except ValueError:  # urllib rejects some references, such as "http://[::1"
        url = ""
    if urlsplit(url).scheme not in ("http", "https"):
        problems.append(Problem(source, "image", f"expected an http(s) URL or a path, got {value!r}; ignored"))
        return None
    return url


def _decode(raw: bytes, source: str) -> str:
    if b"\x00" in raw:
        raise ContentError(source, "file", "binary file (holds NUL bytes), not a Markdown post")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentError(source, "file", f"not UTF-8 (byte {error.start}: {error.reason})") from None


def _excerpt(meta: dict[str, object]) -> str | None:
    excerpt = meta.get("excerpt")
    return plain(str(excerpt)) if excerpt else None


def _labels(value: object, source: str, name: str) -> tuple[str, ...]:
    """A list, or Jekyll's space-separated string, of labels; each spelling once per slug."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[object] = value.split()
    elif isinstance(value, list):
        items = value
    else:
        raise ContentError(source, name, f"expected a list or a space-separated string, got {value!r}")
    labels: dict[str, str] = {}
    for item in items:
        text = str(item)
        known = _LABEL_SLUGS.get(text)
        if known is None:
            label = plain(text)
            known = _LABEL_SLUGS[text] = (label, slugify(label) if label else "")
        if known[1]:
            labels.setdefault(known[1], known[0])
    return tuple(labels.values())


# A blog has a few hundred labels on thousands of posts: each spelling is made plain and slugged once.
_LABEL_SLUGS: dict[str, tuple[str, str]] = {}


def _author(value: object, default: str, source: str) -> str:
    if value is None:
        return default
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, list) and value:
        value = value[0]
    if not isinstance(value, str | int) or not plain(str(value)):
        raise ContentError(source, "author", f"expected a name, got {value!r}")
    return plain(str(value))


def _reading_time(value: object, body: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return max(1, math.ceil(len("".join(body.split())) / CHARS_PER_MINUTE))


def _modified(
    value: object, published: datetime, config: Config, source: str, problems: list[Problem]
) -> datetime | None:
    """last_modified_at when it is a date not before publication; whether it is in the future is checked later."""
    if value is None:
        return None
    try:
        updated = parse_date(value, config.site_timezone)
    except ValueError as error:
        problems.append(Problem(source, "last_modified_at", f"{error}; ignored"))
        return None
    if updated < published:
        problems.append(Problem(source, "last_modified_at", "before the post's date; ignored"))
        return None
    return updated


# -- reading a post back ----------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """A post file as it is now: its digest, its Markdown body (NFC) and its front matter excerpt."""

    digest: str
    body: str
    excerpt: str | None


def read_source(config: Config, post: Post) -> Source:
    """The post's file read back for rendering; the caller compares the digest with the loaded one."""
    raw = _read(config.content_dir / post.source)
    text = _XML_FORBIDDEN.sub("", _decode(raw, post.source))
    meta, body = split_front_matter(text, post.source)
    return Source(hashlib.sha256(raw).hexdigest(), unicodedata.normalize("NFC", body), _excerpt(meta))


# -- front matter ---------------------------------------------------------------------------------
# python-frontmatter's YAML delimiter; its parse() is followed exactly, but only the front matter is parsed.
_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)
_JSON_START = re.compile(r"^(?:{|})$", re.MULTILINE)


def split_front_matter(text: str, source: str) -> tuple[dict[str, object], str]:
    """(fields, Markdown body) as python-frontmatter's parse() gives them, YAML errors as ContentError."""
    text = text.strip()
    opening = _BOUNDARY.match(text)
    if opening is None:
        # JSON front matter (python-frontmatter's other handler) is rare: let the library read it.
        return _library_parse(text, source) if _JSON_START.match(text) else ({}, text)
    closing = _BOUNDARY.search(text, opening.end())
    if closing is None:
        return {}, text
    # Only the front matter block goes to YAML, with PyYAML's C loader; the body is left as it is.
    return _yaml(text[opening.end() : closing.start()], source), text[closing.end() :].strip()


def _yaml(block: str, source: str) -> dict[str, object]:
    try:
        data = yaml.load(block, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as error:
        reason = str(error).replace("\n", " ")
        raise ContentError(source, "front matter", f"invalid YAML: {reason}") from None
    except ValueError as error:
        # PyYAML builds dates while parsing: 2025-02-30 fails here.
        raise ContentError(source, "front matter", f"impossible value: {error}") from None
    return dict(data) if isinstance(data, dict) else {}


def _library_parse(text: str, source: str) -> tuple[dict[str, object], str]:
    try:
        meta, body = frontmatter.parse(text)
    except ValueError as error:
        raise ContentError(source, "front matter", f"impossible value: {error}") from None
    return dict(meta), body
