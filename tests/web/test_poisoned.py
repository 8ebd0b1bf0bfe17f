"""Poisoned content: each hostile post is reported with its file and reason, every other post is served, no 5xx."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree

from allforces_feeds.load.limits import XML_FORBIDDEN

from ..conftest import FIXTURES

POISONED = FIXTURES / "poisoned"
REFUSED = {
    "2025-03-04-alias-bomb.md": ("front matter", "more than 10,000 values once its aliases are expanded"),
    "2025-03-05-recursive-alias.md": ("front matter", "a recursive alias"),
    "2025-03-06-deep-nesting.md": ("front matter", "nested more than 32 levels deep"),
    "2025-03-07-long-label.md": ("tags", "a label of 203 characters"),
}
SERVED = ("良い記事", "制御文字の記事", "アンカーの普通の使い方", "C1 制御文字")


def strings(value: object) -> list[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for pair in value.items() for part in pair for text in strings(part)]
    if isinstance(value, list):
        return [text for part in value for text in strings(part)]
    return []


def test_each_poisoned_post_is_named_and_the_rest_served(make_app) -> None:
    app = make_app(POISONED)
    result = app.test_cli_runner().invoke(args=["feeds", "check"])
    assert result.exit_code == 1
    for name, (field, reason) in REFUSED.items():
        assert any(line.startswith(f"_posts/{name}: {field}: {reason}") for line in result.stdout.splitlines()), name
    feed = app.test_client().get("/feed.json").get_json()
    assert set(SERVED) <= {item["title"] for item in feed["items"]}
    assert len(feed["items"]) == len(SERVED) + 1  # and the post with references in its title


def test_every_feed_of_poisoned_content_is_well_formed_and_clean(make_app) -> None:
    client = make_app(POISONED).test_client()
    listed = client.get("/feeds.json").get_json()["feeds"]
    paths = [urlsplit(entry["urls"][fmt]).path for entry in listed for fmt in ("rss", "atom", "json")]
    assert len(paths) >= 12
    for url in paths:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.data.decode("utf-8")
        assert not XML_FORBIDDEN.search(text), url
        if url.endswith(".json"):
            assert not any(XML_FORBIDDEN.search(value) for value in strings(json.loads(text))), url
        else:
            etree.fromstring(response.data)  # lxml: well-formed XML 1.0
    rss = client.get("/feed.xml").data.decode()
    assert "制御文字の記事" in rss and "本文に  と  と  と" in rss


@pytest.mark.parametrize("form", ["list", "string"])
def test_a_hundred_thousand_tags_are_refused_quickly(make_app, posts_dir, form: str) -> None:
    names = [f"タグ{number}" for number in range(100_000)]
    if form == "list":
        written = "".join(f"\n  - {name}" for name in names)
    else:  # Jekyll's space-separated string, folded on many lines (one line would be too long already)
        written = ">" + "".join(f"\n  {' '.join(names[at : at + 100])}" for at in range(0, len(names), 100))
    posts_dir("2025-01-01-good.md", 'title: "良い"\ntags: [AI]')
    site = posts_dir("2025-01-02-tags.md", f'title: "タグだらけ"\ntags: {written}')
    started = time.perf_counter()
    app = make_app(site)
    assert time.perf_counter() - started < 5
    result = app.test_cli_runner().invoke(args=["feeds", "check"])
    assert result.exit_code == 1
    expected = "more than 10,000 values" if form == "list" else "100,000 labels, more than ALLFORCES_LABELS_MAX=200"
    assert f"_posts/2025-01-02-tags.md: {'front matter' if form == 'list' else 'tags'}: " in result.stdout
    assert expected in result.stdout
    index = app.test_client().get("/")
    assert index.status_code == 200 and len(index.data) < 100_000


def test_a_70_mb_post_is_refused_without_being_read(make_app, posts_dir) -> None:
    site = posts_dir("2025-01-01-good.md", 'title: "良い"')
    with (site / "_posts" / "2025-01-02-huge.md").open("wb") as file:
        file.truncate(70 * 1024 * 1024)
    tracemalloc.start()
    try:
        app = make_app(site)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024
    result = app.test_cli_runner().invoke(args=["feeds", "check"])
    assert "_posts/2025-01-02-huge.md: file: cannot be read (73,400,320 bytes than ALLFORCES_POST_MAX_BYTES" in (
        result.stdout
    )
    assert app.test_client().get("/feed.xml").status_code == 200


def test_a_long_line_is_refused(make_app, posts_dir) -> None:
    posts_dir("2025-01-01-good.md", 'title: "良い"')
    site = posts_dir("2025-01-02-line.md", 'title: "長い行"', "あ" * 70_000)
    result = make_app(site).test_cli_runner().invoke(args=["feeds", "check"])
    assert "_posts/2025-01-02-line.md: text: line 4 has 70,000 characters, more than 65,536" in result.stdout


def test_a_post_swapped_for_a_symlink_out_of_content_is_never_served(make_app, posts_dir, tmp_path: Path) -> None:
    posts_dir("2025-01-01-good.md", 'title: "良い"')
    site = posts_dir("2025-01-02-swapped.md", 'title: "差し替え"', "元の本文")
    secret = tmp_path / "secret.md"
    secret.write_text('---\ntitle: "差し替え"\n---\nroot:x:0:0:SECRET\n', encoding="utf-8")
    app = make_app(site, CACHE_DIR="")
    post = site / "_posts" / "2025-01-02-swapped.md"
    post.unlink()
    post.symlink_to(secret)  # after startup: the loader checked the real file
    client = app.test_client()
    for path in ("/feed.xml", "/atom.xml", "/feed.json", "/embed/latest.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"SECRET" not in response.data, path


def test_a_post_swapped_for_a_symlink_inside_content_is_read(make_app, posts_dir) -> None:
    site = posts_dir("2025-01-01-real.md", 'title: "本物"', "本物の本文")
    (site / "_posts" / "2025-01-02-link.md").symlink_to(site / "_posts" / "2025-01-01-real.md")
    client = make_app(site).test_client()
    assert client.get("/feed.xml").status_code == 200
