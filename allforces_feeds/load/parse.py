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
from ..text import plain, title_text
from ..typography import typography
from ..urls import Urls, jekyll_feed_id, permalink_path, tag_uri
from . import fields, limits
from .jekyll import categories, titleize, with_defaults

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
    bounds = limits.limits_of(config)
    meta, body = split_front_matter(text, source, bounds, problems)
    meta = with_defaults(config.site, source, meta)
    if meta.get("published") is False or meta.get("draft") is True:
        return None, None, 0
    stem = _stem(source)
    name = _POST_NAME.match(stem)
    # Document#populate_title: the file's slug, without trailing periods; front matter `slug` wins.
    file_slug = (name.group(2) if name else stem).rstrip(".")
    slug = str(meta.get("slug") or file_slug)
    # jekyll-feed writes titles smartified (Jekyll's smartify filter: kramdown's smart quotes and symbols).
    title = typography(title_text(str(meta.get("title") or "")) or titleize(file_slug), "")
    date_value = meta.get("date") or (name.group(1) if name else None)
    if date_value is None:
        raise ContentError(source, "date", "missing: no date field and no YYYY-MM-DD- in the file name")
    try:
        published = parse_date(date_value, config.site_timezone)
    except ValueError as error:
        raise ContentError(source, "date", str(error)) from None
    modified = fields.modified(meta.get("last_modified_at"), published, config.site_timezone, source, problems)
    position = len(problems)
    in_url, listed = categories(source, meta)
    pattern = str(meta.get("permalink") or config.permalink)
    # Jekyll converts the date to the site's time zone before it builds the permalink (Utils.parse_date).
    path = permalink_path(pattern, published.astimezone(config.site_timezone), in_url, slug, source)
    if meta.get("id"):
        id_ = plain(str(meta["id"]))
    elif config.item_ids == "url":
        id_ = urls.post(jekyll_feed_id(path, slug))
    else:
        id_ = tag_uri(config.tag_authority, published, file_slug)
    post = Post(
        source=source,
        id=id_,
        url=urls.post(path),
        title=title,
        published=published,
        updated=published,
        author=fields.author(meta.get("author"), config.site_author, source),
        tags=fields.labels(meta.get("tags"), source, "tags", bounds),
        categories=fields.labels(listed, source, "categories", bounds),
        excerpt=fields.excerpt(meta),
        reading_time=fields.reading_time(meta.get("reading_time"), body),
        image=fields.image(meta.get("image"), urls, source, problems),
        digest=digest,
        liquid="{" in body and ("{{" in body or "{%" in body),
    )
    return post, modified, position


def _stem(source: str) -> str:
    """PurePosixPath(source).stem, without building a path for each post."""
    name = source.rpartition("/")[2]
    if name in ("", "."):
        return PurePosixPath(source).stem  # pathlib drops a trailing "/" or "."
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def split_front_matter(
    text: str, source: str, bounds: limits.Limits = limits.DEFAULT_LIMITS, problems: list[Problem] | None = None
) -> tuple[dict[str, object], str]:
    """(fields, Markdown body) by python-frontmatter with bounded YAML (PyYAML's C loader), errors as ContentError.

    With `problems`, characters that XML forbids written as YAML escapes or HTML references are reported there.
    """
    limits.check_lines(text, source, bounds)
    handler = limits.front_matter_handler(text, source, bounds)
    try:
        meta, body = frontmatter.parse(text, handler=handler)
    except yaml.YAMLError as error:
        reason = str(error).replace("\n", " ")
        raise ContentError(source, "front matter", f"invalid YAML: {reason}") from None
    except ValueError as error:
        # PyYAML builds dates while parsing: 2025-02-30 fails here (and JSON front matter's errors too).
        raise ContentError(source, "front matter", f"impossible value: {error}") from None
    if problems is not None:
        removed = getattr(handler, "removed", [])
        found = (limits.removed_problem(source, removed), limits.references_problem(source, body))
        problems.extend(problem for problem in found if problem is not None)
    return dict(meta), body


def read_bytes(path: str | Path, limit: int = limits.DEFAULT_LIMITS.post_max_bytes, flags: int = 0) -> bytes:
    """A file's bytes, with the fewest system calls; limits.TooLarge (an OSError) past `limit`, never read whole."""
    return read_with_status(path, limit, flags)[0]


def read_with_status(
    path: str | Path, limit: int = limits.DEFAULT_LIMITS.post_max_bytes, flags: int = 0
) -> tuple[bytes, os.stat_result]:
    """read_bytes(), and the file's status as it was opened (os.fstat): what the bytes read are the bytes of."""
    descriptor = os.open(path, os.O_RDONLY | flags)
    try:
        status = os.fstat(descriptor)
        return limits.read_bounded(descriptor, limit, status.st_size), status
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class Source:
    """A post file as it is now: its digest, its Markdown body (NFC) and its front matter excerpt."""

    digest: str
    body: str
    excerpt: str | None
    meta: dict[str, object]


def read_source(config: Config, post: Post) -> Source:
    """The post's file read back for rendering; the caller compares the digest with the loaded one."""
    bounds = limits.limits_of(config)
    # The file was checked at load; what is there now may be a symlink swapped in since: it must stay
    # inside CONTENT_DIR, and O_NOFOLLOW refuses a last component swapped between the check and the open.
    path = limits.inside(config.content_dir, config.content_dir / post.source)
    if path is None:
        raise ContentError(post.source, "file", "now a symlink that leads out of CONTENT_DIR; not read")
    raw = read_bytes(path, bounds.post_max_bytes, getattr(os, "O_NOFOLLOW", 0))
    text = fields.XML_FORBIDDEN.sub("", fields.decode(raw, post.source))
    meta, body = split_front_matter(text, post.source, bounds)
    return Source(hashlib.sha256(raw).hexdigest(), unicodedata.normalize("NFC", body), fields.excerpt(meta), meta)
