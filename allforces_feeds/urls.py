"""Every absolute URL and path, built from the configured URLs and never from the request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urljoin

from .config import Config
from .models import SITE
from .slugs import quote_slug

# Jekyll's built-in permalink styles (jekyllrb.com/docs/permalinks/).
PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_PLACEHOLDER = re.compile(
    r":(categories|year|month|day|i_month|i_day|short_year|y_day|hour|minute|second|title|slug|output_ext)"
)
# Jekyll's URL.escape_path keeps RFC 3986 sub-delims and ":@" (pchar) as they are.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def permalink_path(pattern: str, published: datetime, categories: tuple[str, ...], title: str) -> str:
    """Expand a Jekyll permalink pattern as Jekyll does: lower-cased categories, escaped values."""
    pattern = PERMALINK_STYLES.get(pattern, pattern)
    values = {
        "categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        "year": f"{published.year:04d}",
        "month": f"{published.month:02d}",
        "day": f"{published.day:02d}",
        "i_month": str(published.month),
        "i_day": str(published.day),
        "short_year": f"{published.year % 100:02d}",
        "y_day": f"{published.timetuple().tm_yday:03d}",
        "hour": f"{published.hour:02d}",
        "minute": f"{published.minute:02d}",
        "second": f"{published.second:02d}",
        "title": title,
        "slug": title,
        "output_ext": ".html",
    }
    path = _PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=_PATH_SAFE), pattern)
    path = re.sub(r"/{2,}", "/", "/" + path)
    return path


def tag_uri(authority: str, published: datetime, file_slug: str) -> str:
    """A tag: URI (RFC 4151) from the authority, the post's own date and its file slug."""
    return f"tag:{authority},{published:%Y-%m-%d}:{quote(file_slug, safe='')}"


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
