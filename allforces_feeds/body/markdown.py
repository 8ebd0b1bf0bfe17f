"""A post's Markdown body -> sanitized HTML and the summary taken from it."""

from __future__ import annotations

import hashlib
import sys
import threading
import unicodedata
from functools import cache
from importlib.metadata import version
from pathlib import Path

import markdown
import regex

from ..models import Body
from .excerpts import summarize
from .sanitize import sanitize

# Bump when the HTML this module writes changes: it is part of every body cache key.
RENDERER_VERSION = "1"
MARKDOWN_EXTENSIONS = ("extra", "sane_lists")
# The modules whose code shapes a body; their bytes are part of every cache key, so that an edited
# sanitizer or excerpt rule can never serve bodies made by the old code, bumped version or not.
_BODY_MODULES = ("markdown", "sanitize", "excerpts")
_local = threading.local()


@cache
def fingerprint() -> str:
    """RENDERER_VERSION, the versions of every library that shapes the HTML, and this code's own bytes."""
    digest = hashlib.sha256(
        "\0".join(
            (
                RENDERER_VERSION,
                version("Markdown"),
                version("nh3"),
                regex.__version__,
                unicodedata.unidata_version,
                sys.version,
                ",".join(MARKDOWN_EXTENSIONS),
            )
        ).encode()
    )
    for name in _BODY_MODULES:
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


def make_body(text: str, excerpt: str | None, base_url: str, excerpt_length: int) -> Body:
    """A post's Markdown as sanitized HTML, and its summary (the front matter excerpt wins)."""
    converter = _converter()
    try:
        html = sanitize(converter.convert(text), base_url)
    finally:
        converter.reset()
    return Body(html=html, summary=summarize(excerpt, html, excerpt_length))
