"""A post's body as Jekyll builds it: Liquid, then kramdown-compatible Markdown, then sanitized HTML and a summary."""

from __future__ import annotations

import hashlib
import sys
import unicodedata
from functools import cache
from importlib.metadata import version
from pathlib import Path

from ..config import Config
from ..load.parse import Source
from ..models import Body, Post
from . import kramdown
from .excerpts import html_to_text, summarize
from .liquid import render_liquid
from .sanitize import sanitize
from .site import BodySite

# Bump when the HTML this module writes changes: it is part of every body cache key.
RENDERER_VERSION = "2"
# The modules whose code shapes a body; their bytes are part of every cache key, so that an edited
# sanitizer or excerpt rule can never serve bodies made by the old code, bumped version or not.
_BODY_MODULES = (
    "markdown",
    "sanitize",
    "excerpts",
    "site",
    *(f.stem for f in Path(__file__).parent.glob("liquid*.py")),
)


@cache
def fingerprint() -> str:
    """RENDERER_VERSION, the versions of every library that shapes the HTML, and this code's own bytes."""
    parts = (RENDERER_VERSION, kramdown.fingerprint(), version("nh3"), version("python-liquid"))
    digest = hashlib.sha256("\0".join((*parts, unicodedata.unidata_version, sys.version)).encode())
    for name in sorted(_BODY_MODULES):
        try:
            digest.update(Path(__file__).with_name(f"{name}.py").read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


def _page(post: Post, source: Source, config: Config) -> dict[str, object]:
    """Liquid's page.*: the front matter, and what Jekyll sets itself (title, date, url, path, categories, tags)."""
    return {
        **source.meta,
        "title": post.title,
        "date": post.published.astimezone(config.site_timezone),
        "url": post.url.removeprefix(config.site_url) or "/",
        "path": post.source,
        "categories": list(post.categories),
        "tags": list(post.tags),
    }


def make_body(post: Post, source: Source, config: Config, site: BodySite) -> tuple[Body, tuple[tuple[int, str], ...]]:
    """The post's sanitized HTML and summary, and the Liquid problems found on the way (line, reason)."""
    text = source.body
    problems: tuple[tuple[int, str], ...] = ()
    if post.liquid:
        result = render_liquid(text, _page(post, source, config), site.liquid, post.source)
        text, problems = result.text, result.problems
    html = sanitize(kramdown.to_html(text), config.site_url)
    # Jekyll's excerpt: what comes before the excerpt_separator (the post's own, else the site's), when present.
    separator = str(source.meta.get("excerpt_separator") or config.excerpt_separator)
    if separator and separator in text and source.excerpt is None:
        before = sanitize(kramdown.to_html(text.split(separator, 1)[0]), config.site_url)
        summary = html_to_text(before, headings=False)
    else:
        summary = summarize(source.excerpt, html, config.excerpt_length)
    return Body(html=html, summary=summary), problems
