"""Read posts from CONTENT_DIR: front matter, dates, labels, links; every problem collected.

Loading keeps no Markdown in memory: a Post holds its file's digest, and read_source() reads the body back
when the post is first rendered. With CACHE_DIR set, what each file's bytes gave is kept in a load cache,
so that a restart over unchanged files reads and hashes them but parses nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import frontmatter
import yaml
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from .config import Config
from .dates import parse_date
from .errors import ContentError
from .excerpts import plain
from .models import Post, Problem
from .slugs import slugify
from .urls import Urls, permalink_path, tag_uri

log = logging.getLogger(__name__)

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
        yield path


def _discover(content_dir: Path) -> list[tuple[str, Path]]:
    """(source, path) of every post file, ordered as pathlib orders paths: part by part."""
    posts_dir = content_dir / "_posts"
    root, suffixes = (posts_dir, POST_SUFFIXES) if posts_dir.is_dir() else (content_dir, (".md",))
    prefix = os.path.relpath(root, content_dir).split(os.sep) if root != content_dir else []
    found: list[tuple[list[str], str]] = []
    # Like Path.rglob("*"): symlinked folders are not entered, symlinked files are kept when they are files.
    for folder, dirnames, filenames in os.walk(root):
        relative = [*prefix, *Path(os.path.relpath(folder, root)).parts] if folder != str(root) else prefix
        if any(part.startswith((".", "_drafts")) for part in relative):
            dirnames.clear()
            continue
        for name in filenames:
            if name.startswith((".", "_drafts")) or not name.endswith(suffixes):
                continue
            if os.path.isfile(os.path.join(folder, name)):
                found.append(([*relative, name], os.path.join(folder, name)))
    found.sort(key=lambda item: item[0])
    return [("/".join(parts), Path(path)) for parts, path in found]


# -- loading ------------------------------------------------------------------------------------
def load_posts(config: Config) -> Loaded:
    """Every post under CONTENT_DIR; a broken one is reported and left out, the rest are kept."""
    loaded = Loaded()
    urls = Urls(config)
    store = LoadCache(config)
    known = store.read()
    kept: dict[str, Any] = {}
    seen_ids: dict[str, str] = {}
    seen_urls: dict[str, str] = {}
    for source, path in _discover(config.content_dir):
        try:
            raw = _read(path)
        except OSError as error:
            loaded.problems.append(Problem(source, "file", f"cannot be read ({error.strerror or error})"))
            continue
        digest = hashlib.sha256(raw).hexdigest()
        key = f"{source}\0{digest}"
        record = known.get(key)
        parsed = _decode_parsed(record, source, digest) if record is not None else None
        if parsed is None:
            parsed = parse_post(raw, digest, path, source, config, urls)
            record = _encode_parsed(parsed)
        kept[key] = record
        post = parsed.finish(loaded.problems)
        if post is None:
            continue
        if post.id in seen_ids:
            loaded.problems.append(Problem(source, "id", f"{post.id} is already used by {seen_ids[post.id]}"))
            continue
        if post.url in seen_urls:
            loaded.problems.append(Problem(source, "permalink", f"{post.url} is already used by {seen_urls[post.url]}"))
            continue
        seen_ids[post.id] = seen_urls[post.url] = source
        loaded.posts.append(post)
    if kept.keys() != known.keys():
        store.write(kept)
    return loaded


def _read(path: Path) -> bytes:
    """A file's bytes, with the fewest system calls (no buffered reader for a file read whole)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(descriptor, os.fstat(descriptor).st_size + 1)]
        while chunks[-1]:
            chunks.append(os.read(descriptor, 1 << 20))
        return b"".join(chunks)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class Parsed:
    """What one file's bytes give, but for the one check that depends on when it is loaded.

    A valid last_modified_at not before the post's date is kept as `modified`: it becomes the post's
    updated date unless it is in the future when the post is loaded; then the problem is reported,
    at `modified_at` among the file's problems, where reading the file found it.
    """

    source: str
    post: Post | None
    problems: tuple[Problem, ...] = ()
    modified: datetime | None = None
    modified_at: int = 0
    published: datetime | None = None

    def finish(self, problems: list[Problem]) -> Post | None:
        """Report this file's problems into `problems`; return the post as of now, or None."""
        found = list(self.problems)
        post = self.post
        if self.modified is not None and self.published is not None:
            if self.modified > datetime.now(self.published.tzinfo):
                found.insert(self.modified_at, Problem(self.source, "last_modified_at", "in the future; ignored"))
            elif post is not None:
                post = replace(post, updated=self.modified)
        problems.extend(found)
        return post


def parse_post(raw: bytes, digest: str, path: Path, source: str, config: Config, urls: Urls) -> Parsed:
    """Everything one file's bytes give: a post (None for a draft or a broken file) and its problems."""
    problems: list[Problem] = []
    pending: list[tuple[datetime, int, datetime]] = []
    try:
        post = _build_post(raw, digest, path, source, config, urls, problems, pending)
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
    path: Path,
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
    name = _POST_NAME.match(path.stem)
    file_slug = name.group(2) if name else path.stem
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
    image = meta.get("image")
    if isinstance(image, dict):
        image = image.get("path")
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
        image=urls.site_resource(str(image)) if image else None,
        digest=digest,
    )


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
        label = plain(str(item))
        slug = slugify(label) if label else ""
        if slug:
            labels.setdefault(slug, label)
    return tuple(labels.values())


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


# -- cache files -------------------------------------------------------------------------------------
# Every cache file is sealed: a header naming the format and the SHA-256 of what follows, so that a
# truncated, corrupted or half-written file is recognised and never used.
_SEAL = b"allforces-cache 1 "


def seal(payload: bytes) -> bytes:
    """The payload behind a header that carries its checksum."""
    return _SEAL + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def unseal(data: bytes) -> bytes | None:
    """The payload of a sealed file, or None when the file is not whole."""
    header, _, payload = data.partition(b"\n")
    if not header.startswith(_SEAL) or header[len(_SEAL) :] != hashlib.sha256(payload).hexdigest().encode():
        return None
    return payload


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old file or the whole new one, never a part (POSIX rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# -- the load cache ------------------------------------------------------------------------------------
# Bump when what a file's bytes give changes in a way the code fingerprint below would miss.
LOADER_VERSION = "1"
# The modules whose code shapes a loaded post: their bytes are part of the load cache's name.
_LOADER_MODULES = ("content", "dates", "errors", "excerpts", "models", "slugs", "urls")


class LoadCache:
    """What each post file gave, by source and digest: one sealed JSON file per configuration and code."""

    def __init__(self, config: Config) -> None:
        self.path = None if config.cache_dir is None else config.cache_dir / "posts" / f"{_loader_salt(config)}.json"

    def read(self) -> dict[str, Any]:
        """The records of the last load, or nothing when there is no whole cache file."""
        if self.path is None:
            return {}
        try:
            payload = unseal(self.path.read_bytes())
            if payload is None:
                log.warning("load cache %s is damaged; every post is parsed again", self.path)
                return {}
            records = json.loads(payload)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("load cache %s cannot be read (%s); every post is parsed again", self.path, error)
            return {}
        return records if isinstance(records, dict) else {}

    def write(self, records: dict[str, Any]) -> None:
        """Keep these records for the next load; a cache that cannot be written is only a slower restart."""
        if self.path is None:
            return
        payload = json.dumps({k: v for k, v in records.items() if v is not None}, ensure_ascii=False)
        try:
            write_atomic(self.path, seal(payload.encode()))
        except OSError as error:
            log.warning("load cache %s cannot be written: %s", self.path, error)


def _loader_salt(config: Config) -> str:
    """A hash of the loader's code and versions, and of every setting: any change starts a new cache file."""
    salt = hashlib.sha256(f"{LOADER_VERSION}\0{sys.version}\0{yaml.__version__}\0".encode())
    settings = {k: v for k, v in config.as_dict().items() if k not in ("cache_dir", "content_dir")}
    salt.update(json.dumps(settings, sort_keys=True).encode())
    for name in _LOADER_MODULES:
        try:
            salt.update(Path(__file__).with_name(f"{name}.py").read_bytes())
        except OSError:
            salt.update(name.encode())
    return salt.hexdigest()[:32]


def _moment(value: datetime | None) -> list[Any] | None:
    """A datetime as JSON: naive ISO text and its zone (an IANA name, or a fixed offset in microseconds)."""
    if value is None:
        return None
    zone = value.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key and not value.fold:
        return [value.replace(tzinfo=None).isoformat(), zone.key]
    if isinstance(zone, timezone) and not value.fold:
        return [value.replace(tzinfo=None).isoformat(), zone.utcoffset(None) // timedelta(microseconds=1)]
    raise ValueError(f"cannot keep {value!r}")


def _unmoment(data: list[Any] | None) -> datetime | None:
    if data is None:
        return None
    naive, zone = data
    tz = ZoneInfo(zone) if isinstance(zone, str) else timezone(timedelta(microseconds=zone))
    return datetime.fromisoformat(naive).replace(tzinfo=tz)


def _encode_parsed(parsed: Parsed) -> Any:
    """A Parsed as JSON data; None (not kept) when it holds something JSON cannot carry exactly."""
    post = parsed.post
    try:
        fields = None
        if post is not None:
            fields = [
                post.id, post.url, post.title, _moment(post.published), _moment(post.updated), post.author,
                list(post.tags), list(post.categories), post.excerpt, post.reading_time, post.image,
            ]  # fmt: skip
        return {
            "post": fields,
            "problems": [[p.source, p.field, p.reason] for p in parsed.problems],
            "modified": [_moment(parsed.modified), parsed.modified_at, _moment(parsed.published)],
        }
    except ValueError:
        return None


def _decode_parsed(record: Any, source: str, digest: str) -> Parsed | None:
    """The Parsed a record holds, or None when it does not hold one."""
    try:
        fields = record["post"]
        post = None
        if fields is not None:
            id_, url, title, published, updated, author, tags, categories, excerpt, reading_time, image = fields
            post = Post(
                source=source,
                id=id_,
                url=url,
                title=title,
                published=_unmoment(published),
                updated=_unmoment(updated),
                author=author,
                tags=tuple(_shared(tags)),
                categories=tuple(_shared(categories)),
                excerpt=excerpt,
                reading_time=reading_time,
                image=image,
                digest=digest,
            )
        modified, modified_at, since = record["modified"]
        problems = tuple(Problem(*problem) for problem in record["problems"])
        return Parsed(source, post, problems, _unmoment(modified), modified_at, _unmoment(since))
    except (KeyError, TypeError, ValueError):
        return None


_LABELS: dict[str, str] = {}


def _shared(labels: list[str]) -> list[str]:
    """One string object per label spelling across all posts (JSON gives each occurrence its own)."""
    return [_LABELS.setdefault(label, label) for label in labels]


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
    block = text[opening.end() : closing.start()]
    meta = simple_yaml(block)
    if meta is None:
        meta = _yaml(block, source)
    return meta, text[closing.end() :].strip()


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


# The front matter Jekyll posts are written with is a flat mapping of one-line values: quoted strings,
# lists of quoted strings, plain words and numbers. simple_yaml() reads exactly that much of YAML and
# gives up (None) on anything else, which PyYAML then reads: a value it returns is the one PyYAML gives.
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: +(.*?))? *")
_ITEM_LINE = re.compile(r"( *)- +(.*?) *")
_DOUBLE_QUOTED = re.compile(r'"([^"\\]*)" *')
_SINGLE_QUOTED = re.compile(r"'([^']*)' *")
_QUOTED_ITEM = r"""(?:"[^"\\]*"|'[^']*')"""
_FLOW_LIST = re.compile(rf"\[ *(?:{_QUOTED_ITEM} *(?:, *{_QUOTED_ITEM} *)*)?\] *")
_FLOW_ITEM = re.compile(r""""([^"\\]*)"|'([^']*)'""")
# Characters YAML does not allow, or treats specially (tab, CR, BOM), anywhere in the block: PyYAML reads it.
# (U+2028 and U+2029 are line breaks to YAML.)
_NOT_SIMPLE = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
# A plain scalar must not start with a YAML indicator (YAML 1.1 §4.1.2 / 1.2 §5.3).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_PLAIN_INT = re.compile(r"0|[1-9][0-9]*")
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_RESOLVER = Resolver()
_GIVE_UP = object()


def _scalar(text: str) -> object:
    """A one-line scalar's value, or _GIVE_UP when only PyYAML can say."""
    if text[0] == '"':
        match = _DOUBLE_QUOTED.fullmatch(text)
        return match.group(1) if match else _GIVE_UP
    if text[0] == "'":
        match = _SINGLE_QUOTED.fullmatch(text)
        return match.group(1) if match else _GIVE_UP
    if text[0] in _INDICATORS or " #" in text or ": " in text or text.endswith(":"):
        return _GIVE_UP
    # The resolver PyYAML's SafeLoader uses: "2025-01-01", "true", "1.5", "~" are not strings.
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))
    if tag == _STR:
        return text
    if tag == _INT and _PLAIN_INT.fullmatch(text):
        return int(text)
    return _GIVE_UP


def simple_yaml(block: str) -> dict[str, object] | None:
    """The mapping a simple front matter block holds, or None when PyYAML must read it."""
    if _NOT_SIMPLE.search(block):
        return None
    meta: dict[str, object] = {}
    items: list[object] | None = None  # the block list being read, after a "key:" with no value
    list_key = ""
    indent = -1
    for line in block.split("\n"):
        if not line.strip(" "):
            continue
        if items is not None and line[0] in " -":
            match = _ITEM_LINE.fullmatch(line)
            if match is None or (indent >= 0 and len(match.group(1)) != indent) or not match.group(2):
                return None
            indent = len(match.group(1))
            value = _scalar(match.group(2))
            if value is _GIVE_UP:
                return None
            items.append(value)
            meta[list_key] = items
            continue
        match = _KEY_LINE.fullmatch(line)
        if match is None or _RESOLVER.resolve(ScalarNode, match.group(1), (True, False)) != _STR:
            return None
        key, text = match.groups()
        items, indent = None, -1
        if not text:
            # A key with nothing after it is null, unless a block list follows.
            meta[key] = None
            items = []
            list_key = key
            continue
        if text[0] == "[":
            if not _FLOW_LIST.fullmatch(text):
                return None
            meta[key] = [double or single for double, single in _FLOW_ITEM.findall(text)]
            continue
        value = _scalar(text)
        if value is _GIVE_UP:
            return None
        meta[key] = value
    return meta
