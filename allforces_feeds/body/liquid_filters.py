"""Jekyll's filters (lib/jekyll/filters.rb); Liquid's standard ones come with python-liquid, dates are liquid_dates."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import cmp_to_key
from typing import TYPE_CHECKING, Any

import regex
from liquid import Environment, is_undefined
from liquid.builtin.expressions import tokenize
from liquid.builtin.expressions.logical import BooleanExpression
from liquid.exceptions import LiquidError
from liquid.filter import with_context
from liquid.stream import TokenStream
from liquid.token import TOKEN_EXPRESSION, Token

from allforces_feeds.body.liquid_state import STATE
from allforces_feeds.body.liquid_urls import absolute_url, cgi_escape, relative_url, uri_escape, xml_escape

if TYPE_CHECKING:
    from liquid.context import RenderContext

CJK = r"\p{Han}\p{Katakana}\p{Hiragana}\p{Hangul}"
RUBY_SPACE = "[ \t\n\v\f\r]+"  # Ruby's \s and String#split are ASCII-only (U+3000 is not a separator)
SLUG_PATTERNS = {"raw": r"\s+", "pretty": r"[^\p{M}\p{L}\p{Nd}._~!$&'()+,;=@]+", "ascii": r"[^A-Za-z0-9]+"}


def _v(value: Any) -> Any:
    """Undefined -> None, as Jekyll's Ruby filters see nil."""
    return None if is_undefined(value) else value


def _ruby_s(value: Any) -> str:
    """Ruby's to_s (nil -> "", true -> "true")."""
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _s(value: Any) -> str:
    """Ruby's to_s for a filter input (undefined -> "")."""
    return _ruby_s(_v(value))


def _items(value: Any) -> list[Any] | None:
    """Hash -> values, array -> itself, else None (Jekyll returns such input unchanged)."""
    value = _v(value)
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value) if isinstance(value, list | tuple) else None


def slugify(value: Any, mode: Any = None) -> str | None:
    """Jekyll's Utils.slugify with modes raw/default/pretty/ascii/latin/none."""
    text, mode = _v(value), (_s(mode) or "default").lower()
    if text is None:
        return None
    text = str(text)
    if mode not in ("raw", "default", "pretty", "ascii", "latin"):
        return text.lower()
    if mode == "latin":  # I18n.transliterate: drop accents, anything else non-ASCII becomes "?"
        text = "".join(
            c if ord(c) < 128 else "?" for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    slug = regex.sub(SLUG_PATTERNS.get(mode, r"[^\p{M}\p{L}\p{Nd}]+"), "-", text)
    return re.sub(r"^-|-$", "", slug, flags=re.M).lower()


def jsonify(value: Any) -> str:
    """to_json of what Liquid can hold: times as Time#to_s, undefined as null."""
    return json.dumps(
        _v(value), ensure_ascii=False, separators=(",", ":"), default=lambda v: None if is_undefined(v) else str(v)
    )


def item_property(item: Any, prop: Any) -> Any:
    """Jekyll's item_property: dotted lookup, integer/float-like strings converted (parse_sort_input)."""
    value = item
    for key in str(prop).split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    text = "" if value is None else str(value)
    if re.fullmatch(r"\s*-?\d+\s*", text):
        return int(text)
    if re.fullmatch(r"\s*-?(?:\d+\.?\d*|\.\d+)\s*", text):
        return float(text)
    return value


def _matches(prop: Any, target: Any) -> bool:
    """Jekyll's compare_property_vs_target."""
    if target is None:
        return prop is None
    wanted = _ruby_s(target)
    if isinstance(prop, str):
        return prop == wanted
    return any(_ruby_s(p) == wanted for p in (prop if isinstance(prop, list) else [] if prop is None else [prop]))


def where(value: Any, prop: Any, target: Any) -> Any:
    """Jekyll's where: items whose property equals target (or contains it, for arrays)."""
    items = _items(value)
    if items is None or _v(prop) is None or isinstance(target, list | dict):
        return value
    return [i for i in items if _matches(item_property(i, prop), _v(target))]


def find(value: Any, prop: Any, target: Any) -> Any:
    """Jekyll's find: the first item whose property matches, or nil."""
    found = where(value, prop, target)
    return found[0] if isinstance(found, list) and found and found is not value else None


def _condition(env: Environment, expression: str) -> BooleanExpression:
    """Parse a where_exp condition with the engine's own boolean-expression parser."""
    token = Token(TOKEN_EXPRESSION, expression, 0, expression)
    return BooleanExpression.parse(env, TokenStream(tokenize(expression, parent_token=token)))


@with_context
def where_exp(value: Any, variable: Any, expression: Any, *, context: RenderContext) -> Any:
    """Jekyll's where_exp: items for which the Liquid condition holds with the item bound to variable."""
    items = _items(value)
    if items is None:
        return value
    condition = _condition(context.env, _s(expression))
    found = []
    for item in items:
        with context.extend({_s(variable): item}):
            if condition.evaluate(context):
                found.append(item)
    return found


@with_context
def find_exp(value: Any, variable: Any, expression: Any, *, context: RenderContext) -> Any:
    """Jekyll's find_exp: the first item matching the condition, or nil."""
    found = where_exp(value, variable, expression, context=context)
    return found[0] if isinstance(found, list) and found else None


def _ruby_cmp(a: Any, b: Any) -> int:
    """a <=> b, falling back to comparing to_s like Jekyll's sort_input."""
    try:
        return int((a > b) - (a < b))
    except TypeError:
        return (_ruby_s(a) > _ruby_s(b)) - (_ruby_s(a) < _ruby_s(b))


def sort(value: Any, prop: Any = None, nils: Any = "first") -> list[Any]:
    """Jekyll's sort: by property with nils first/last, or plain <=> sort."""
    items = _items(value)
    if items is None:
        raise LiquidError("Cannot sort a null object.", token=None)
    if _v(prop) is None:
        return sorted(items, key=cmp_to_key(_ruby_cmp))
    order = {"first": -1, "last": 1}.get(_s(nils))
    if order is None:
        raise LiquidError(f"Invalid nils order: '{_s(nils)}' is not a valid nils order.", token=None)

    def cmp(a: tuple[Any, Any], b: tuple[Any, Any]) -> int:
        """Compare (property, item) pairs, nils placed as asked."""
        if a[0] is not None and b[0] is None:
            return -order
        if a[0] is None and b[0] is not None:
            return order
        return _ruby_cmp(a[0], b[0])

    return [pair[1] for pair in sorted(((item_property(i, prop), i) for i in items), key=cmp_to_key(cmp))]


def group_by(value: Any, prop: Any) -> Any:
    """Jekyll's group_by: [{"name", "items", "size"}] keyed by the property's to_s."""
    items = _items(value)
    if items is None:
        return value
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(_ruby_s(item_property(item, prop)), []).append(item)
    return [{"name": k, "items": v, "size": len(v)} for k, v in groups.items()]


def number_of_words(value: Any, mode: Any = None) -> int:
    """Jekyll's number_of_words with the cjk/auto modes (Jekyll 4.1+)."""
    text, mode = _s(value), _s(mode)
    words = len([w for w in re.split(RUBY_SPACE, text) if w])
    if mode in ("cjk", "auto"):
        cjk = len(regex.findall(f"[{CJK}]", text))
        if mode == "cjk" or cjk:
            return cjk + len(regex.findall(f"[^{CJK}\\s]+", text))
    return words


def array_to_sentence_string(value: Any, connector: Any = "and") -> str:
    """Jekyll's array_to_sentence_string."""
    items = [_ruby_s(i) for i in (_items(value) or [])]
    conn = _s(connector)
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} {conn} {items[1]}"
    return f"{', '.join(items[:-1])}, {conn} {items[-1]}"


def _unless_nil(func: Callable[[object], str]) -> Callable[[Any], str | None]:
    """A URL filter: nil (or undefined) in, nil out."""
    return lambda v: None if _v(v) is None else func(_v(v))


def _on_text(func: Callable[[str], str]) -> Callable[[Any], str]:
    """A string filter applied to the input's to_s."""
    return lambda v: func(_s(v))


FILTERS: dict[str, Callable[..., Any]] = {
    "relative_url": _unless_nil(relative_url),
    "absolute_url": _unless_nil(absolute_url),
    "xml_escape": _on_text(xml_escape),
    "cgi_escape": _on_text(cgi_escape),
    "uri_escape": _on_text(uri_escape),
    "markdownify": lambda v: STATE.get().site.markdownify(_s(v)),
    "slugify": slugify,
    "jsonify": jsonify,
    "where": where,
    "where_exp": where_exp,
    "find": find,
    "find_exp": find_exp,
    "sort": sort,
    "group_by": group_by,
    "number_of_words": number_of_words,
    "array_to_sentence_string": array_to_sentence_string,
    "normalize_whitespace": lambda v: re.sub(RUBY_SPACE, " ", _s(v)).strip(" \t\n\v\f\r\0"),
    "to_integer": lambda v: int(_v(v)) if isinstance(_v(v), int | float | bool) else int(_s(v) or 0),
    "push": lambda v, x: [*(_items(v) or []), _v(x)],
    "pop": lambda v, n=1: (_items(v) or [])[: -int(n)] if int(n) else (_items(v) or []),
    "shift": lambda v, n=1: (_items(v) or [])[int(n) :],
    "unshift": lambda v, x: [_v(x), *(_items(v) or [])],
    "sample": lambda v, n=None: (
        random.choice(_items(v) or [None]) if n is None else random.sample(_items(v) or [], int(n))
    ),
}
