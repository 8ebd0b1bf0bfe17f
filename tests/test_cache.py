"""The render cache and the load cache in CACHE_DIR: damaged entries are rendered again, never served."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from allforces_feeds import content, markup, models
from allforces_feeds.cache import RenderCache
from allforces_feeds.config import load_config
from allforces_feeds.content import LoadCache, load_posts
from allforces_feeds.models import Post
from allforces_feeds.sealed import seal, unseal, write_atomic

from .conftest import CONTENT, FIXTURES, PUBLIC_URL, SITE_URL

FEEDS = ("/feed.xml", "/atom.xml", "/feed.json")


def settings(cache: Path | str, content_dir: Path = CONTENT, **more: str) -> dict[str, str]:
    """Settings over a content folder with a cache folder ("" for none)."""
    return {
        "CONTENT_DIR": str(content_dir),
        "CACHE_DIR": str(cache),
        "SITE_URL": SITE_URL,
        "PUBLIC_URL": PUBLIC_URL,
        **more,
    }


def serve(make_app: Callable[..., Flask], cache: Path | str, content_dir: Path = CONTENT) -> tuple[Flask, list[bytes]]:
    """An app and its three site feeds."""
    app = make_app(content_dir, CACHE_DIR=str(cache))
    client = app.test_client()
    return app, [client.get(path).data for path in FEEDS]


def render_cache(app: Flask) -> RenderCache:
    """The app's render cache, with its counters."""
    return app.extensions["allforces"].render_cache


@pytest.fixture
def newest(make_app: Callable[..., Flask]) -> Post:
    """The newest bundled post: it is in every site feed."""
    return make_app(CACHE_DIR="").extensions["allforces"].current().posts[0]


@pytest.mark.parametrize("content_dir", [CONTENT, FIXTURES / "broken"], ids=["bundled", "broken"])
def test_feeds_are_the_same_without_cache_cold_and_warm(make_app, tmp_path: Path, content_dir: Path) -> None:
    _, reference = serve(make_app, "", content_dir)
    cold_app, cold = serve(make_app, tmp_path / "c", content_dir)
    warm_app, warm = serve(make_app, tmp_path / "c", content_dir)
    assert cold == reference and warm == reference
    assert render_cache(cold_app).renders > 0 and render_cache(cold_app).disk_hits == 0
    assert render_cache(warm_app).renders == 0 and render_cache(warm_app).disk_hits > 0
    problems = [str(p) for p in make_app(content_dir, CACHE_DIR="").extensions["allforces"].problems]
    assert [str(p) for p in warm_app.extensions["allforces"].problems] == problems


def damage_truncate(data: bytes, other: bytes) -> bytes:
    return data[: len(data) // 2]


def damage_flip(data: bytes, other: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x20]) + data[middle + 1 :]


def damage_empty(data: bytes, other: bytes) -> bytes:
    return b""


def damage_other_entry(data: bytes, other: bytes) -> bytes:
    # Whole and sealed, but another post's rendering: its key gives it away.
    return other


def damage_forged_html(data: bytes, other: bytes) -> bytes:
    # A payload edited without updating the checksum.
    payload = unseal(data)
    assert payload is not None
    return data[: len(data) - len(payload)] + payload.replace(b"<p>", b"<p>EVIL", 1)


@pytest.mark.parametrize("damage", [damage_truncate, damage_flip, damage_empty, damage_other_entry, damage_forged_html])
def test_a_damaged_entry_is_rendered_again_never_served(
    make_app, tmp_path: Path, newest: Post, damage: Callable[[bytes, bytes], bytes], caplog
) -> None:
    cache = tmp_path / "cache"
    first, reference = serve(make_app, cache)
    entries = render_cache(first)
    path = entries.path(entries.key(newest.digest))
    assert path is not None and path.is_file()
    other = next(p for p in (cache / "render").rglob("*") if p.is_file() and p != path)
    path.write_bytes(damage(path.read_bytes(), other.read_bytes()))

    with caplog.at_level(logging.WARNING, logger="allforces_feeds.cache"):
        app, served = serve(make_app, cache)
    assert served == reference
    assert render_cache(app).renders == 1 and render_cache(app).rejected == 1
    assert "damaged" in caplog.text
    # The entry was written again, whole.
    assert unseal(path.read_bytes()) is not None
    assert serve(make_app, cache)[1] == reference


def test_the_key_changes_with_everything_that_shapes_the_html(tmp_path: Path, newest: Post, monkeypatch) -> None:
    def key(digest: str = newest.digest, **overrides: str) -> str:
        return RenderCache(load_config({}, **settings(tmp_path, **overrides))).key(digest)

    base = key()
    assert key() == base
    assert key(digest="0" * 64) != base
    assert key(SITE_URL="https://example.org") != base
    assert key(EXCERPT_LENGTH="80") != base
    # Settings that do not shape a post's HTML share its entries.
    assert key(FEED_LIMIT="5", SITE_TITLE="別名") == base
    monkeypatch.setattr(markup, "RENDERER_VERSION", "bumped")
    markup.renderer_fingerprint.cache_clear()
    try:
        assert key() != base
    finally:
        monkeypatch.undo()
        markup.renderer_fingerprint.cache_clear()
    assert key() == base


def test_entries_are_written_whole_while_others_read(tmp_path: Path) -> None:
    path = tmp_path / "render" / "ab" / "entry"
    versions = [seal(bytes([65 + i]) * (50_000 + 1000 * i)) for i in range(8)]
    write_atomic(path, versions[0])
    stop = threading.Event()
    seen: list[bool] = []

    def reader() -> None:
        while not stop.is_set():
            seen.append(unseal(path.read_bytes()) is not None)

    watcher = threading.Thread(target=reader)
    watcher.start()
    writers = [
        threading.Thread(target=lambda v=v: [write_atomic(path, v) for _ in range(30)])
        for v in versions  # type: ignore[misc]
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop.set()
    watcher.join()
    assert seen and all(seen)
    assert os.listdir(path.parent) == ["entry"]  # no temporary file left behind


def test_an_unwritable_cache_only_costs_speed(make_app, tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    _, reference = serve(make_app, "")
    with caplog.at_level(logging.WARNING):
        app, served = serve(make_app, blocker / "cache")
    assert served == reference
    assert "cannot be written" in caplog.text


def test_a_post_changed_after_loading_is_served_as_it_is_now(posts_dir, make_app, tmp_path: Path, caplog) -> None:
    site = posts_dir("2025-01-01-edited.md", 'title: "編集中"', "最初の文です。")
    app = make_app(site, CACHE_DIR=str(tmp_path / "cache"))
    path = site / "_posts" / "2025-01-01-edited.md"
    path.write_text(path.read_text(encoding="utf-8").replace("最初の文", "直した文"), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="allforces_feeds.cache"):
        body = app.test_client().get("/feed.xml").data.decode()
    assert "直した文です。" in body and "changed since it was loaded" in caplog.text


def test_a_post_removed_after_loading_leaves_its_item_without_content(posts_dir, make_app, caplog) -> None:
    site = posts_dir("2025-01-01-gone.md", 'title: "消えた記事"', "本文です。")
    app = make_app(site, CACHE_DIR="")
    (site / "_posts" / "2025-01-01-gone.md").unlink()
    response = app.test_client().get("/feed.xml")
    assert response.status_code == 200 and "消えた記事" in response.data.decode()
    assert "cannot be read back" in caplog.text


# -- the load cache ----------------------------------------------------------------------------------
def load(cache: Path | str, content_dir: Path = CONTENT) -> content.Loaded:
    """Load a content folder with a cache folder."""
    return load_posts(load_config({}, **settings(cache, content_dir)))


@pytest.mark.parametrize("damage", [damage_truncate, damage_flip, damage_empty])
def test_a_damaged_load_cache_is_parsed_again(tmp_path: Path, damage, parsed_sources, caplog) -> None:
    reference = load(tmp_path / "none")
    assert load(tmp_path / "cache").posts == reference.posts
    (path,) = (tmp_path / "cache" / "posts").iterdir()
    path.write_bytes(damage(path.read_bytes(), b""))
    parsed_sources.clear()
    with caplog.at_level(logging.WARNING, logger="allforces_feeds.content"):
        again = load(tmp_path / "cache")
    assert again.posts == reference.posts and again.problems == reference.problems
    assert len(parsed_sources) == len(list(content.discover(CONTENT)))
    assert unseal(path.read_bytes()) is not None  # written again


def test_broken_posts_are_reported_on_every_start(tmp_path: Path) -> None:
    broken = FIXTURES / "broken"
    cold, warm = load(tmp_path, broken), load(tmp_path, broken)
    assert warm.problems == cold.problems and len(cold.problems) >= 9
    assert warm.posts == cold.posts


def test_load_cache_is_named_by_settings(tmp_path: Path) -> None:
    names = {
        LoadCache(load_config({}, **settings(tmp_path))).path,
        LoadCache(load_config({}, **settings(tmp_path, PERMALINK="pretty"))).path,
        LoadCache(load_config({}, **settings(tmp_path, SITE_TIMEZONE="UTC"))).path,
    }
    assert len(names) == 3
    assert LoadCache(load_config({}, **settings(""))).path is None


def test_a_future_last_modified_at_is_checked_at_each_load(posts_dir, tmp_path: Path, monkeypatch) -> None:
    from datetime import UTC, datetime, timedelta

    soon = datetime.now(UTC) + timedelta(hours=1)
    site = posts_dir("2025-01-01-later.md", f'title: "後で更新"\nlast_modified_at: "{soon:%Y-%m-%d %H:%M:%S} +0000"')
    first = load(tmp_path, site)
    assert [p.field for p in first.problems] == ["last_modified_at"]
    assert first.posts[0].updated == first.posts[0].published

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return datetime.now(tz) + timedelta(hours=2)

    monkeypatch.setattr(models, "datetime", Later)
    again = load(tmp_path, site)  # from the load cache
    assert again.problems == [] and again.posts[0].updated == soon.replace(microsecond=0)


def test_load_caches_of_settings_gone_by_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    old, recent = folder / "old.json", folder / "recent.json"
    old.write_bytes(b"x")
    recent.write_bytes(b"x")
    os.utime(old, (0, 0))
    load(tmp_path)
    assert not old.exists() and recent.exists()
    assert len(list(folder.glob("*.json"))) == 2
