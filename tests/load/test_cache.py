"""The load cache in CACHE_DIR: a damaged one is parsed again; it is named by settings and code."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from allforces_feeds.config import load_config
from allforces_feeds.load import Loaded, load_posts
from allforces_feeds.load.cache import LoadCache
from allforces_feeds.load.discover import discover
from allforces_feeds.sealed import unseal

from ..conftest import CONTENT, FIXTURES, damage_empty, damage_flip, damage_truncate, settings


def load(cache: Path | str, content_dir: Path = CONTENT, now: datetime | None = None) -> Loaded:
    """Load a content folder with a cache folder, at `now` (the real time when None)."""
    return load_posts(load_config({}, **settings(cache, content_dir)), now)


@pytest.mark.parametrize("damage", [damage_truncate, damage_flip, damage_empty])
def test_a_damaged_load_cache_is_parsed_again(tmp_path: Path, damage, parsed_sources, caplog) -> None:
    reference = load(tmp_path / "none")
    assert load(tmp_path / "cache").posts == reference.posts
    (path,) = (tmp_path / "cache" / "posts").iterdir()
    path.write_bytes(damage(path.read_bytes(), b""))
    parsed_sources.clear()
    with caplog.at_level(logging.WARNING, logger="allforces_feeds.load"):
        again = load(tmp_path / "cache")
    assert again.posts == reference.posts and again.problems == reference.problems
    assert len(parsed_sources) == len(discover(CONTENT))
    assert unseal(path.read_bytes()) is not None  # written again


def test_broken_posts_are_reported_on_every_start(tmp_path: Path) -> None:
    broken = FIXTURES / "broken"
    cold, warm = load(tmp_path, broken), load(tmp_path, broken)
    assert warm.problems == cold.problems and len(cold.problems) >= 8
    assert warm.posts == cold.posts


def test_load_cache_is_named_by_settings(tmp_path: Path) -> None:
    names = {
        LoadCache(load_config({}, **settings(tmp_path))).path,
        LoadCache(load_config({}, **settings(tmp_path, PERMALINK="pretty"))).path,
        LoadCache(load_config({}, **settings(tmp_path, SITE_TIMEZONE="UTC"))).path,
    }
    assert len(names) == 3
    assert LoadCache(load_config({}, **settings(""))).path is None


def test_a_future_last_modified_at_is_checked_at_each_load(posts_dir, tmp_path: Path) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    site = posts_dir("2025-01-01-later.md", f'title: "後で更新"\nlast_modified_at: "{soon:%Y-%m-%d %H:%M:%S} +0000"')
    first = load(tmp_path, site)
    assert [p.field for p in first.problems] == ["last_modified_at"]
    assert first.posts[0].updated == first.posts[0].published

    again = load(tmp_path, site, datetime.now(UTC) + timedelta(hours=2))  # from the load cache
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
