"""The simple front matter reader: PyYAML's very value whenever it reads a text, and no reading of any other shape."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from allforces_feeds.errors import ContentError
from allforces_feeds.load.limits import DEFAULT_LIMITS, Limits, load_yaml
from allforces_feeds.load.simple_yaml import read_simple

BOUNDED = settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
# Characters around which YAML's rules turn: indicators, quotes, spaces, line breaks YAML 1.1 knows, escapes.
TRICKY = "aZ09 :-#&*!|>'\"%@`,?[]{}<=~._+/\\\t\r\x85\u2028\ufeff\xa0\u3000あ漢：\U0001f600\ufffe\x01"
SCALARS = st.one_of(
    st.text(alphabet=TRICKY, max_size=12),
    st.sampled_from(
        [
            "2025-09-12",
            "2025-09-12 16:42:31 +0000",
            "2025-09-12 16:42:31 +09:00",
            "2025-09-12T16:42:31Z",
            "2025-02-30",
            "7",
            "-7",
            "0x1F",
            "0o17",
            "017",
            "1_000",
            "1:30",
            "1.5",
            ".inf",
            "-.Inf",
            ".NaN",
            "1e3",
            "1.0e+3",
            "yes",
            "No",
            "on",
            "OFF",
            "true",
            "~",
            "null",
            "NULL",
            "<<",
            "=",
            "y",
            "n",
            "",
            " ",
            "M&A",
            "S&P 500",
            "C#",
            "a #b",
            "a: b",
            "a:",
            "a:b",
            "*a",
            "&a b",
            "!tag x",
            "|",
            ">",
            "'",
            '"',
            "- a",
            "--- a",
        ]
    ),  # fmt: skip
)
QUOTED = SCALARS.map(lambda s: '"' + s + '"') | SCALARS.map(lambda s: "'" + s.replace("'", "''") + "'")
ITEM = SCALARS | QUOTED
FLOW = st.lists(ITEM, max_size=4).map(lambda items: "[" + ", ".join(items) + "]") | st.sampled_from(
    ["[]", "[ ]", "[a,b]", "[a, b,]", "[a,, b]", "[[a]]", "[{a: 1}]", "[a] x", "[a]  ", "[a", '["a]", b]']
)
KEYS = st.sampled_from(
    ["title", "date", "tags", "categories", "last_modified_at", "x-y", "_z", "yes", "on", "null", "<<", "=", "a b",
     "タイトル", "Title", "1", "-a", "a:", "?a"]
)  # fmt: skip
SEPARATORS = st.sampled_from([": ", ":", ":  ", " : ", ":\t", ": \t"])


@st.composite
def lines(draw: st.DrawFn) -> str:
    """One line or a few: a key and its value, a block sequence, a comment, a blank, or something else."""
    kind = draw(st.integers(0, 9))
    key, separator = draw(KEYS), draw(SEPARATORS)
    if kind <= 3:
        return f"{key}{separator}{draw(ITEM)}"
    if kind == 4:
        return f"{key}{separator}{draw(FLOW)}"
    if kind == 5:
        indents = draw(st.lists(st.sampled_from(["", "  ", "    "]), min_size=1, max_size=3))
        entries = "\n".join(f"{indent}-{draw(st.sampled_from([' ', '  ', '']))}{draw(ITEM)}" for indent in indents)
        return f"{key}:\n{entries}"
    if kind == 6:
        return draw(st.sampled_from(["", "  ", "# a comment", "  # indented", "---", "...", "%YAML 1.1", "- a"]))
    if kind == 7:
        follower = draw(st.sampled_from(["  more", " - b", "  c: d", "\tx", "x", "  "]))
        return f"{key}{separator}{draw(ITEM)}\n{follower}"
    if kind == 8:
        return f"{key}{separator}{draw(ITEM)} # note"
    return f"{key}:"


FRONT_MATTER = st.lists(lines(), min_size=1, max_size=8).map(lambda found: "\n" + "\n".join(found) + "\n")
# Front matter as posts write it, with the characters and values that need care: most of it is read.
PLAIN_TEXT = st.text(alphabet="aZ09 -&*!'\"%@`?<=~._+/:#\xa0\u3000あ漢：\U0001f600", min_size=1, max_size=12)
POST_KEYS = st.sampled_from(["title", "date", "tags", "image", "author", "x-y", "_z", "title", "yes", "a b"])
POST_SCALARS = SCALARS | PLAIN_TEXT | PLAIN_TEXT
POST_ITEM = POST_SCALARS | POST_SCALARS.map(lambda s: '"' + s.replace('"', "") + '"')
POST_LINES = st.one_of(
    st.tuples(POST_KEYS, POST_ITEM).map(lambda pair: f"{pair[0]}: {pair[1]}"),
    st.tuples(POST_KEYS, st.lists(POST_ITEM, max_size=4)).map(lambda pair: f"{pair[0]}: [{', '.join(pair[1])}]"),
    st.tuples(POST_KEYS, st.sampled_from(["", "  "]), st.lists(POST_ITEM, min_size=1, max_size=4)).map(
        lambda found: f"{found[0]}:\n" + "\n".join(f"{found[1]}- {item}" for item in found[2])
    ),
    st.sampled_from(["", "# a comment"]),
)
POST_FRONT_MATTER = st.lists(POST_LINES, min_size=1, max_size=5).map(lambda found: "\n" + "\n".join(found) + "\n")


def same(a: Any, b: Any) -> bool:
    """Equal values of the very same types all the way down, mappings in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset() and (a.tzinfo is None) == (b.tzinfo is None)
    return bool(a == b)


def pyyaml(text: str) -> Any:
    """What PyYAML's safe loader (libyaml) gives, or the exception it raises."""
    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    except Exception as error:
        return error


@BOUNDED
@given(POST_FRONT_MATTER)
def test_posts_front_matter_reads_as_pyyaml_reads_it(text: str) -> None:
    check(text)


@BOUNDED
@given(FRONT_MATTER)
@example('\nlayout: post\ntitle: "生成AI：投資"\ndate: 2010-01-01 12:50:12 +0000\ntags: ["AI", M&A, S&P 500]\n')
@example("\ntags:\n  - AI\n  - 'it''s'\n# done\nreading_time: 5\nimage: /a.png\n")
@example("\ntags:\n- a\n-  b\nx: 1\n")
@example("\na: 1\na: 2\nb: [1, 2.5, yes, ~, 2025-01-02]\n")
def test_simple_reading_is_pyyamls_or_none(text: str) -> None:
    check(text)


def check(text: str) -> None:
    """read_simple() gives nothing, or what PyYAML gives, of the same types, for a text PyYAML reads."""
    simple = read_simple(text)
    if simple is not None:
        expected = pyyaml(text)
        assert not isinstance(expected, Exception), f"PyYAML refuses what was read: {expected}"
        assert same(simple, expected), (simple, expected)


@pytest.mark.parametrize(
    "text",
    [
        "\ntitle: a\n  continued\n",  # a plain scalar on two lines
        "\ntitle: a # note\n",
        "\nbase: &b x\nother: *b\n",
        '\ntitle: "a\\x01"\n',
        "\ntitle: |\n  block\n",
        "\ntitle: !tag x\n",
        "\npost:\n  title: nested\n",
        "\ntags: [[a]]\n",
        "\ntitle:\ta\n",
        "\r\ntitle: a\r\n",
        "\ntitle: a\u2028b\n",
        "\n<<: {a: 1}\n",
        "\nyes: 1\n",
        "\n# only a comment\n",
        "\n",
        "\ndate: 2025-02-30\n",
    ],
)
def test_other_shapes_are_left_to_pyyaml(text: str) -> None:
    assert read_simple(text) is None


def test_the_common_shape_is_read() -> None:
    text = (
        '\nlayout: post\ntitle: "新興企業は決算発表を変えるのか？"\ndate: 2010-01-01 07:41:16 +0000\n'
        'categories: ["技術解説"]\ntags: ["AI", "GPU", M&A]\nauthor: 鈴木 一郎\nreading_time: 12\n'
        "published: true\nupdated: 2024-05-06\ntags2:\n  - a\n  - 2\n"
    )
    value = read_simple(text)
    assert value is not None and same(value, yaml.load(text, Loader=yaml.CSafeLoader))
    assert value["updated"] == date(2024, 5, 6) and value["reading_time"] == 12 and value["tags2"] == ["a", 2]


def test_bounds_hold_on_the_simple_path() -> None:
    # A flat list within the shape but over the bound is refused exactly as PyYAML's path refuses it.
    text = "\ntags: [" + ", ".join(["a"] * 20) + "]\n"
    with pytest.raises(ContentError, match="more than 10 values"):
        load_yaml(text, "x.md", Limits(yaml_values_max=10))
    with pytest.raises(ContentError, match="nested more than 2 levels deep"):
        load_yaml(text, "x.md", Limits(nesting_max=2))
    assert load_yaml(text, "x.md", DEFAULT_LIMITS) == {"tags": ["a"] * 20}
