"""The front matter most posts write, read without PyYAML's Python constructor: exactly what it would give, or None.

A cold load spends most of a post's time in PyYAML building a dozen values in Python, even with libyaml
parsing. Posts write front matter as a flat mapping: `key: value` lines whose values are quoted or plain
scalars on one line, one-line flow sequences (`tags: ["AI", 投資]`) or block sequences of such scalars.
read_simple() reads that shape only, with PyYAML's own resolver and constructors for every plain scalar
(`2025-09-12`, `7`, `yes`, `~`), and gives up (None) on anything else: escapes, anchors and aliases, tags,
block scalars, nested collections, multi-line scalars, comments after a value, tabs, CR, characters YAML or
XML treat specially. PyYAML then reads the text as before (load/limits.py), bounds and all, so a refusal
only costs time. tests/load/test_simple_yaml.py compares the two over generated front matter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

_STR = "tag:yaml.org,2002:str"
# The implicit tags of plain scalars that SafeConstructor builds (merge "<<" and value "=" it refuses).
_BUILT = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))
# What the text may not hold: controls but the line feed (tab and CR too: YAML's rules for them are where readers
# differ), the backslash (escapes), NEL, U+2028 and U+2029 (line breaks to YAML 1.1), the byte order mark, and
# what XML 1.0 forbids or discourages (load/limits.py). Written as the list of what goes, in two patterns: the
# one of the first 65,536 code points is a table sre looks each character up in, the one of the noncharacters
# beyond (U+1FFFE...) a list it would walk for every character, so it only looks where such characters are.
_OTHER = re.compile("[\\x00-\\x09\\x0b-\\x1f\\\\\\x7f-\\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef\ufeff\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_NONCHARACTERS = re.compile(
    "[" + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17)) + "]"
)
# A top-level key of ours: a YAML 1.1 plain scalar of ASCII letters, digits, "_" and "-".
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")
# A block sequence entry: its indentation and its value.
_ENTRY = re.compile(r"( *)- +")
# A flow sequence entry: quoted, or plain without flow indicators, ":" or "#"; then "," or the end.
_FLOW_ENTRY = re.compile(r""" *(?:"([^"]*)"|'((?:[^']|'')*)'|([^ ,\[\]{}#:&*!|>'"%@`?\-][^,\[\]{}#:]*?)) *(,|\Z)""")
# What a plain scalar may not start with (YAML 1.1 §4.2 indicators, "-", "?" and ":" included).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_RESOLVER = Resolver()
# PyYAML's resolver, typed: the tag of a plain scalar (implicit (True, False)) or of a quoted one.
_resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = _RESOLVER.resolve
_CONSTRUCTOR = SafeConstructor()
# The first characters of the plain scalars PyYAML's resolver may read as something else than a string (digits,
# signs, ".", "~", "y", "n", "t", "f", "o", "<", "=", "N"...); it leaves the others strings, unless it has a
# resolver for any first character (None) or for paths: then every plain scalar goes to it.
_RESOLVED_STARTS = frozenset(Resolver.yaml_implicit_resolvers)
_SHORTCUT = None not in _RESOLVED_STARTS and not Resolver.yaml_path_resolvers
# Whether a key is one of ours, by key: a handful of keys on every post. Kept for this many keys at most.
_KEYS: dict[str, bool] = {}
KEYS_KEPT = 1024


class _Declined(Exception):
    """The text is not of the simple shape: PyYAML reads it."""


def read_simple(text: str) -> dict[str, Any] | None:
    """The front matter's mapping as PyYAML's safe loader builds it, or None when the text has another shape."""
    if _OTHER.search(text) or (_ASTRAL.search(text) and _NONCHARACTERS.search(text)):
        return None
    try:
        return _read(text)
    except _Declined:
        return None
    except Exception:  # a constructor's refusal (2025-02-30): PyYAML reports it as it always did
        return None


def _read(text: str) -> dict[str, Any] | None:
    """The mapping, line by line; _Declined at the first line of another shape."""
    found: dict[str, Any] = {}
    open_key: str | None = None  # a key with nothing after its ":", which a block sequence may follow
    entries: list[Any] | None = None
    indent = -1
    for line in text.split("\n"):
        first = line[:1]
        if first == " " or first == "-":
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue  # a blank or comment line
            if open_key is None:
                raise _Declined
            match = _ENTRY.match(line)
            if match is None or (entries is not None and len(match.group(1)) != indent):
                raise _Declined  # a continued scalar, a nested mapping, an entry out of line
            if entries is None:
                entries, indent = [], len(match.group(1))
                found[open_key] = entries
            entries.append(_scalar(line[match.end() :]))
            continue
        if not first or first == "#":
            continue
        key, colon, after = line.partition(":")
        if not colon or not _is_key(key) or after[:1] not in ("", " "):
            raise _Declined  # not a string key followed by ":" and a space or the end of the line
        rest = after.lstrip(" ")
        open_key, entries, indent = None, None, -1
        if not rest:
            open_key = key
            found[key] = None
        elif rest[0] == "[":
            found[key] = _flow(rest)
        else:
            found[key] = _scalar(rest)
    return found or None


def _is_key(key: str) -> bool:
    """Whether this is a plain key PyYAML reads as a string (not `yes`, `on`, `null`...); remembered, keys repeat."""
    known = _KEYS.get(key)
    if known is None:
        known = _KEY.fullmatch(key) is not None and _resolve(yaml.ScalarNode, key, (True, False)) == _STR
        if len(_KEYS) < KEYS_KEPT:
            _KEYS[key] = known
    return known


def _scalar(rest: str) -> Any:
    """A one-line scalar in block context: double- or single-quoted, or plain."""
    value = rest.rstrip(" ")
    first = value[:1]
    if first == '"':
        # "..." and nothing but spaces after: no quote inside, no escape (no backslash in the text).
        if len(value) < 2 or value.find('"', 1) != len(value) - 1:
            raise _Declined
        return value[1:-1]
    if first == "'":
        # '...' and nothing but spaces after: a quote inside is written twice (YAML 1.1 §9.1).
        inner = value[1:-1]
        if len(value) < 2 or value[-1] != "'" or "'" in inner.replace("''", ""):
            raise _Declined
        return inner.replace("''", "'")
    # An indicator first, ": " or a final ":" (a mapping), " #" (a comment): not a plain scalar of ours.
    if not value or first in _INDICATORS or ": " in value or value[-1] == ":" or " #" in value:
        raise _Declined
    return _plain(value)


def _flow(rest: str) -> list[Any]:
    """A one-line flow sequence of scalars: `[a, "b", 'c']`."""
    end = rest.rfind("]")
    if end < 0 or rest[end + 1 :].strip(" "):
        raise _Declined
    inner = rest[1:end]
    if not inner.strip(" "):
        return []
    items: list[Any] = []
    # Most lists are of double-quoted labels: ["AI", "投資"].
    for item in inner.split(","):
        item = item.strip(" ")
        if len(item) < 2 or item[0] != '"' or item.find('"', 1) != len(item) - 1:
            items = []
            break
        items.append(item[1:-1])
    else:
        return items
    position = 0
    while True:
        match = _FLOW_ENTRY.match(inner, position)
        if match is None:
            raise _Declined
        double, single, plain, comma = match.groups()
        if double is not None:
            items.append(double)
        elif single is not None:
            items.append(single.replace("''", "'"))
        else:
            items.append(_plain(plain))
        position = match.end()
        if not comma:
            return items
        if position == len(inner):
            raise _Declined  # a trailing comma


def _plain(value: str) -> Any:
    """A plain scalar's value: resolved and built by PyYAML's own resolver and SafeConstructor."""
    if _SHORTCUT and value[0] not in _RESOLVED_STARTS:
        return value  # what resolve() finds too: no implicit resolver for its first character, so a string
    tag = _resolve(yaml.ScalarNode, value, (True, False))
    if tag == _STR:
        return value
    if tag not in _BUILT:
        raise _Declined
    return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, value))
