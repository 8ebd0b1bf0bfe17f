"""Markdown to sanitized HTML, and the summary taken from it."""

from __future__ import annotations

import hashlib
import sys
import threading
import unicodedata
from functools import cache
from pathlib import Path

import markdown
import nh3
import regex

from .excerpts import summarize
from .models import Rendered
from .sanitize import sanitize

# Bump when the HTML this module writes changes: it is part of every cache key.
RENDERER_VERSION = "1"
MARKDOWN_EXTENSIONS = ("extra", "sane_lists")
# The modules whose code shapes a rendering; their bytes are part of every cache key, so that an edited
# sanitizer or excerpt rule can never serve renderings made by the old code, bumped version or not.
_RENDERER_MODULES = ("markup", "sanitize", "excerpts")
_local = threading.local()


@cache
def renderer_fingerprint() -> str:
    """RENDERER_VERSION, the versions of every library that shapes the HTML, and this code's own bytes."""
    digest = hashlib.sha256(
        "\0".join(
            (
                RENDERER_VERSION,
                markdown.__version__,
                nh3.__version__,
                regex.__version__,
                unicodedata.unidata_version,
                sys.version,
                ",".join(MARKDOWN_EXTENSIONS),
            )
        ).encode()
    )
    for name in _RENDERER_MODULES:
        try:
            digest.update(Path(__file__).with_name(f"{name}.py").read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


def _converter() -> markdown.Markdown:
    """One Markdown instance per thread; reset() between documents is cheaper than a new one."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown.Markdown(extensions=list(MARKDOWN_EXTENSIONS))
    return converter


def render(body: str, excerpt: str | None, base_url: str, excerpt_length: int) -> Rendered:
    """A post's Markdown body as sanitized HTML, and its summary (the front matter excerpt wins)."""
    converter = _converter()
    try:
        html = sanitize(converter.convert(body), base_url)
    finally:
        converter.reset()
    return Rendered(html=html, summary=summarize(excerpt, html, excerpt_length))
