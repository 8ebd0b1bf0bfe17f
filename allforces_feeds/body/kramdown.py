"""Markdown to HTML as Jekyll 4.3 writes it (kramdown 2.4, GFM parser, rouge), on Python-Markdown and Pygments."""

from __future__ import annotations

import copy
import hashlib
import html
import re
import sys
import threading
import unicodedata
import xml.etree.ElementTree as etree
from functools import cache
from pathlib import Path

import markdown
import pygments
import regex
from markdown.extensions.footnotes import NBSP_PLACEHOLDER, FootnoteExtension
from markdown.inlinepatterns import AUTOMAIL_RE, SimpleTagInlineProcessor, SubstituteTagInlineProcessor
from markdown.treeprocessors import Treeprocessor
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from ..typography import typography
from . import kramdown_ext as ext

# Bump when the HTML changes for a reason the fingerprint's versions and source bytes do not show.
VERSION = "1"
# Jekyll 4.3's kramdown defaults, as `Jekyll.configuration["kramdown"]` prints them.
OPTIONS = "input=GFM,auto_ids=true,smart_quotes=lsquo,rsquo,ldquo,rdquo,hard_wrap=false,footnote_nr=1,rouge"
EXTENSIONS = ("abbr", "def_list", "md_in_html", "sane_lists", "tables")
_HEADERS = ("h1", "h2", "h3", "h4", "h5", "h6")
_local = threading.local()


def render_code(code: str, lang: str | None) -> str:
    """A code block as Jekyll's rouge highlighter wraps it (kramdown docs: "Syntax Highlighting With Rouge")."""
    name = (lang or "plaintext").lower()
    if name in ("plaintext", "plain", "text"):
        body = html.escape(code, quote=False)
    else:
        try:
            lexer = get_lexer_by_name(name, stripnl=False, ensurenl=True)
        except ClassNotFound:
            # Jekyll leaves a language rouge does not know unhighlighted and unwrapped.
            return (
                f'<pre><code class="language-{html.escape(lang or "")}">{html.escape(code, quote=False)}</code></pre>'
            )
        # Rouge writes no span for whitespace tokens, Pygments writes class "w": unwrap them.
        body = re.sub(r'<span class="w">([^<]*)</span>', r"\1", pygments.highlight(code, lexer, _FORMATTER))
    if not body.endswith("\n"):
        body += "\n"
    return (
        f'<div class="language-{html.escape(lang or "plaintext")} highlighter-rouge"><div class="highlight">'
        f'<pre class="highlight"><code>{body}</code></pre></div></div>'
    )


_FORMATTER = HtmlFormatter(nowrap=True)
_BLOCK_IAL = re.compile(r"^\{:[ ]*([^\}\n ][^\n]*)\}[ ]*$")
_TRAILING_IAL = re.compile(r"\n[ ]*\{:[ ]*([^\}\n ][^\n]*)\}[ ]*$")


class BlockIalProcessor(Treeprocessor):
    """Block IALs on a line of their own apply to the block before (else after) them (kramdown syntax: "Block IALs")."""

    def run(self, root: etree.Element) -> None:
        """Move standalone and list-ending IALs to their block before attr_list runs."""
        attrs = ext.KramdownAttrList(self.md)
        for parent in list(root.iter()):
            children = list(parent)
            for i, el in enumerate(children):
                if el.tag == "p" and not len(el) and (m := _BLOCK_IAL.match((el.text or "").strip())):
                    target = children[i - 1] if i else (children[i + 1] if i + 1 < len(children) else None)
                    if target is not None:
                        attrs.assign_attrs(target, m.group(1))
                    parent.remove(el)
                elif el.tag in ("ul", "ol") and len(el):
                    # An IAL right after the last item is kramdown's list IAL, not the item's.
                    holder = el[-1][-1] if len(el[-1]) and el[-1][-1].tag == "p" else el[-1]
                    node, key = (holder[-1], "tail") if len(holder) else (holder, "text")
                    text = getattr(node, key) or ""
                    if m := _TRAILING_IAL.search(text):
                        setattr(node, key, text[: m.start()])
                        attrs.assign_attrs(el, m.group(1))


class TypographyProcessor(Treeprocessor):
    """Smart quotes and typographic symbols on text runs outside code (kramdown syntax: "Automatic ... Conversion")."""

    SKIP = frozenset({"code", "pre", "kbd", "samp", "script", "style", "math"})

    def run(self, root: etree.Element) -> None:
        """Convert every text run in place."""
        for el, key, after in list(ext.text_runs(root, self.SKIP)):
            setattr(el, key, typography(getattr(el, key), after))


def _raw_text(el: etree.Element, stash: list[str]) -> str:
    """kramdown-parser-gfm's update_raw_text: visible text, without footnote markers or stashed tags."""
    parts = [el.text or ""]
    for child in el:
        if not (child.tag == "sup" and (child.get("id") or "").startswith("fnref")):
            parts.append(_raw_text(child, stash))
        parts.append(child.tail or "")
    text = "".join(parts)
    text = re.sub("\x02wzxhzdk:(\\d+)\x03", lambda m: _stashed_text(stash, int(m.group(1))), text)
    return re.sub("\x02(\\d+)\x03", lambda m: chr(int(m.group(1))), text)


def _stashed_text(stash: list[str], index: int) -> str:
    """The text of a stashed raw HTML fragment (tags alone have none)."""
    return re.sub(r"<[^>]*>", "", stash[index]) if index < len(stash) else ""


# kramdown-parser-gfm's generate_gfm_header_id: NON_WORD_RE = /[^\p{Word}\- \t]/.
_NON_WORD = regex.compile(r"[^\p{Word}\- \t]")


class StructureProcessor(Treeprocessor):
    """Header ids, TOC, footnotes, code, task lists and table styles as kramdown's HTML converter writes them."""

    def run(self, root: etree.Element) -> None:
        """Rewrite the finished tree."""
        stash = [str(h) for h in self.md.htmlStash.rawHtmlBlocks]
        self.code(root)
        self.header_ids(root, stash)
        self.footnotes(root)
        for el in root.iter():
            if el.tag in ("td", "th") and el.get("style"):
                el.set("style", el.get("style", "").rstrip(";"))
            elif el.tag in ("ul", "ol"):
                el.attrib.pop("start", None)  # kramdown ignores the first number (kramdown syntax: "Lists")
                self.task_list(el)
        for parent in list(root.iter()):
            for i, el in enumerate(list(parent)):
                if el.tag in ("ul", "ol") and "toc" in el.attrib:
                    parent[i] = self.toc(root, el)

    def code(self, root: etree.Element) -> None:
        """Indented code becomes rouge-wrapped HTML; inline code gets Jekyll's plaintext classes."""
        for parent in list(root.iter()):
            for i, el in enumerate(list(parent)):
                if el.tag == "pre" and len(el) and el[0].tag == "code":
                    m = re.search(r"\blanguage-(\S+)", el.get("class", "") + " " + el[0].get("class", ""))
                    code = html.unescape(el[0].text or "").strip("\n") + "\n"
                    p = etree.Element("p")
                    p.text = self.md.htmlStash.store(render_code(code, m.group(1) if m else None))
                    p.tail = el.tail
                    parent[i] = p
                elif el.tag == "code" and parent.tag != "pre":
                    el.set("class", "language-plaintext highlighter-rouge")

    def header_ids(self, root: etree.Element, stash: list[str]) -> None:
        """GFM auto ids: downcase, drop non-word characters, spaces to dashes, "-N" for repeats."""
        counter: dict[str, int] = {}
        for el in root.iter():
            if el.tag in _HEADERS and "id" not in el.attrib:
                text = _raw_text(el, stash).replace("\u00a0", " ")
                result = _NON_WORD.sub("", text.lower()).replace(" ", "-").replace("\t", "-")
                counter[result] = counter.get(result, -1) + 1
                el.set("id", result + (f"-{counter[result]}" if counter[result] else ""))

    def toc(self, root: etree.Element, marker: etree.Element) -> etree.Element:
        """kramdown's generate_toc_tree for a "{:toc}" list (kramdown converter docs: "Automatic Table of Contents")."""
        top = etree.Element(marker.tag, {k: v for k, v in marker.attrib.items() if k != "toc"})
        top.set("id", top.get("id") or "markdown-toc")
        top.text, top.tail = "\n", marker.tail
        stack: list[tuple[int, etree.Element]] = []
        for h in root.iter():
            if h.tag not in _HEADERS or not h.get("id") or "no_toc" in (h.get("class") or "").split():
                continue
            level, hid = int(h.tag[1]), h.get("id", "")
            li = etree.Element("li")
            a = etree.SubElement(li, "a", {"href": f"#{hid}", "id": f"{top.get('id')}-{hid}"})
            a.text = h.text
            for child in h:
                if not (child.tag == "sup" and (child.get("id") or "").startswith("fnref")):
                    a.append(copy.deepcopy(child))
            while stack and stack[-1][0] >= level:
                stack.pop()
            if stack:
                sub = stack[-1][1].find(marker.tag)
                if sub is None:
                    stack[-1][1][0].tail = "\n"
                    sub = etree.SubElement(stack[-1][1], marker.tag)
                    sub.text = "\n"
                sub.append(li)
            else:
                top.append(li)
            li.tail = "\n"
            stack.append((level, li))
        return top

    def footnotes(self, root: etree.Element) -> None:
        """Python-Markdown's footnote markup renamed to kramdown's (roles, classes, no <hr>)."""
        for el in root.iter():
            cls = el.get("class")
            if el.tag == "sup" and (m := re.match(r"fnref(\d*):(.*)", el.get("id") or "")):
                # Python-Markdown names the n-th reference fnrefN:x; kramdown names it fnref:x:N-1.
                el.set("id", f"fnref:{m.group(2)}" + (f":{int(m.group(1)) - 1}" if m.group(1) else ""))
                el.set("role", "doc-noteref")
                for a in el.iter("a"):
                    a.attrib.clear()
                    a.attrib.update({"href": "#fn:" + m.group(2), "class": "footnote", "rel": "footnote"})
            elif el.tag == "div" and cls == "footnote":
                el.attrib.clear()
                el.attrib.update({"class": "footnotes", "role": "doc-endnotes"})
                for hr in el.findall("hr"):
                    el.remove(hr)
                for li in el.iter("li"):
                    if (li.get("id") or "").startswith("fn:"):
                        li.set("role", "doc-endnote")
                for node in el.iter():
                    node.text = node.text and node.text.replace(NBSP_PLACEHOLDER, " ")
                    node.tail = node.tail and node.tail.replace(NBSP_PLACEHOLDER, " ")
                    if node.get("class") == "footnote-backref":
                        node.attrib.pop("title", None)
                        node.set("class", "reversefootnote")
                        node.set("role", "doc-backlink")

    @staticmethod
    def task_list(el: etree.Element) -> None:
        """kramdown-parser-gfm's task lists: a disabled checkbox replaces "[ ]" or "[x]"."""
        tasks = False
        for li in el.findall("li"):
            holder = li[0] if len(li) and li[0].tag == "p" and not (li.text or "").strip() else li
            m = re.match(r"\s*\[([ xX])\]\s+", holder.text or "")
            if m:
                box = etree.Element("input", {"type": "checkbox", "class": "task-list-item-checkbox"})
                box.set("disabled", "disabled")
                if m.group(1) != " ":
                    box.set("checked", "checked")
                box.tail = (holder.text or "")[m.end() :]
                holder.text = ""
                holder.insert(0, box)
                tasks = True
            if tasks:
                li.set("class", "task-list-item")
        if tasks:
            el.set("class", "task-list")


def _converter() -> markdown.Markdown:
    """One converter per thread: Python-Markdown instances keep state while converting."""
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(extensions=[*EXTENSIONS, FootnoteExtension(USE_DEFINITION_ORDER=False)])
        # kramdown-parser-gfm's ESCAPED_CHARS_GFM adds these to Markdown's escapable characters.
        md.ESCAPED_CHARS.extend(c for c in "\"':|$=~<>" if c not in md.ESCAPED_CHARS)
        md.preprocessors.register(ext.FencedCodePreprocessor(md, render_code), "kramdown_fence", 25)
        md.preprocessors.register(ext.AldPreprocessor(md), "kramdown_ald", 24)
        md.preprocessors.register(ext.ListIndentPreprocessor(md), "kramdown_list_indent", 19)
        md.inlinePatterns.register(ext.AngleQuoteProcessor(r"<<|>>", md), "kramdown_angle_quotes", 95)
        md.parser.blockprocessors.register(ext.ListAfterParagraphProcessor(md.parser), "kramdown_list_start", 12)
        md.inlinePatterns.register(SubstituteTagInlineProcessor(r"\\(?=\n)", "br"), "kramdown_backslash_br", 185)
        del_re = r"(~~)(?!\s|~)((?s:.*?)[^\s~])~~"  # kramdown-parser-gfm's STRIKETHROUGH_MATCH
        md.inlinePatterns.register(SimpleTagInlineProcessor(del_re, "del"), "kramdown_del", 65)
        md.inlinePatterns.register(ext.AutomailProcessor(AUTOMAIL_RE, md), "automail", 110)
        md.treeprocessors.register(BlockIalProcessor(md), "kramdown_block_ial", 9)
        md.treeprocessors.register(ext.KramdownAttrList(md), "attr_list", 8)
        md.treeprocessors.register(TypographyProcessor(md), "kramdown_typography", 7)
        md.treeprocessors.register(StructureProcessor(md), "kramdown_structure", 6)
        _local.md = md
    return md


# kramdown's extensions that write nothing: comments and options (kramdown syntax, "Extensions").
_SILENT_EXTENSIONS = re.compile(r"\{::comment\}.*?\{:/(?:comment)?\}|\{::(?:comment|options)\b[^}]*/\}", re.S)


def to_html(text: str) -> str:
    """Markdown (after Liquid) to HTML as kramdown writes it."""
    md = _converter()
    try:
        return md.convert(_SILENT_EXTENSIONS.sub("", text))
    finally:
        md.reset()


@cache
def fingerprint() -> str:
    """Versions of every library and option that shape the HTML, for cache keys."""
    digest = hashlib.sha256()
    for part in (VERSION, OPTIONS, ",".join(EXTENSIONS), markdown.__version__, pygments.__version__):
        digest.update(part.encode() + b"\0")
    for part in (regex.__version__, unicodedata.unidata_version, sys.version):
        digest.update(part.encode() + b"\0")
    here = Path(__file__)
    for path in (here, here.with_name("kramdown_ext.py"), here.parent.parent / "typography.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()
