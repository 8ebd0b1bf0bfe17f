"""Input bounds checked at load time: post size, labels, YAML aliases and nesting, line lengths, XML characters.

A post that breaks a bound is refused with a Problem (file, field, reason) and every other post is served:
nothing here lets a hostile file cost more than its bound in memory or time, before or after it is read.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import frontmatter
import yaml
from frontmatter.default_handlers import JSONHandler, YAMLHandler

from ..errors import ContentError
from ..models import Problem
from .simple_yaml import read_simple

if TYPE_CHECKING:
    from ..config import Config

# XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. Everything
# else (C0 controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF) makes lxml refuse the string ("All strings
# must be XML compatible"). The same section discourages C1 controls but NEL ([#x7F-#x84], [#x86-#x9F]) and the
# noncharacters ([#xFDD0-#xFDEF], #xnFFFE and #xnFFFF of every plane): mojibake or garbage in a Japanese post,
# and feed validators warn about them, so they go too. Written as the complement of what stays: Python's re
# scans a negated class of ranges about ten times faster than the list of what goes (36 µs for a 7 KB body).
_PLANES = "".join(f"{chr(plane << 16)}-{chr(plane << 16 | 0xFFFD)}" for plane in range(1, 17))
XML_FORBIDDEN_CLASS = f"[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd{_PLANES}]"


@dataclass(frozen=True)
class Limits:
    """The bounds of one post; the first three are settings (config.py), the rest fixed."""

    # ALLFORCES_POST_MAX_BYTES: Japanese posts are 3-30 KB; a few MB is a whole book.
    post_max_bytes: int = 4 * 1024 * 1024
    # ALLFORCES_LABELS_MAX: tags plus categories of one post are a dozen at most in practice.
    labels_max: int = 200
    # ALLFORCES_LABEL_MAX_CHARS: a label is a word or a short phrase.
    label_max_chars: int = 200
    # Values of the front matter with every alias followed: a YAML 1.1 alias (*a) repeats its anchor's
    # whole value, so ten nested lists of ten aliases (a 1 KB "billion laughs") are 10^10 values.
    yaml_values_max: int = 10_000
    # Depth of the front matter's lists and mappings (libyaml stops at 1000, Python's recursion limit near it).
    nesting_max: int = 32
    # Longest line of a post: Markdown's inline parsing works line by line, a minified blob is not prose.
    line_max_chars: int = 65_536


DEFAULT_LIMITS = Limits()


def limits_of(config: Config) -> Limits:
    """The limits the settings ask for (the fixed ones at their defaults)."""
    return _limits(config.post_max_bytes, config.labels_max, config.label_max_chars)


@lru_cache(maxsize=16)
def _limits(post_max_bytes: int, labels_max: int, label_max_chars: int) -> Limits:
    """The Limits of these settings, made once (every post asks for them)."""
    return Limits(post_max_bytes=post_max_bytes, labels_max=labels_max, label_max_chars=label_max_chars)


class TooLarge(OSError):
    """A file larger than POST_MAX_BYTES: reported as unreadable, never read whole (EFBIG)."""

    def __init__(self, size: int, limit: int) -> None:
        """Name the size and the setting that bounds it."""
        shown = f"{size:,} bytes" if size > limit else "more bytes"
        super().__init__(errno.EFBIG, f"{shown} than ALLFORCES_POST_MAX_BYTES={limit:,} allows")


def read_bounded(descriptor: int, limit: int, size: int | None = None) -> bytes:
    """At most `limit` bytes from an open file; TooLarge as soon as it holds more (it may be growing, or a pipe).

    `size` is the file's size if the caller has its status already (os.fstat otherwise).
    """
    if size is None:
        size = os.fstat(descriptor).st_size
    if size > limit:
        raise TooLarge(size, limit)
    # One read when the size is known; a file that grows or a device that never ends stops at limit + 1.
    chunks = [os.read(descriptor, size + 1)]
    total = len(chunks[0])
    while chunks[-1]:
        if total > limit:
            raise TooLarge(total, limit)
        chunks.append(os.read(descriptor, min(1 << 20, limit + 1 - total)))
        total += len(chunks[-1])
    if total > limit:
        raise TooLarge(total, limit)
    return b"".join(chunks)


def inside(root: Path, path: Path) -> Path | None:
    """The real path of `path` when it resolves (symlinks followed) to a place inside `root`, else None."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return Path(real) if os.path.commonpath((real_root, real)) == real_root else None


def check_lines(text: str, source: str, limits: Limits) -> None:
    """ContentError when a line of the text is longer than line_max_chars."""
    if len(text) <= limits.line_max_chars:
        return  # no line can be longer than the text: the common case costs nothing
    start = 0
    number = 1
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - start > limits.line_max_chars:
            raise ContentError(
                source, "text", f"line {number} has {end - start:,} characters, more than {limits.line_max_chars:,}"
            )
        start = end + 1
        number += 1


def check_labels(items: list[object], source: str, name: str, limits: Limits) -> None:
    """ContentError when a post names more labels than labels_max (checked before any is read)."""
    if len(items) > limits.labels_max:
        raise ContentError(
            source, name, f"{len(items):,} labels, more than ALLFORCES_LABELS_MAX={limits.labels_max} allows"
        )


def check_label(label: str, source: str, name: str, limits: Limits) -> None:
    """ContentError when one label is longer than label_max_chars."""
    if len(label) > limits.label_max_chars:
        raise ContentError(
            source,
            name,
            f"a label of {len(label):,} characters ({label[:40]!r}…), "
            f"more than ALLFORCES_LABEL_MAX_CHARS={limits.label_max_chars} allows",
        )


# -- YAML ------------------------------------------------------------------------------------------------
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


class _Loader(_Base):
    """PyYAML's safe loader (libyaml) whose strings lose the characters XML forbids, once YAML unescaped them."""

    def __init__(self, stream: str) -> None:
        """Read this text; no character removed yet."""
        super().__init__(stream)
        self.removed: list[str] = []


def _text(loader: Any, node: yaml.ScalarNode) -> str:
    """A YAML string after its escapes ("\\x01", "\\uFFFE") were read: what XML cannot hold removed."""
    return strip_forbidden(str(loader.construct_scalar(node)), loader.removed)


_Loader.add_constructor("tag:yaml.org,2002:str", _text)


def load_yaml(text: str, source: str, limits: Limits = DEFAULT_LIMITS, removed: list[str] | None = None) -> object:
    """The YAML document's value: composed first (aliases are shared nodes then), measured, then built.

    Characters XML forbids that YAML escapes wrote ("\x01", "\ufffe") are removed and added to `removed`.
    """
    simple = read_simple(text)
    if simple is not None and _within(simple, limits):
        # The shape most posts write (load/simple_yaml.py): exactly PyYAML's value, a tree well within the bounds.
        return simple
    if not _MAY_EXPAND.search(text):
        # No anchor, alias or escape: nothing can expand or unescape, so libyaml builds it all in C
        # (twice as fast a cold load), and the values are measured once built.
        value = yaml.load(text, Loader=yaml.CSafeLoader)
        _measure_value(value, source, limits)
        return value
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node, source, limits)
        value = loader.construct_document(node)
    finally:
        loader.dispose()
    if removed is not None:
        removed.extend(loader.removed)
    return value


# What lets a YAML text grow or change as it is read: anchors and aliases (YAML 1.1 §3.2.2.2), escapes.
_MAY_EXPAND = re.compile(r"[&*\\]")


def _within(mapping: dict[str, Any], limits: Limits) -> bool:
    """Whether read_simple()'s mapping (scalars and lists of scalars: three levels at most) is within the bounds."""
    count, depth = 1 + 2 * len(mapping), 2
    for value in mapping.values():
        if type(value) is list:
            count += len(value)
            depth = 3 if value else depth
    return count <= limits.yaml_values_max and depth <= limits.nesting_max


def _measure_value(value: object, source: str, limits: Limits) -> None:
    """ContentError when a built value (no aliases: a tree) holds too many values or nests too deep."""
    count = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > limits.yaml_values_max:
            raise ContentError(source, "front matter", f"more than {limits.yaml_values_max:,} values")
        if depth > limits.nesting_max:
            raise ContentError(source, "front matter", f"nested more than {limits.nesting_max} levels deep")
        if isinstance(item, dict):
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list):
            stack.extend((part, depth + 1) for part in item)


def _children(node: yaml.Node) -> list[yaml.Node]:
    """The nodes a collection node holds (a mapping's keys and values), none for a scalar."""
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _measure(root: yaml.Node, source: str, limits: Limits) -> None:
    """ContentError when the document, aliases expanded, holds too many values, nests too deep, or is recursive.

    An alias is the very node of its anchor, so the composed document is a graph of shared nodes: each is
    measured once (its expanded size and depth remembered), which takes time in the document's length, not
    in the size it would expand to. No recursion: the walk keeps its own stack.
    """
    measured: dict[int, tuple[int, int]] = {}
    path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            sizes = [measured[id(child)] for child in _children(node)]
            size = 1 + sum(size for size, _ in sizes)
            depth = 1 + max((depth for _, depth in sizes), default=0)
            if size > limits.yaml_values_max:
                reason = f"more than {limits.yaml_values_max:,} values once its aliases are expanded"
                raise ContentError(source, "front matter", reason)
            if depth > limits.nesting_max:
                raise ContentError(source, "front matter", f"nested more than {limits.nesting_max} levels deep")
            measured[key] = (size, depth)
            path.discard(key)
        elif key in path:
            raise ContentError(source, "front matter", "a recursive alias (an anchor used inside its own value)")
        elif key not in measured:
            path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


class _Bounded:
    """What a bounded front matter handler knows: whose front matter it reads, its bounds, what it removed."""

    def __init__(self, source: str, limits: Limits) -> None:
        """Remember whose front matter this is and its bounds."""
        super().__init__()
        self.source = source
        self.limits = limits
        self.removed: list[str] = []


class _BoundedYAML(_Bounded, YAMLHandler):
    """python-frontmatter's YAML handler with load_yaml: aliases bounded, strings XML-clean."""

    def load(self, fm: str, **kwargs: object) -> Any:
        """The front matter's value, bounded."""
        return load_yaml(fm, self.source, self.limits, self.removed)


class _BoundedJSON(_Bounded, JSONHandler):
    """python-frontmatter's JSON handler whose value is measured and cleaned like YAML's ("\u0001" is JSON too)."""

    def load(self, fm: str, **kwargs: object) -> Any:
        """The front matter's value, nesting bounded, strings XML-clean."""
        try:
            value = super().load(fm, **kwargs)
        except RecursionError:  # json nests by recursion: a thousand "[" end it
            reason = f"nested more than {self.limits.nesting_max} levels deep"
            raise ContentError(self.source, "front matter", reason) from None
        return _clean_tree(value, self.source, self.limits, 1, self.removed)


def front_matter_handler(text: str, source: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The bounded handler of the text's front matter (YAML between --- lines, or JSON), None without one."""
    found = frontmatter.detect_format(text, frontmatter.handlers)
    if isinstance(found, YAMLHandler):
        return _BoundedYAML(source, limits)
    if isinstance(found, JSONHandler):
        return _BoundedJSON(source, limits)
    return found


def _clean_tree(value: object, source: str, limits: Limits, depth: int, removed: list[str]) -> object:
    """A JSON value (a tree: no aliases) with its strings XML-clean; ContentError past nesting_max."""
    if depth > limits.nesting_max:
        raise ContentError(source, "front matter", f"nested more than {limits.nesting_max} levels deep")
    if isinstance(value, str):
        return strip_forbidden(value, removed)
    if isinstance(value, list):
        return [_clean_tree(item, source, limits, depth + 1, removed) for item in value]
    if isinstance(value, dict):
        return {
            strip_forbidden(str(k), removed): _clean_tree(v, source, limits, depth + 1, removed)
            for k, v in value.items()
        }
    return value


def removed_problem(source: str, removed: list[str]) -> Problem | None:
    """The problem that names the characters the front matter's escapes wrote and XML forbids, if any."""
    if not removed:
        return None
    shown = ", ".join(f"U+{ord(c):04X}" for c in sorted(set(removed))[:8])
    return Problem(source, "front matter", f"characters that XML forbids, written as escapes, were removed: {shown}")


# HTML numeric character references (&#1; &#x1B;): Markdown and nh3 turn them into the character itself.
_REFERENCE = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]{1,8})|0*([0-9]{1,10}));")


def references_problem(source: str, body: str) -> Problem | None:
    """The problem that names the body's numeric references to characters XML forbids, if any."""
    if "&#" not in body:
        return None
    found = []
    for match in _REFERENCE.finditer(body):
        code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        if code <= 0x10FFFF and XML_FORBIDDEN.match(chr(code)):
            found.append(match.group(0))
    if not found:
        return None
    shown = ", ".join(sorted(set(found))[:8])
    return Problem(source, "text", f"character references to characters that XML forbids are left out: {shown}")


# -- XML characters ------------------------------------------------------------------------------------
# One compiled pattern, shared with load/fields.py.
XML_FORBIDDEN = re.compile(XML_FORBIDDEN_CLASS)


def strip_forbidden(text: str, removed: list[str]) -> str:
    """xml_text(), adding each character it removes to `removed` (for the problem that names them)."""
    cleaned = xml_text(text)
    if cleaned is not text:
        removed.extend(XML_FORBIDDEN.findall(text))
    return cleaned


def xml_text(text: str) -> str:
    """The text without the characters XML 1.0 §2.2 forbids or discourages: safe for lxml and JSON Feed."""
    return XML_FORBIDDEN.sub("", text) if XML_FORBIDDEN.search(text) else text
