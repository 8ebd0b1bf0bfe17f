"""Properties over any input (Hypothesis, bounded): a post or a problem, never an exception; feeds stay valid."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from allforces_feeds.archives import archive_of
from allforces_feeds.config import load_config
from allforces_feeds.index import Snapshot
from allforces_feeds.load.limits import XML_FORBIDDEN
from allforces_feeds.load.parse import parse_post
from allforces_feeds.models import Post
from allforces_feeds.render import FORMATS, render_feed
from allforces_feeds.render.document import Item
from allforces_feeds.urls import Urls

# Bounded: a few hundred examples each keep the whole file within a few seconds; no example database.
BOUNDED = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
CONFIG = load_config({}, CONTENT_DIR=str(Path(__file__).parent), CACHE_DIR="", SITE_URL="https://allforces.jp")
URLS = Urls(CONFIG)
# Text that reaches the hard cases: controls, noncharacters, NEL, surrogates' escapes, Japanese, markup.
PIECE = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9b", "\ufdd0", "\ufffe", "\uffff", "\U0001fffe"]),
    st.sampled_from(["&#1;", "&#x1b;", "&#xFFFE;", "&#0;", "&#xD800;", "<", "&", "]]>", "半導体", "。", "\n", "**"]),
)
HOSTILE = st.lists(PIECE, max_size=40).map("".join)
# YAML scalars as posts write them: plain, quoted with escapes, and the escapes that make forbidden characters.
SCALAR = st.one_of(
    HOSTILE.map(json.dumps),  # a double-quoted YAML string, escapes included
    st.sampled_from(['"\\x01"', '"\\uFFFE"', '"\\e[31m"', "&a [x]", "*a", "[[[]]]", "{a: 1}", "2025-02-30", "~", "7"]),
    st.text(alphabet="abcあい :-[]{}&*!|>'\"#%@`,?", max_size=20),
)
FIELDS = ("title", "date", "tags", "categories", "author", "excerpt", "image", "last_modified_at", "id", "permalink")
FRONT_MATTER = st.lists(st.tuples(st.sampled_from(FIELDS), SCALAR), max_size=8).map(
    lambda pairs: "".join(f"{name}: {value}\n" for name, value in pairs)
)


def parse(raw: bytes) -> tuple[Post | None, tuple[object, ...]]:
    """parse_post over these bytes, as a file named like a Jekyll post."""
    parsed = parse_post(raw, hashlib.sha256(raw).hexdigest(), "_posts/2025-01-01-post.md", CONFIG, URLS)
    return parsed.post, parsed.problems


def feeds(post: Post, body: str) -> None:
    """Every feed of every scope holding the post: well-formed XML, valid JSON, no forbidden character.

    The body goes in as the item's HTML and summary as it is: whatever Markdown and nh3 make of it, the
    renderers' own cleaning must hold for any text (test_any_post_through_the_app covers the real pipeline).
    """
    snapshot = Snapshot.build((post,), CONFIG.site_title)
    for scope in snapshot.all_scopes():
        for fmt in FORMATS.values():
            data = render_feed(archive_of(scope, 20, 20), [Item(post, body, body)], fmt, CONFIG, URLS)
            assert not XML_FORBIDDEN.search(data.decode("utf-8"))
            if fmt.name == "json":
                json.loads(data)
            else:
                etree.fromstring(data)


@BOUNDED
@given(st.binary(max_size=300))
def test_any_bytes_give_a_post_or_a_problem(raw: bytes) -> None:
    post, problems = parse(raw)
    assert post is not None or problems or raw.startswith(b"---")  # a draft gives neither


@BOUNDED
@given(FRONT_MATTER, HOSTILE)
def test_any_front_matter_and_body_give_a_post_or_a_problem_and_valid_feeds(front_matter: str, body: str) -> None:
    raw = f"---\ntitle: 記事\n{front_matter}---\n{body}\n".encode("utf-8", "surrogatepass")
    post, problems = parse(raw)
    if post is None:
        assert problems or b"published" in raw or b"draft" in raw
        return
    feeds(post, body)


@BOUNDED
@given(HOSTILE, HOSTILE, st.lists(HOSTILE, max_size=4))
def test_any_text_in_any_field_keeps_every_feed_valid(title: str, body: str, tags: list[str]) -> None:
    meta = {"title": title or "題", "date": "2025-01-01", "tags": tags, "author": title, "excerpt": body[:20]}
    raw = ("---\n" + json.dumps(meta, ensure_ascii=False) + "\n---\n" + body).encode("utf-8", "surrogatepass")
    post, problems = parse(raw)
    if post is not None:
        feeds(post, body)
    else:
        assert problems


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(FRONT_MATTER, HOSTILE)
def test_any_post_through_the_app_keeps_every_feed_valid(
    make_app: Callable[..., Flask], tmp_path_factory: pytest.TempPathFactory, front_matter: str, body: str
) -> None:
    site = tmp_path_factory.mktemp("site")
    (site / "_posts").mkdir()
    raw = f"---\ntitle: 記事\ntags: [AI]\n{front_matter}---\n{body}\n".encode("utf-8", "surrogatepass")
    (site / "_posts" / "2025-01-01-post.md").write_bytes(raw)
    client = make_app(site, CACHE_DIR="").test_client()
    for path in ("/feed.xml", "/atom.xml", "/feed.json", "/tags/ai/feed.xml", "/embed/latest.json", "/feeds.opml"):
        response = client.get(path)
        assert response.status_code in (200, 404), path  # 404: the post was refused, so there is no tag
        if response.status_code == 200:
            assert not XML_FORBIDDEN.search(response.data.decode("utf-8")) or path.startswith("/embed"), path
            json.loads(response.data) if path.endswith(".json") else etree.fromstring(response.data)
