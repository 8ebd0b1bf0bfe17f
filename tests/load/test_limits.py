"""Input bounds: post size read at most to the limit, YAML aliases and nesting, labels, lines, XML characters."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from allforces_feeds.config import load_config
from allforces_feeds.errors import ConfigError, ContentError
from allforces_feeds.load.fields import labels
from allforces_feeds.load.limits import (
    DEFAULT_LIMITS,
    Limits,
    TooLarge,
    check_lines,
    inside,
    limits_of,
    load_yaml,
    read_bounded,
    references_problem,
    xml_text,
)
from allforces_feeds.load.parse import read_bytes, split_front_matter


def bomb(levels: int = 9) -> str:
    """A YAML 1.1 "billion laughs": each level is nine aliases of the one before (9**levels strings)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + f"\ntags: *{chr(ord('a') + levels - 1)}\n"


def test_an_alias_bomb_is_refused_in_milliseconds() -> None:
    text = bomb()
    assert len(text) < 1024
    started = time.perf_counter()
    with pytest.raises(ContentError, match="once its aliases are expanded"):
        load_yaml(text, "x.md")
    assert time.perf_counter() - started < 0.1


def test_aliases_within_bounds_are_yaml_as_usual() -> None:
    value = load_yaml("base: &b {author: 佐藤}\npost:\n  <<: *b\n  tags: [AI]\nagain: *b\n", "x.md")
    assert value == {
        "base": {"author": "佐藤"},
        "post": {"author": "佐藤", "tags": ["AI"]},
        "again": {"author": "佐藤"},
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("tags: &t [AI, *t]\n", "recursive alias"),
        ("tags: " + "[" * 40 + "AI" + "]" * 40 + "\n", "nested more than 32 levels"),
        ("tags:\n" + "".join("  " * depth + "- \n" for depth in range(1, 40)), "nested more than 32 levels"),
        ("tags: " + "[" * 5000 + "]" * 5000 + "\n", "invalid YAML"),  # libyaml's own limit, 1000
    ],
)
def test_nesting_and_recursion_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ContentError, match=reason):
        split_front_matter(f"---\n{text}---\nbody\n", "x.md")


def test_json_front_matter_is_bounded_and_cleaned_too() -> None:
    meta, _ = split_front_matter('{\n"title": "a\\u0001b", "tags": ["\\ufffe"]\n}\nbody\n', "x.md")
    assert meta == {"title": "ab", "tags": [""]}
    with pytest.raises(ContentError, match="nested"):
        split_front_matter('{\n"a": ' + "[" * 3000 + "]" * 3000 + "\n}\nbody\n", "x.md")


def test_yaml_escapes_lose_what_xml_forbids_and_are_reported() -> None:
    problems: list = []
    text = '---\ntitle: "a\\x01b\\uFFFE\\x85c"\ntags: ["\\e[31m"]\n---\n本文 &#1; &#x1B; &#65;\n'
    meta, _ = split_front_matter(text, "x.md", DEFAULT_LIMITS, problems)
    assert meta == {"title": "ab\x85c", "tags": ["[31m"]}  # NEL is allowed (XML 1.0 §2.2)
    assert [(p.field, p.reason) for p in problems] == [
        ("front matter", "characters that XML forbids, written as escapes, were removed: U+0001, U+001B, U+FFFE"),
        ("text", "character references to characters that XML forbids are left out: &#1;, &#x1B;"),
    ]


def test_references_to_allowed_characters_are_no_problem() -> None:
    assert references_problem("x.md", "&#65; &#x3042; &#10; &amp;#1;") is None


@pytest.mark.parametrize(
    "char", ["\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x84", "\x9f", "\ud800", "\ufdd0", "\ufffe", "\U0010ffff"]
)
def test_xml_text_removes_what_xml_forbids_or_discourages(char: str) -> None:
    assert xml_text(f"a{char}b") == "ab"


def test_xml_text_keeps_everything_else() -> None:
    text = "\t\n\r ~\x85\xa0あ\ud7ff\ue000\ufdcf\ufdf0\ufffd\U00010000\U0001f600\U0010fffd"
    assert xml_text(text) is text


def test_a_large_file_is_refused_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    with path.open("wb") as file:
        file.truncate(70 * 1024 * 1024)  # sparse: 70 MB long, nothing on disk
    started = time.perf_counter()
    with pytest.raises(TooLarge) as raised:
        read_bytes(path)
    assert time.perf_counter() - started < 0.1
    assert "73,400,320 bytes than ALLFORCES_POST_MAX_BYTES=4,194,304 allows" in str(raised.value)


def test_a_file_without_end_is_read_to_the_limit_only() -> None:
    descriptor = os.open("/dev/zero", os.O_RDONLY)  # fstat says 0 bytes; reading never ends
    try:
        with pytest.raises(TooLarge):
            read_bounded(descriptor, 100_000)
    finally:
        os.close(descriptor)


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_bytes(b"x" * 2048)
    assert read_bytes(path, 2048) == b"x" * 2048
    with pytest.raises(TooLarge):
        read_bytes(path, 2047)


def test_labels_are_bounded_in_number_and_length() -> None:
    bounds = Limits(labels_max=3, label_max_chars=5)
    assert labels("a b c", "x.md", "tags", bounds) == ("a", "b", "c")
    with pytest.raises(ContentError, match="4 labels, more than ALLFORCES_LABELS_MAX=3"):
        labels(["a", "b", "c", "d"], "x.md", "tags", bounds)
    with pytest.raises(ContentError, match="a label of 6 characters"):
        labels(["abcdef"], "x.md", "tags", bounds)


def test_long_lines_are_refused() -> None:
    bounds = Limits(line_max_chars=10)
    check_lines("short\n" * 100, "x.md", bounds)
    with pytest.raises(ContentError, match="line 3 has 11 characters, more than 10"):
        check_lines("a\nb\n" + "c" * 11 + "\n", "x.md", bounds)


def test_inside_follows_symlinks_and_keeps_to_the_root(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    (root / "_posts" / "a.md").write_text("a")
    (root / "_posts" / "link.md").symlink_to(root / "_posts" / "a.md")
    (tmp_path / "secret").write_text("s")
    (root / "_posts" / "out.md").symlink_to(tmp_path / "secret")
    assert inside(root, root / "_posts" / "link.md") == (root / "_posts" / "a.md").resolve()
    assert inside(root, root / "_posts" / "out.md") is None
    assert inside(root, root / "_posts" / ".." / ".." / "secret") is None


def test_limits_are_settings(tmp_path: Path) -> None:
    config = load_config({}, CONTENT_DIR=str(tmp_path), POST_MAX_BYTES="2048", LABELS_MAX="5", LABEL_MAX_CHARS="9")
    assert limits_of(config) == Limits(post_max_bytes=2048, labels_max=5, label_max_chars=9)
    with pytest.raises(ConfigError, match="ALLFORCES_POST_MAX_BYTES='10': expected a whole number from 1024"):
        load_config({}, CONTENT_DIR=str(tmp_path), POST_MAX_BYTES="10")


def test_the_label_memo_stays_bounded_across_loads(monkeypatch) -> None:
    from allforces_feeds.load import fields

    monkeypatch.setattr(fields, "LABEL_MEMO_MAX", 10)
    for number in range(25):
        assert fields.labels([f"タグ{number}"], "x.md", "tags") == (f"タグ{number}",)
    assert len(fields._LABEL_SLUGS) <= 10
