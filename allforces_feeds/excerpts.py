"""Plain text and excerpts for Japanese: cut by grapheme cluster, at a sentence end when one fits."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import regex

_WHITESPACE = re.compile(r"\s+")
_GRAPHEME = regex.compile(r"\X")
# Japanese sentences end with 。！？ (there are no spaces to cut at); a closing
# bracket or quote right after the end belongs to the sentence.
_SENTENCE_END = regex.compile(r"[。！？!?](?:[」』）)】〕”’\"'])*")
ELLIPSIS = "…"
_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table td th tr ul".split()
)


def plain(text: str) -> str:
    """NFC with every run of white space collapsed to one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, a space between blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """The plain text of an HTML fragment, white space collapsed."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return plain("".join(extractor.parts))


def excerpt(text: str, length: int) -> str:
    """At most length characters (grapheme clusters), ending at 。！？ when possible, else with …."""
    text = plain(text)
    clusters = _GRAPHEME.findall(text)
    if len(clusters) <= length:
        return text
    head = "".join(clusters[:length])
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    # A sentence end in the first third would throw most of the room away.
    if ends and len(_GRAPHEME.findall(head[: ends[-1]])) >= length // 3:
        return head[: ends[-1]]
    return "".join(clusters[: length - 1]).rstrip() + ELLIPSIS
