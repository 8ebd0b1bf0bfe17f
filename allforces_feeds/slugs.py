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


# Jekyll's Utils.slugify (jekyll/utils.rb): the characters each mode replaces with "-".
_JEKYLL_MODES = {
    "default": regex.compile(r"[^\p{M}\p{L}\p{Nd}]+"),
    "pretty": regex.compile(r"[^\p{M}\p{L}\p{Nd}._~!$&'()+,;=@]+"),
}


def jekyll_slugify(text: str, mode: str = "default", cased: bool = False) -> str:
    """A slug as Jekyll's Utils.slugify writes it (for permalinks' :title and :slug), not the service's slug."""
    slug = _JEKYLL_MODES[mode].sub("-", text).strip("-")
    return slug if cased else slug.lower()
