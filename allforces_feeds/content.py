"""Read posts from CONTENT_DIR: front matter, dates, labels, links; every problem collected."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import frontmatter
import yaml

from .config import Config
from .dates import parse_date
from .errors import ContentError
from .excerpts import plain
from .models import Post, Problem
from .slugs import slugify
from .urls import Urls, permalink_path, tag_uri

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


def discover(content_dir: Path) -> Iterator[Path]:
    """Post files in a stable order: _posts/** when it exists, else every **/*.md but drafts."""
    posts_dir = content_dir / "_posts"
    root, suffixes = (posts_dir, POST_SUFFIXES) if posts_dir.is_dir() else (content_dir, (".md",))
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(content_dir).parts
        if path.suffix in suffixes and path.is_file() and not any(p.startswith((".", "_drafts")) for p in relative):
            yield path


def load_posts(config: Config) -> Loaded:
    """Every post under CONTENT_DIR; a broken one is reported and left out, the rest are kept."""
    loaded = Loaded()
    urls = Urls(config)
    seen_ids: dict[str, str] = {}
    seen_urls: dict[str, str] = {}
    for path in discover(config.content_dir):
        source = path.relative_to(config.content_dir).as_posix()
        try:
            post = read_post(path, source, config, urls, loaded.problems)
        except ContentError as error:
            loaded.problems.append(Problem(error.source, error.field, error.reason))
            continue
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
    return loaded


def _decode(path: Path, source: str) -> tuple[str, bytes]:
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise ContentError(source, "file", "binary file (holds NUL bytes), not a Markdown post")
    try:
        return raw.decode("utf-8-sig"), raw
    except UnicodeDecodeError as error:
        raise ContentError(source, "file", f"not UTF-8 (byte {error.start}: {error.reason})") from None


def _front_matter(text: str, source: str) -> tuple[dict[str, object], str]:
    try:
        meta, body = frontmatter.parse(text)
    except yaml.YAMLError as error:
        reason = str(error).replace("\n", " ")
        raise ContentError(source, "front matter", f"invalid YAML: {reason}") from None
    except ValueError as error:
        # PyYAML builds dates while parsing: 2025-02-30 fails here.
        raise ContentError(source, "front matter", f"impossible value: {error}") from None
    if not isinstance(meta, dict):
        raise ContentError(source, "front matter", "expected a YAML mapping of fields")
    return meta, body


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
        if label and slugify(label):
            labels.setdefault(slugify(label), label)
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


def read_post(path: Path, source: str, config: Config, urls: Urls, problems: list[Problem]) -> Post | None:
    """One post from its file; None for a draft; ContentError when it cannot be served."""
    text, raw = _decode(path, source)
    if _XML_FORBIDDEN.search(text):
        problems.append(Problem(source, "text", "control characters that XML forbids were removed"))
        text = _XML_FORBIDDEN.sub("", text)
    meta, body = _front_matter(text, source)
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
    updated = _updated(meta.get("last_modified_at"), published, config, source, problems)
    categories = _labels(meta.get("categories", meta.get("category")), source, "categories")
    tags = _labels(meta.get("tags"), source, "tags")
    pattern = str(meta.get("permalink") or config.permalink)
    url = urls.post(permalink_path(pattern, published, categories, file_slug))
    image = meta.get("image")
    if isinstance(image, dict):
        image = image.get("path")
    excerpt = meta.get("excerpt")
    return Post(
        source=source,
        id=plain(str(meta["id"])) if meta.get("id") else tag_uri(config.tag_authority, published, file_slug),
        url=url,
        title=title,
        published=published,
        updated=updated,
        author=_author(meta.get("author"), config.site_author, source),
        tags=tags,
        categories=categories,
        excerpt=plain(str(excerpt)) if excerpt else None,
        reading_time=_reading_time(meta.get("reading_time"), body),
        image=urls.site_resource(str(image)) if image else None,
        body=unicodedata.normalize("NFC", body),
        digest=hashlib.sha256(raw).hexdigest(),
    )


def _updated(value: object, published: datetime, config: Config, source: str, problems: list[Problem]) -> datetime:
    """last_modified_at when it is a date not before publication and not in the future."""
    if value is None:
        return published
    try:
        updated = parse_date(value, config.site_timezone)
    except ValueError as error:
        problems.append(Problem(source, "last_modified_at", f"{error}; ignored"))
        return published
    if updated < published:
        problems.append(Problem(source, "last_modified_at", "before the post's date; ignored"))
        return published
    if updated > datetime.now(published.tzinfo):
        problems.append(Problem(source, "last_modified_at", "in the future; ignored"))
        return published
    return updated
