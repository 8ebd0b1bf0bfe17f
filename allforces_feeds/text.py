"""Plain text as every stage writes it: NFC, white space folded."""

from __future__ import annotations

import unicodedata

import regex

# \s in `regex` is Unicode white space, the ideographic space U+3000 included.
_WHITESPACE = regex.compile(r"\s+")


def plain(text: str) -> str:
    """NFC with every run of white space collapsed to one space, trimmed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


# Jekyll keeps a title as written; only line breaks and runs of ASCII white space fold (jekyll-feed's
# normalize_whitespace), so the ideographic space U+3000 that Japanese titles use as a separator stays.
_ASCII_SPACE = regex.compile(r"[ \t\n\r\f\v]+")


def title_text(text: str) -> str:
    """NFC with line breaks and runs of ASCII white space folded to one space; other spaces kept."""
    return _ASCII_SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip(" ")
