"""Plain text and excerpts for Japanese: cut by grapheme cluster, at a sentence end when one fits.

Japanese has no spaces between words, so an excerpt is cut by characters, never at a space;
a "character" is a grapheme cluster (UAX #29, regex's \\X), so a cut never splits an emoji
ZWJ sequence such as 👨‍👩‍👧, a flag, or a base letter from its combining marks.
"""

from __future__ import annotations

from html.parser import HTMLParser

import regex

from ..text import plain

_GRAPHEME = regex.compile(r"\X")
ELLIPSIS = "…"
# Japanese sentences end with 。！？; ASCII !? end one only before white space or the end
# ("Yahoo!ニュース" goes on). A closing bracket or quote right after the end belongs to it.
_FULL_STOPS = frozenset("。！？")
_ASCII_STOPS = frozenset("!?")
_CLOSERS = frozenset("」』）)】〕〉》］]”’\"'")
_OPENERS = frozenset("「『（(【〔〈《［[“‘")
# Left at the end of a cut they read badly before the ellipsis: "…、…", "「…".
_DANGLING = _OPENERS | frozenset("、，,・：:；; 　")
# Text inside these elements is not prose: scripts and styles, ruby readings (漢字の読み).
_RUBY_TEXT = frozenset({"rt", "rp"})
_SKIPPED = frozenset({"script", "style", "template", "noscript"}) | _RUBY_TEXT
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS = frozenset(
    "address article aside blockquote br dd details div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section summary table td th tr ul".split()
)


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, a space between blocks, without scripts or ruby readings."""

    def __init__(self, skipped: frozenset[str]) -> None:
        """Start with no text and nothing being skipped."""
        super().__init__(convert_charrefs=True)
        self.skipped = skipped
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a skipped element, or separate blocks with a space."""
        if tag in _RUBY_TEXT and self.skipping and self.skipping[-1] in _RUBY_TEXT:
            self.skipping.pop()  # HTML lets <rt> and <rp> end where the next one starts
        if tag in self.skipped:
            self.skipping.append(tag)
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        """Close a skipped element, or separate blocks with a space."""
        if tag == "ruby":
            # ... and at the end of their <ruby>.
            while self.skipping and self.skipping[-1] in _RUBY_TEXT:
                self.skipping.pop()
        if tag in self.skipped and tag in self.skipping:
            while self.skipping.pop() != tag:
                pass
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        """Keep text outside skipped elements."""
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str, headings: bool = True) -> str:
    """The plain text of an HTML fragment (entities decoded, white space collapsed); headings optional."""
    extractor = _TextExtractor(_SKIPPED if headings else _SKIPPED | _HEADINGS)
    extractor.feed(html)
    extractor.close()
    return plain("".join(extractor.parts))


def _sentence_end(clusters: list[str], limit: int) -> int:
    """How many clusters the last whole sentence within the first `limit` takes; 0 when none ends there."""
    best = 0
    i = 0
    while i < limit:
        cluster = clusters[i]
        next_cluster = clusters[i + 1] if i + 1 < len(clusters) else " "
        if cluster in _FULL_STOPS or (cluster in _ASCII_STOPS and next_cluster.isspace()):
            end = i + 1
            # "？！" and "。」" end together: take the whole run.
            while end < len(clusters) and (clusters[end] in _FULL_STOPS or clusters[end] in _CLOSERS):
                end += 1
            quoted = any(c in _CLOSERS for c in clusters[i + 1 : end])
            following = clusters[end] if end < len(clusters) else ""
            # "「おや？」と思いました": after a closing quote, a particle (hiragana) means the
            # sentence goes on; the quote was a quotation, not the end.
            if end <= limit and not (quoted and following and _is_hiragana(following)):
                best = end
            i = end
        else:
            i += 1
    return best


def _is_hiragana(cluster: str) -> bool:
    """True when the cluster starts with a hiragana letter."""
    return "\u3041" <= cluster[0] <= "\u309f"


def excerpt(text: str, length: int) -> str:
    """At most `length` characters (grapheme clusters) of plain text, ending at 。！？ when possible, else with …."""
    clusters = _GRAPHEME.findall(plain(text))
    if len(clusters) <= length:
        return "".join(clusters)
    end = _sentence_end(clusters, length)
    # A sentence end in the first third would throw most of the room away.
    if end >= max(1, length // 3):
        return "".join(clusters[:end])
    head = clusters[: max(0, length - 1)]
    while head and head[-1] in _DANGLING:
        head.pop()
    return "".join(head) + ELLIPSIS


def summarize(front_matter_excerpt: str | None, html: str, length: int) -> str:
    """A post's summary: its front matter `excerpt` when it has one, else the excerpt of its prose.

    Headings are left out: "第2工場の位置づけ" between two sentences reads as a broken one.
    """
    if front_matter_excerpt is not None and plain(front_matter_excerpt):
        return plain(front_matter_excerpt)
    return excerpt(html_to_text(html, headings=False) or html_to_text(html), length)
