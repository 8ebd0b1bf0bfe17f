"""Plain text as every stage writes it: NFC, white space folded."""

from __future__ import annotations

import unicodedata

import regex

# \s in `regex` is Unicode white space, the ideographic space U+3000 included.
_WHITESPACE = regex.compile(r"\s+")


def plain(text: str) -> str:
    """NFC with every run of white space collapsed to one space, trimmed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
