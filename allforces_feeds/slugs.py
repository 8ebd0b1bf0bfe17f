"""Japanese-safe slugs (CONTRACT.md, Feeds: Slugs) and their URL form."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from urllib.parse import quote

import regex

# Each run of characters that are not letters, marks or digits becomes one "-".
_SEPARATORS = regex.compile(r"[^\p{L}\p{M}\p{N}]+")


@lru_cache(maxsize=4096)
def slugify(label: str) -> str:
    """NFKC, case-fold, and join the runs of letters, marks and digits with "-"."""
    folded = unicodedata.normalize("NFKC", label).casefold()
    return unicodedata.normalize("NFC", _SEPARATORS.sub("-", folded).strip("-"))


def quote_slug(slug: str) -> str:
    """The slug as it stands in a URL: NFC, UTF-8, percent-encoded with uppercase hex."""
    return quote(unicodedata.normalize("NFC", slug), safe="")
