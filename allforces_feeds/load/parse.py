"""One post file's bytes -> a Post and its problems; and a post's body read back for rendering."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import frontmatter
import yaml

from ..config import Config
from ..dates import parse_date
from ..errors import ContentError
from ..models import Parsed, Post, Problem
from ..text import plain
from ..urls import Urls, permalink_path, tag_uri
from . import fields

# Jekyll's post file name: YYYY-MM-DD-title.ext (jekyllrb.com/docs/posts/).
_POST_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")


def parse_post(raw: bytes, digest: str, source: str, config: Config, urls: Urls) -> Parsed:
    """Everything one file's bytes give: a post (None for a draft or a broken file) and its problems."""
    problems: list[Problem] = []
    try:
        post, modified, position = _build_post(raw, digest, source, config, urls, problems)
    except ContentError as error:
        return Parsed(source, None, (*problems, error.problem))
    return Parsed(source, post, tuple(problems), modified, position)


def _build_post(
    raw: bytes, digest: str, source: str, config: Config, urls: Urls, problems: list[Problem]
) -> tuple[Post | None, datetime | None, int]:
    """The post, its last_modified_at (checked against the clock at load) and where its problem would go."""
    text = fields.decode(raw, source)
    if fields.XML_FORBIDDEN.search(text):
        problems.append(Problem(source, "text", "control characters that XML forbids were removed"))
        text = fields.XML_FORBIDDEN.sub("", text)
    meta, body = split_front_matter(text, source)
    if meta.get("published") is False or meta.get("draft") is True:
        return None, None, 0
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
    modified = fields.modified(meta.get("last_modified_at"), published, config.site_timezone, source, problems)
    position = len(problems)
    categories = fields.labels(meta.get("categories", meta.get("category")), source, "categories")
    tags = fields.labels(meta.get("tags"), source, "tags")
    pattern = str(meta.get("permalink") or config.permalink)
    post = Post(
        source=source,
        id=plain(str(meta["id"])) if meta.get("id") else tag_uri(config.tag_authority, published, file_slug),
        url=urls.post(permalink_path(pattern, published, categories, file_slug)),
        title=title,
        published=published,
        updated=published,
        author=fields.author(meta.get("author"), config.site_author, source),
        tags=tags,
        categories=categories,
        excerpt=fields.excerpt(meta),
        reading_time=fields.reading_time(meta.get("reading_time"), body),
        image=fields.image(meta.get("image"), urls, source, problems),
        digest=digest,
    )
    return post, modified, position


def split_front_matter(text: str, source: str) -> tuple[dict[str, object], str]:
    """(fields, Markdown body) by python-frontmatter (PyYAML's C loader), errors as ContentError."""
    try:
        meta, body = frontmatter.parse(text)
    except yaml.YAMLError as error:
        reason = str(error).replace("\n", " ")
        raise ContentError(source, "front matter", f"invalid YAML: {reason}") from None
    except ValueError as error:
        # PyYAML builds dates while parsing: 2025-02-30 fails here (and JSON front matter's errors too).
        raise ContentError(source, "front matter", f"impossible value: {error}") from None
    return dict(meta), body


def read_bytes(path: str | Path) -> bytes:
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
class Source:
    """A post file as it is now: its digest, its Markdown body (NFC) and its front matter excerpt."""

    digest: str
    body: str
    excerpt: str | None


def read_source(config: Config, post: Post) -> Source:
    """The post's file read back for rendering; the caller compares the digest with the loaded one."""
    raw = read_bytes(config.content_dir / post.source)
    text = fields.XML_FORBIDDEN.sub("", fields.decode(raw, post.source))
    meta, body = split_front_matter(text, post.source)
    return Source(hashlib.sha256(raw).hexdigest(), unicodedata.normalize("NFC", body), fields.excerpt(meta))
