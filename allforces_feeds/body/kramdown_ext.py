"""Python-Markdown pieces that make it parse like kramdown 2.4 with kramdown-parser-gfm 1.1 (Jekyll 4.3)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterator

from markdown import util
from markdown.blockprocessors import BlockProcessor
from markdown.extensions.attr_list import AttrListTreeprocessor
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

# --- Preprocessors -------------------------------------------------------------------------------------------------
# kramdown-parser-gfm's FENCED_CODEBLOCK_MATCH: fences may interrupt a paragraph (the paragraph_end quirk).
_FENCE = re.compile(
    r"^[ ]{0,3}(?P<fence>([~`]){3,})[ \t]*(?:(?P<lang>[^\s?]+)(?:\?\S*)?)?[ \t]*\n(?P<code>.*?)"
    r"^[ ]{0,3}(?P=fence)\2*[ \t]*(?:\n|\Z)",
    re.MULTILINE | re.DOTALL,
)
# kramdown's ALD_START: "{:name: attributes}" on a line by itself defines a reusable attribute list.
_ALD = re.compile(r"^ {0,3}\{:([A-Za-z0-9_][\w-]*):(.*)\}[ \t]*$")
_IAL = re.compile(r"\{:(?![\w-]*:)([^}]*)\}")
_REF = re.compile(r"""(?<![\w#.="'-])([A-Za-z0-9_][\w-]*)(?![\w=-])""")


class FencedCodePreprocessor(Preprocessor):
    """Stashes GFM fenced code blocks as finished HTML so that nothing else parses them."""

    def __init__(self, md: object, render: Callable[[str, str | None], str]) -> None:
        """Keep the renderer that writes a code block as Jekyll+rouge would."""
        super().__init__(md)  # type: ignore[arg-type]
        self.render = render

    def run(self, lines: list[str]) -> list[str]:
        """Replace each fenced block with a placeholder paragraph."""
        text = "\n".join(lines)

        def stash(m: re.Match[str]) -> str:
            """Placeholder of one rendered block, set off by blank lines."""
            return "\n" + self.md.htmlStash.store(self.render(m.group("code"), m.group("lang"))) + "\n\n"

        return _FENCE.sub(stash, text).split("\n")


class AldPreprocessor(Preprocessor):
    """Removes ALD definitions and expands their names inside IALs (kramdown syntax: "Attribute List Definitions")."""

    def run(self, lines: list[str]) -> list[str]:
        """Collect the definitions, then substitute references like {: ref} with the defined attributes."""
        alds: dict[str, str] = {}
        kept: list[str] = []
        for line in lines:
            m = _ALD.match(line)
            if m:
                alds[m.group(1)] = m.group(2).strip()
                kept.append("")
            else:
                kept.append(line)
        if not alds:
            return kept

        def expand(m: re.Match[str]) -> str:
            """One IAL with its references replaced."""
            body = _REF.sub(lambda r: alds.get(r.group(1), r.group(1)), m.group(1))
            return "{:" + body + "}"

        return [_IAL.sub(expand, line) if "{:" in line else line for line in kept]


_ITEM = re.compile(r"^( *)([*+-]|\d+\.)([ \t]+)(\S.*)$")


class ListIndentPreprocessor(Preprocessor):
    """Re-indents nested list content to Python-Markdown's 4 columns from kramdown's item content column."""

    def run(self, lines: list[str]) -> list[str]:
        """kramdown nests a line under the item whose content column it reaches (kramdown syntax: "Lists")."""
        out: list[str] = []
        cols: list[int] = []  # content columns of the open items, outermost first
        blank = True
        for line in lines:
            stripped = line.lstrip(" ")
            indent = len(line) - len(stripped)
            m = _ITEM.match(line)
            if not stripped:
                out.append(line)
            elif m and (cols or indent < 4):
                while cols and indent < cols[-1]:
                    cols.pop()
                out.append("    " * len(cols) + m.group(2) + " " + m.group(4))
                cols.append(indent + len(m.group(2)) + len(m.group(3).expandtabs(4)))
            elif cols and indent:
                depth = sum(1 for c in cols if c <= indent)
                extra = indent - cols[depth - 1] if depth else 0
                out.append("    " * depth + " " * extra + stripped)
            else:
                if blank:
                    cols = []
                out.append(line)
            blank = not stripped
        return out


class AngleQuoteProcessor(InlineProcessor):
    """Keeps "<<" and ">>" as text so that they become guillemets, not HTML (kramdown's typographic_syms)."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:  # type: ignore[override]  # noqa: N802
        """The two characters, untouched by later inline patterns."""
        return util.AtomicString(m.group(0)), m.start(0), m.end(0)


# --- Block level ------------------------------------------------------------------------------------------------------
# kramdown's LIST_START; with the GFM paragraph_end quirk a list may start right after a paragraph line.
_LIST_START = re.compile(r"^ {0,3}(?:[*+-]|\d+\.)[ \t]+\S")


class ListAfterParagraphProcessor(BlockProcessor):
    """Splits a paragraph block where a list starts without a blank line (GFM paragraph_end quirk)."""

    def test(self, parent: etree.Element, block: str) -> bool:
        """True when a line after the first starts a list item."""
        lines = block.split("\n")
        return not _LIST_START.match(lines[0]) and any(_LIST_START.match(line) for line in lines[1:])

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        """Put the paragraph part and the list part back as two blocks."""
        lines = blocks.pop(0).split("\n")
        cut = next(i for i, line in enumerate(lines) if i and _LIST_START.match(line))
        blocks[0:0] = ["\n".join(lines[:cut]), "\n".join(lines[cut:])]
        return True


class KramdownAttrList(AttrListTreeprocessor):
    """attr_list restricted to kramdown's syntax: block/span IALs need "{:", headers take only "{#id}"."""

    # Python-Markdown's stubs mark these Final; its code reads them from the instance, so a subclass may.
    BASE_RE = r"\{:[ ]*([^\}\n ][^\n]*)\}"  # type: ignore[misc]
    HEADER_RE = re.compile(r"[ ]+\{(#[A-Za-z][\w:-]*)\}[ ]*$")  # type: ignore[misc]
    BLOCK_RE = re.compile(rf"\n[ ]*{BASE_RE}[ ]*$")  # type: ignore[misc]
    INLINE_RE = re.compile(rf"^{BASE_RE}")  # type: ignore[misc]


# --- Span level -----------------------------------------------------------------------------------------------------


class AutomailProcessor(InlineProcessor):
    """<me@example.com> as a plain mailto link: kramdown does not obfuscate addresses."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:  # type: ignore[override]  # noqa: N802
        """The link element for one address."""
        el = etree.Element("a", {"href": "mailto:" + m.group(1)})
        el.text = util.AtomicString(m.group(1))
        return el, m.start(0), m.end(0)


def text_runs(el: etree.Element, skip: frozenset[str]) -> Iterator[tuple[etree.Element, str, str]]:
    """Each text run (element, "text" or "tail") outside `skip` tags, with what the source has after it."""
    if el.tag in skip:
        return
    if el.text:
        yield el, "text", follower(el[0] if len(el) else None, el)
    for i, child in enumerate(el):
        yield from text_runs(child, skip)
        if child.tail:
            yield child, "tail", follower(el[i + 1] if i + 1 < len(el) else None, el)


_STARTS = {"em": "*", "strong": "*", "a": "[", "img": "!", "code": "`", "br": "\n", "sup": "[", "del": "~"}


def follower(nxt: etree.Element | None, parent: etree.Element) -> str:
    """A stand-in for the Markdown source after a text run, for the look-aheads of SQ_RULES."""
    if nxt is not None:
        return _STARTS.get(nxt.tag, "<")
    return {"em": "*", "strong": "*", "del": "~", "a": "]"}.get(parent.tag, "")
