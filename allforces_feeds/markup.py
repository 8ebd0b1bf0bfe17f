"""Markdown to sanitized HTML, and the summary taken from it."""

from __future__ import annotations

import threading

import markdown

from .excerpts import excerpt, html_to_text
from .models import Post, Rendered
from .sanitize import sanitize

# Bump when the HTML this module writes changes: it is part of every cache key.
RENDERER_VERSION = "1"
MARKDOWN_EXTENSIONS = ("extra", "sane_lists")
_local = threading.local()


def _converter() -> markdown.Markdown:
    """One Markdown instance per thread; reset() between documents is cheaper than a new one."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown.Markdown(extensions=list(MARKDOWN_EXTENSIONS))
    return converter


def render(post: Post, base_url: str, excerpt_length: int) -> Rendered:
    """The post's body as sanitized HTML, and its summary (front matter excerpt wins)."""
    converter = _converter()
    try:
        html = sanitize(converter.convert(post.body), base_url)
    finally:
        converter.reset()
    summary = post.excerpt if post.excerpt is not None else excerpt(html_to_text(html), excerpt_length)
    return Rendered(html=html, summary=summary)
