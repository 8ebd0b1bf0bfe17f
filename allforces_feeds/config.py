"""The settings table: every setting's name, default and help, read from ALLFORCES_* variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

PREFIX = "ALLFORCES_"


@dataclass(frozen=True)
class Setting:
    """One row of the settings table."""

    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("SITE_URL", "https://allforces.jp", "Absolute URL of the blog; post links start here."),
    Setting("PUBLIC_URL", "", "Absolute URL where this service is reached (default: SITE_URL)."),
    Setting("SITE_TITLE", "ALLFORCES", "Title of the site-wide feeds."),
    Setting("SITE_DESCRIPTION", "AIと投資の最新動向を分析するブログ", "Description of the feeds."),
    Setting("SITE_LANGUAGE", "ja", "Language tag of the feeds (BCP 47)."),
    Setting("SITE_AUTHOR", "ALLFORCES編集部", "Author of posts that name none."),
    Setting("SITE_TIMEZONE", "Asia/Tokyo", "IANA time zone for dates written without an offset."),
    Setting("CONTENT_DIR", "content", "Jekyll site root or folder of Markdown posts."),
    Setting("CACHE_DIR", ".cache", "Folder for the persistent caches (renderings, front matter); empty disables them."),
    Setting("FEED_LIMIT", "20", "How many of the newest posts each feed holds (1-1000)."),
    Setting("FEED_MAX_AGE", "900", "Cache-Control max-age of feeds, in seconds (60-86400)."),
    Setting("EXCERPT_LENGTH", "120", "Longest excerpt, in characters (20-2000)."),
    Setting("TAG_AUTHORITY", "", "Authority of tag: URI ids, RFC 4151 (default: SITE_URL's host)."),
    Setting("PERMALINK", "date", "Jekyll permalink style or pattern for post links."),
)


@dataclass(frozen=True)
class Config:
    """Validated settings; build it with load_config()."""

    site_url: str
    public_url: str
    site_title: str
    site_description: str
    site_language: str
    site_author: str
    site_timezone: ZoneInfo
    content_dir: Path
    cache_dir: Path | None
    feed_limit: int
    feed_max_age: int
    excerpt_length: int
    tag_authority: str
    permalink: str

    def as_dict(self) -> dict[str, str]:
        """The settings as strings, for the fingerprint and the README table."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


def _absolute_url(name: str, value: str) -> str:
    """An absolute http(s) URL without query or fragment, trailing slash removed."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(name, value, "an absolute http(s) URL such as https://allforces.jp")
    return value.rstrip("/")


def _int_between(low: int, high: int) -> Callable[[str, str], int]:
    """A parser of whole numbers from low to high."""

    def parse(name: str, value: str) -> int:
        """The number, or a ConfigError naming the setting."""
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise ConfigError(name, value, f"a whole number from {low} to {high}")
        return number

    return parse


def _timezone(name: str, value: str) -> ZoneInfo:
    """An IANA time zone."""
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(name, value, "an IANA time zone such as Asia/Tokyo") from None


def _directory(name: str, value: str) -> Path:
    """An existing folder."""
    path = Path(value)
    if not path.is_dir():
        raise ConfigError(name, value, "an existing folder")
    return path


def _text(name: str, value: str) -> str:
    """A non-empty text, trimmed."""
    if not value.strip():
        raise ConfigError(name, value, "a non-empty text")
    return value.strip()


def load_config(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Read every setting from the environment (or overrides), validate it, and return a Config."""
    environ = os.environ if environ is None else environ
    raw = {s.name: str(overrides.get(s.name, environ.get(PREFIX + s.name, s.default))) for s in SETTINGS}
    site_url = _absolute_url("SITE_URL", raw["SITE_URL"])
    public_url = _absolute_url("PUBLIC_URL", raw["PUBLIC_URL"]) if raw["PUBLIC_URL"] else site_url
    authority = raw["TAG_AUTHORITY"] or urlsplit(site_url).hostname or ""
    if not authority or any(c in authority for c in ",:/ "):
        raise ConfigError("TAG_AUTHORITY", authority, "a domain name or e-mail address (RFC 4151)")
    return Config(
        site_url=site_url,
        public_url=public_url,
        site_title=_text("SITE_TITLE", raw["SITE_TITLE"]),
        site_description=_text("SITE_DESCRIPTION", raw["SITE_DESCRIPTION"]),
        site_language=_text("SITE_LANGUAGE", raw["SITE_LANGUAGE"]),
        site_author=_text("SITE_AUTHOR", raw["SITE_AUTHOR"]),
        site_timezone=_timezone("SITE_TIMEZONE", raw["SITE_TIMEZONE"]),
        content_dir=_directory("CONTENT_DIR", raw["CONTENT_DIR"]),
        cache_dir=Path(raw["CACHE_DIR"]) if raw["CACHE_DIR"] else None,
        feed_limit=_int_between(1, 1000)("FEED_LIMIT", raw["FEED_LIMIT"]),
        feed_max_age=_int_between(60, 86400)("FEED_MAX_AGE", raw["FEED_MAX_AGE"]),
        excerpt_length=_int_between(20, 2000)("EXCERPT_LENGTH", raw["EXCERPT_LENGTH"]),
        tag_authority=authority,
        permalink=_text("PERMALINK", raw["PERMALINK"]),
    )
