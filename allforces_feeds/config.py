"""The settings table: every setting's name, default and help; read from ALLFORCES_* variables, then the
Jekyll site's _config.yml, then the defaults."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .siteconfig import SITE_KEYS, read_site_config

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
    Setting(
        "JEKYLL_CONFIG", "_config.yml", "The site's config files in CONTENT_DIR, comma-separated, later ones winning."
    ),
    Setting(
        "EXCERPT_SEPARATOR",
        "",
        "Text that ends a post's excerpt, as Jekyll's excerpt_separator (empty: cut at a sentence).",
    ),
    Setting(
        "ITEM_IDS", "tag", "Item ids: tag (RFC 4151 tag: URIs) or url (the post's URL, as jekyll-feed writes them)."
    ),
    Setting(
        "SITE_ICON", "", "Square icon of the feeds: an absolute URL or a path on SITE_URL (default: /favicon.ico)."
    ),
    Setting("SITE_LOGO", "", "Wide logo of the feeds: an absolute URL or a path on SITE_URL (default: none)."),
    Setting("POST_MAX_BYTES", "4194304", "Largest post file, in bytes (1024-67108864); a larger one is reported."),
    Setting("LABELS_MAX", "200", "Most tags (or categories) one post may name (1-10000)."),
    Setting("LABEL_MAX_CHARS", "200", "Longest tag, category or author name, in characters (1-10000)."),
    Setting("ARCHIVE_SIZE", "", "Posts per archive document of a feed, RFC 5005 (1-1000; default: FEED_LIMIT)."),
    Setting("WEBSUB_HUB", "", "WebSub hubs told of every changed feed, comma-separated URLs (default: none)."),
)
ITEM_ID_STYLES = ("tag", "url")


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
    excerpt_separator: str
    item_ids: str
    site_icon: str
    site_logo: str
    # The Jekyll site's merged config ({} for a plain folder of posts): Liquid's site.*, defaults, collections.
    site: Mapping[str, Any] = field(default_factory=dict, compare=False)
    # Where each setting's value came from: "environment", the config file's name, or "default".
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    # Input bounds (load/limits.py): a post over one is reported and left out.
    post_max_bytes: int = 4 * 1024 * 1024
    labels_max: int = 200
    label_max_chars: int = 200
    # RFC 5005 archive documents: posts per page (archives.py).
    archive_size: int = 20
    # WebSub hubs (W3C Recommendation): named in every feed and told of every change (web/websub.py).
    websub_hubs: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, str]:
        """The settings as strings, for the fingerprint and the README table."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name != "sources"}


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


def _hubs(name: str, value: str) -> tuple[str, ...]:
    """Absolute http(s) URLs, comma-separated, each once, in order; kept as written (a hub's path is its own)."""
    hubs = [part.strip() for part in value.split(",") if part.strip()]
    for hub in hubs:
        parts = urlsplit(hub)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment or "," in hub:
            raise ConfigError(name, value, "absolute http(s) URLs of WebSub hubs, comma-separated")
    return tuple(dict.fromkeys(hubs))


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


def _raw_settings(
    environ: Mapping[str, str], overrides: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """Each setting's text and its source: overrides or the environment, then the site's config, then the default."""
    raw: dict[str, str] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        if setting.name in overrides or PREFIX + setting.name in environ:
            raw[setting.name] = str(overrides.get(setting.name, environ.get(PREFIX + setting.name)))
            sources[setting.name] = "environment"
    content_dir = _directory("CONTENT_DIR", raw.get("CONTENT_DIR", "content"))
    names = raw.get("JEKYLL_CONFIG", "_config.yml")
    site = read_site_config(content_dir, names)
    for setting in SETTINGS:
        if setting.name in raw:
            continue
        found = SITE_KEYS[setting.name](site) if setting.name in SITE_KEYS else None
        raw[setting.name] = setting.default if found is None else found
        sources[setting.name] = "default" if found is None else names.split(",")[-1].strip()
    return raw, sources, site


def load_config(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Read every setting (environment or overrides, the site's _config.yml, defaults), validate it, return a Config."""
    environ = os.environ if environ is None else environ
    raw, sources, site = _raw_settings(environ, overrides)
    site_url = _absolute_url("SITE_URL", raw["SITE_URL"])
    public_url = _absolute_url("PUBLIC_URL", raw["PUBLIC_URL"]) if raw["PUBLIC_URL"] else site_url
    authority = raw["TAG_AUTHORITY"] or urlsplit(site_url).hostname or ""
    if not authority or any(c in authority for c in ",:/ "):
        raise ConfigError("TAG_AUTHORITY", authority, "a domain name or e-mail address (RFC 4151)")
    if raw["ITEM_IDS"] not in ITEM_ID_STYLES:
        raise ConfigError("ITEM_IDS", raw["ITEM_IDS"], " or ".join(ITEM_ID_STYLES))
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
        excerpt_separator=raw["EXCERPT_SEPARATOR"],
        item_ids=raw["ITEM_IDS"],
        site_icon=raw["SITE_ICON"],
        site_logo=raw["SITE_LOGO"],
        site=site,
        sources=sources,
        post_max_bytes=_int_between(1024, 64 * 1024 * 1024)("POST_MAX_BYTES", raw["POST_MAX_BYTES"]),
        labels_max=_int_between(1, 10000)("LABELS_MAX", raw["LABELS_MAX"]),
        label_max_chars=_int_between(1, 10000)("LABEL_MAX_CHARS", raw["LABEL_MAX_CHARS"]),
        archive_size=_int_between(1, 1000)("ARCHIVE_SIZE", raw["ARCHIVE_SIZE"] or raw["FEED_LIMIT"]),
        websub_hubs=_hubs("WEBSUB_HUB", raw["WEBSUB_HUB"]),
    )
