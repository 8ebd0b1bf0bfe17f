"""The field rules: what each front matter field may hold, read leniently, every refusal a Problem."""

from __future__ import annotations

import codecs
import math
import re
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

from ..dates import parse_date
from ..errors import ContentError
from ..models import Problem
from ..slugs import slugify
from ..text import plain
from ..urls import Urls
from . import limits

# XML 1.0 §2.2 forbids these characters anywhere in a document, or discourages them (load/limits.py).
XML_FORBIDDEN = re.compile(limits.XML_FORBIDDEN_CLASS)
# Reading speed for Japanese text, in characters a minute.
CHARS_PER_MINUTE = 500
# A blog has a few hundred labels on thousands of posts: each spelling is made plain and slugged once. The
# memo lives as long as the process, which reloads content again and again: past this size it starts over.
_LABEL_SLUGS: dict[str, tuple[str, str]] = {}
LABEL_MEMO_MAX = 100_000
# Authors, likewise: a handful of names written on every post.
_AUTHORS: dict[str, str] = {}


def decode(raw: bytes, source: str) -> str:
    """The file's text: UTF-8 (a BOM allowed), never a binary file."""
    if b"\x00" in raw:
        raise ContentError(source, "file", "binary file (holds NUL bytes), not a Markdown post")
    try:
        # As the utf-8-sig codec reads it (a BOM dropped, offsets after it), without its Python-level wrapper.
        return raw[3:].decode() if raw.startswith(codecs.BOM_UTF8) else raw.decode()
    except UnicodeDecodeError as error:
        raise ContentError(source, "file", f"not UTF-8 (byte {error.start}: {error.reason})") from None


def image(value: object, urls: Urls, source: str, problems: list[Problem]) -> str | None:
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


def excerpt(meta: dict[str, object]) -> str | None:
    """The front matter excerpt as plain text, or None."""
    value = meta.get("excerpt")
    return plain(str(value)) if value else None


def labels(value: object, source: str, name: str, bounds: limits.Limits = limits.DEFAULT_LIMITS) -> tuple[str, ...]:
    """A list, or Jekyll's space-separated string, of labels; each spelling once per slug; count and length bounded."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[object] = list(value.split())
    elif isinstance(value, list):
        items = value
    else:
        raise ContentError(source, name, f"expected a list or a space-separated string, got {value!r}")
    limits.check_labels(items, source, name, bounds)
    found: dict[str, str] = {}
    for item in items:
        text = str(item)
        known = _LABEL_SLUGS.get(text)
        if known is None:
            if len(_LABEL_SLUGS) >= LABEL_MEMO_MAX:
                _LABEL_SLUGS.clear()
            label = plain(text)
            known = _LABEL_SLUGS[text] = (label, slugify(label) if label else "")
        limits.check_label(known[0], source, name, bounds)
        if known[1]:
            found.setdefault(known[1], known[0])
    return tuple(found.values())


def author(value: object, default: str, source: str) -> str:
    """The author's name: a string, a {name: ...} mapping or the first of a list; else the site's."""
    if value is None:
        return default
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, list) and value:
        value = value[0]
    if not isinstance(value, str | int):
        raise ContentError(source, "author", f"expected a name, got {value!r}")
    text = str(value)
    name = _AUTHORS.get(text)
    if name is None:
        if len(_AUTHORS) >= LABEL_MEMO_MAX:
            _AUTHORS.clear()
        name = _AUTHORS[text] = plain(text)
    if not name:
        raise ContentError(source, "author", f"expected a name, got {value!r}")
    return name


def reading_time(value: object, body: str) -> int:
    """The front matter's minutes when a positive whole number, else estimated from the body's length."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return max(1, math.ceil(len("".join(body.split())) / CHARS_PER_MINUTE))


def modified(value: object, published: datetime, zone: tzinfo, source: str, problems: list[Problem]) -> datetime | None:
    """last_modified_at when it is a date not before publication; whether it is in the future is checked later."""
    if value is None:
        return None
    try:
        updated = parse_date(value, zone)
    except ValueError as error:
        problems.append(Problem(source, "last_modified_at", f"{error}; ignored"))
        return None
    if updated < published:
        problems.append(Problem(source, "last_modified_at", "before the post's date; ignored"))
        return None
    return updated
