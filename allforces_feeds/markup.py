"""Markdown to sanitized HTML, and the summary taken from it."""

from __future__ import annotations

import threading
from urllib.parse import urljoin

import markdown
import nh3

from .excerpts import excerpt, html_to_text
from .models import Post, Rendered

# Bump when the HTML this module writes changes: it is part of every cache key.
RENDERER_VERSION = "1"
MARKDOWN_EXTENSIONS = ("extra", "sane_lists")
ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br caption code dd del div dl dt em figcaption figure h1 h2 h3 h4 h5 h6 "
    "hr i img ins kbd li mark ol p pre q s small span strong sub sup table tbody td tfoot th "
    "thead tr u ul".split()
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "*": {"id"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_local = threading.local()


def _converter() -> markdown.Markdown:
    """One Markdown instance per thread; reset() between documents is cheaper than a new one."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown.Markdown(extensions=list(MARKDOWN_EXTENSIONS))
    return converter


def sanitize(html: str, base_url: str) -> str:
    """Allowlisted tags, http/https/mailto URLs only, relative links made absolute against base_url."""

    def absolutize(element: str, attribute: str, value: str) -> str | None:
        if attribute in ("href", "src"):
            return urljoin(base_url + "/", value.strip())
        return value

    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=absolutize,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render(post: Post, base_url: str, excerpt_length: int) -> Rendered:
    """The post's body as sanitized HTML, and its summary (front matter excerpt wins)."""
    converter = _converter()
    try:
        html = sanitize(converter.convert(post.body), base_url)
    finally:
        converter.reset()
    summary = post.excerpt if post.excerpt is not None else excerpt(html_to_text(html), excerpt_length)
    return Rendered(html=html, summary=summary)
