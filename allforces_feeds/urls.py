"""Every absolute URL and path, built from the configured URLs and never from the request."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote, urljoin

from .config import Config
from .models import SITE
from .slugs import jekyll_slugify, quote_slug

# Jekyll's built-in permalink styles (jekyllrb.com/docs/permalinks/).
PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_PLACEHOLDER = re.compile(
    r":(categories|year|month|day|i_month|i_day|short_year|y_day|hour|minute|second|title|slug|output_ext|path)"
)
# Jekyll's URL.escape_path keeps RFC 3986 sub-delims and ":@" (pchar) as they are.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def permalink_path(pattern: str, local: datetime, categories: list[str], slug: str, source: str = "") -> str:
    """Expand a Jekyll permalink pattern as Jekyll's UrlDrop does, from the date in the site's time zone.

    `:title` is the slug as written (pretty mode, cased), `:slug` the slug lower-cased, categories
    lower-cased and de-duplicated; each value is escaped as URL.escape_path, then "//" squeezed.
    """
    parts: list[str] = []
    # Only the placeholders the pattern names are worked out: this runs once per post at every cold load.
    for text, name in _template(pattern):
        parts.append(text)
        if name == "year":  # the placeholders of the usual styles, here; numbers need no escaping
            parts.append(f"{local.year:04d}")
        elif name == "month":
            parts.append(f"{local.month:02d}")
        elif name == "day":
            parts.append(f"{local.day:02d}")
        elif name == "output_ext":
            parts.append(".html")
        elif name:
            parts.append(_value(name, local, categories, slug, source))
    path = "/" + "".join(parts)
    # URL#sanitize_url: no "//", no "/./" or "/../" segments, a leading slash.
    if "//" in path:
        path = _SLASHES.sub("/", path)
    return _DOT_SEGMENT.sub("/", path) if "/." in path else path


_SLASHES = re.compile(r"/{2,}")
_DOT_SEGMENT = re.compile(r"/\.{1,2}/")


@lru_cache(maxsize=64)
def _template(pattern: str) -> tuple[tuple[str, str], ...]:
    """A permalink style or pattern cut into (literal text, the placeholder after it or "")."""
    pattern = PERMALINK_STYLES.get(pattern, pattern)
    cut: list[tuple[str, str]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(pattern):
        cut.append((pattern[position : match.start()], match.group(1)))
        position = match.end()
    cut.append((pattern[position:], ""))
    return tuple(cut)


# Categories as they stand in a URL, by the post's category list: a blog has few distinct lists. Bounded as
# the label memo is (load/fields.py): a process that reloads again and again starts over past this size.
_CATEGORY_PATHS: dict[tuple[str, ...], str] = {}
_CATEGORY_PATHS_MAX = 10_000


def _value(name: str, local: datetime, categories: list[str], slug: str, source: str) -> str:
    """One placeholder's value, escaped as URL.escape_path."""
    if name == "categories":
        key = tuple(categories)
        found = _CATEGORY_PATHS.get(key)
        if found is None:
            if len(_CATEGORY_PATHS) >= _CATEGORY_PATHS_MAX:
                _CATEGORY_PATHS.clear()
            joined = "/".join(dict.fromkeys(c.lower() for c in categories))
            found = _CATEGORY_PATHS[key] = quote(joined, safe=_PATH_SAFE)
        return found
    if name == "title":
        return quote(jekyll_slugify(slug, "pretty", cased=True), safe=_PATH_SAFE)
    values: dict[str, Callable[[], str]] = {
        "year": lambda: f"{local.year:04d}",
        "month": lambda: f"{local.month:02d}",
        "day": lambda: f"{local.day:02d}",
        "output_ext": lambda: ".html",
        "i_month": lambda: str(local.month),
        "i_day": lambda: str(local.day),
        "short_year": lambda: f"{local.year % 100:02d}",
        "y_day": lambda: f"{local.timetuple().tm_yday:03d}",
        "hour": lambda: f"{local.hour:02d}",
        "minute": lambda: f"{local.minute:02d}",
        "second": lambda: f"{local.second:02d}",
        "slug": lambda: jekyll_slugify(slug),
        # Document#cleaned_relative_path: the file's path without its extension and its first "_posts".
        "path": lambda: source.rsplit(".", 1)[0].replace("_posts", "", 1),
    }
    return quote(values[name](), safe=_PATH_SAFE)


def jekyll_feed_id(path: str, slug: str) -> str:
    """The site-relative id jekyll-feed gives a post: Document#id, the URL's folder joined with the slug."""
    folder = path.rstrip("/").rsplit("/", 1)[0]  # Ruby's File.dirname ignores a trailing slash
    # absolute_url normalizes the URI (Addressable): what is not already escaped is percent-encoded.
    return quote(f"{folder}/{slug}", safe=_PATH_SAFE + "%")


def tag_uri(authority: str, published: datetime, file_slug: str) -> str:
    """A tag: URI (RFC 4151) from the authority, the post's own date and its file slug."""
    if published.year < 1000:  # strftime's %Y does not pad every year to four digits
        return f"tag:{authority},{published:%Y-%m-%d}:{quote(file_slug, safe='')}"
    day = f"{published.year}-{published.month:02d}-{published.day:02d}"
    return f"tag:{authority},{day}:{quote(file_slug, safe='')}"


@dataclass(frozen=True)
class Urls:
    """Builds every URL from SITE_URL (the blog) and PUBLIC_URL (this service)."""

    config: Config

    def post(self, path: str) -> str:
        """A post's absolute link on the blog."""
        return self.config.site_url + path

    def site_resource(self, reference: str) -> str:
        """A blog-relative reference (image, link) made absolute against SITE_URL."""
        return urljoin(self.config.site_url + "/", reference)

    def scope_path(self, kind: str, slug: str) -> str:
        """Path of a scope's own folder here: "/" for the site, "/tags/<slug>/" for a tag."""
        return "/" if kind == SITE else f"/{kind}/{quote_slug(slug)}/"

    def feed_path(self, kind: str, slug: str, filename: str) -> str:
        """Canonical path of one feed file ("feed.xml", "atom.xml", "feed.json") of a scope."""
        return self.scope_path(kind, slug) + filename

    def archive_path(self, kind: str, slug: str, number: int, filename: str) -> str:
        """Path of one archive document of a scope's feed (RFC 5005 §4): "/tags/<slug>/archive/3/atom.xml"."""
        return f"{self.scope_path(kind, slug)}archive/{number}/{filename}"

    def feed(self, kind: str, slug: str, filename: str) -> str:
        """Absolute URL of one feed file of a scope."""
        return self.public(self.feed_path(kind, slug, filename))

    def page(self, kind: str, slug: str) -> str:
        """Absolute URL of a scope's human page here."""
        return self.public(self.scope_path(kind, slug))

    def blog_page(self, kind: str, slug: str) -> str:
        """The label's page on the blog: the feed's alternate (home) link."""
        return self.config.site_url + ("/" if kind == SITE else f"/{kind}/{quote_slug(slug)}/")

    def home(self) -> str:
        """The blog's home page."""
        return self.blog_page(SITE, "")

    def public(self, path: str) -> str:
        """Absolute URL of one of this service's own resources."""
        return self.config.public_url + path
