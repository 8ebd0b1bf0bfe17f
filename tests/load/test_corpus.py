"""A generated 2,000-post blog: the same feeds with and without the cache, cold and warm; one edit, one render."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from allforces_feeds import create_app, sealed
from allforces_feeds.config import load_config
from allforces_feeds.errors import ContentError
from allforces_feeds.load import load_posts, loader
from allforces_feeds.load.parse import split_front_matter
from allforces_feeds.render import FORMATS
from bench.gen_corpus import generate

from ..conftest import PUBLIC_URL, SITE_URL

POSTS = 2000


def make(content_dir: Path, cache_dir: Path | None) -> Flask:
    """An app over a folder, with a render cache in cache_dir (None: none)."""
    return create_app(
        {
            "CONTENT_DIR": str(content_dir),
            "CACHE_DIR": str(cache_dir or ""),
            "SITE_URL": SITE_URL,
            "PUBLIC_URL": PUBLIC_URL,
        }
    )


def feed_paths(app: Flask) -> list[str]:
    """The site's feeds, every category's and author's, and the 15 most and 15 least used tags', each format."""
    router = app.extensions["allforces"]
    scopes = list(router.current().all_scopes())
    tags = sorted((s for s in scopes if s.kind == "tags"), key=lambda s: (-len(s.posts), s.slug))
    chosen = [s for s in scopes if s.kind != "tags"] + tags[:15] + tags[-15:]
    return [router.urls.feed_path(s.kind, s.slug, fmt.file) for s in chosen for fmt in FORMATS.values()]


def bodies(app: Flask, paths: list[str]) -> dict[str, bytes]:
    """Each path's body, every answer a 200."""
    client = app.test_client()
    found = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        found[path] = response.data
    return found


def renders(app: Flask) -> int:
    """How many posts this app has rendered (not read back from the cache)."""
    return app.extensions["allforces"].body_cache.renders


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated blog, written once for the module."""
    return generate(POSTS, tmp_path_factory.mktemp("corpus")).directory


@pytest.fixture(scope="module")
def reference(corpus: Path) -> dict[str, bytes]:
    """The feeds without any cache: what every other way of serving must give, byte for byte."""
    app = make(corpus, None)
    return bodies(app, feed_paths(app))


@pytest.fixture(scope="module")
def warm_cache(corpus: Path, reference: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder filled by a cold start that served every reference feed (and checked them)."""
    cache = tmp_path_factory.mktemp("cache")
    app = make(corpus, cache)
    assert bodies(app, list(reference)) == reference
    assert renders(app) > 100
    return cache


def test_the_corpus_is_what_the_issue_describes(corpus: Path) -> None:
    loaded = load_posts(load_config({}, CONTENT_DIR=str(corpus), CACHE_DIR=""))
    assert len(loaded.posts) == POSTS and loaded.problems == []
    tags = {tag for post in loaded.posts for tag in post.tags}
    assert 150 <= len(tags) <= 220
    assert any(tag.isascii() for tag in tags) and any(not tag.isascii() for tag in tags)
    assert len({c for post in loaded.posts for c in post.categories}) == 12
    years = {post.published.year for post in loaded.posts}
    assert max(years) - min(years) == 14
    sizes = sorted(path.stat().st_size for path in (corpus / "_posts").iterdir())
    assert 2800 <= sizes[0] and sizes[-1] <= 9000 and 4000 <= sizes[len(sizes) // 2] <= 7000


def test_the_generator_is_deterministic(corpus: Path, tmp_path: Path) -> None:
    # The first 50 posts depend only on the seed, not on how many follow.
    again = generate(50, tmp_path).paths
    assert len(again) == 50
    assert all(path.read_bytes() == (corpus / "_posts" / path.name).read_bytes() for path in again)


def test_cold_cache_serves_the_same_bytes_as_no_cache(warm_cache: Path) -> None:
    # The warm_cache fixture made a cold start and compared every feed with the reference.
    assert any((warm_cache / "render").rglob("*"))


def test_warm_start_serves_the_same_bytes_without_rendering(
    corpus: Path, reference: dict[str, bytes], warm_cache: Path
) -> None:
    app = make(corpus, warm_cache)
    assert bodies(app, list(reference)) == reference
    assert renders(app) == 0


def test_warm_load_gives_the_same_posts_as_a_cold_one(corpus: Path, warm_cache: Path) -> None:
    cold = load_posts(load_config({}, CONTENT_DIR=str(corpus), CACHE_DIR=""))
    warm = load_posts(load_config({}, CONTENT_DIR=str(corpus), CACHE_DIR=str(warm_cache)))
    assert warm.posts == cold.posts
    assert warm.problems == cold.problems


def test_loading_on_two_processes_gives_what_one_gives(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config({}, CONTENT_DIR=str(corpus), CACHE_DIR="")
    monkeypatch.setattr(loader, "_can_fork", lambda: False)
    alone = load_posts(config)
    pools: list[object] = []
    original = loader.ProcessPoolExecutor

    def counting(*args: object, **kwargs: object) -> object:
        pools.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "_can_fork", lambda: True)
    monkeypatch.setattr(loader, "ProcessPoolExecutor", counting)
    together = load_posts(config)
    assert len(pools) == 1
    assert together.posts == alone.posts and together.problems == alone.problems


def test_two_processes_keep_the_records_and_signatures_one_keeps(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helper's posts are recorded here as the helper would record them, and a reload after reads no file."""
    pools: list[object] = []
    original = loader.ProcessPoolExecutor

    def counting(*args: object, **kwargs: object) -> object:
        pools.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "ProcessPoolExecutor", counting)
    kept = {}
    for name, forks in (("alone", False), ("together", True)):
        monkeypatch.setattr(loader, "_can_fork", lambda forks=forks: forks)
        found = loader.Loader(load_config({}, CONTENT_DIR=str(corpus), CACHE_DIR=str(tmp_path / name)))
        now = datetime.now(UTC)
        first = found.load(now)
        assert found.load(now) == first and found.read == 0  # every file known by the signature read with it
        assert found.store.path is not None
        kept[name] = sealed.unseal(found.store.path.read_bytes())
    assert len(pools) == 1
    assert kept["together"] is not None and kept["together"] == kept["alone"]


def test_one_edited_post_is_the_only_one_parsed_and_rendered_again(
    corpus: Path,
    reference: dict[str, bytes],
    warm_cache: Path,
    tmp_path: Path,
    parsed_sources: list[str],
) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    shutil.copytree(corpus, site)
    shutil.copytree(warm_cache, cache)
    newest = max((site / "_posts").iterdir())
    newest.write_text(newest.read_text(encoding="utf-8") + "\n追記：**訂正**があります。\n", encoding="utf-8")
    parsed_sources.clear()
    app = make(site, cache)
    assert parsed_sources == [f"_posts/{newest.name}"]
    served = bodies(app, list(reference))
    assert renders(app) == 1
    changed = {path for path in reference if served[path] != reference[path]}
    assert {"/feed.xml", "/atom.xml", "/feed.json"} <= changed
    assert all("訂正" in served[path].decode() for path in changed)


def test_cache_folder_holds_one_whole_entry_per_rendering(warm_cache: Path) -> None:
    entries = [path for path in (warm_cache / "render").rglob("*") if path.is_file()]
    assert entries and not [path for path in entries if path.name.startswith(".")]
    assert all(sealed.unseal(path.read_bytes()) is not None for path in entries)


# -- the front matter reader and the helper process --------------------------------------------------
@pytest.mark.parametrize(
    ("text", "meta", "body"),
    [
        ("---\ntitle: x\n---\n\n本文\n", {"title": "x"}, "本文"),
        ("---\ntitle: x\n", {}, "---\ntitle: x"),  # no closing line: no front matter at all
        ("本文だけ\n", {}, "本文だけ"),
        ("---\ntitle: x\n---  \nbody\n---\nmore\n", {"title": "x"}, "body\n---\nmore"),
        ('{\n"title": "json"\n}\nbody\n', {"title": "json"}, "body"),
    ],
)
def test_front_matter_is_split_as_jekyll_writes_it(text: str, meta: dict[str, str], body: str) -> None:
    assert split_front_matter(text, "x.md") == (meta, body)


@pytest.mark.parametrize("text", ["---\ntitle: [x\n---\n", "---\ndate: 2025-02-30\n---\n"])
def test_front_matter_errors_name_the_file(text: str) -> None:
    with pytest.raises(ContentError) as raised:
        split_front_matter(text, "_posts/x.md")
    assert raised.value.problem.source == "_posts/x.md" and raised.value.problem.field == "front matter"


def test_a_failed_helper_process_leaves_its_work_to_the_caller(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config({}, CONTENT_DIR=str(corpus), CACHE_DIR="")
    monkeypatch.setattr(loader, "_can_fork", lambda: False)
    alone = load_posts(config)

    def failing(*args: object) -> object:
        raise RuntimeError("the helper broke")

    # The forked helper runs the patched function; the caller redoes its part with its own code.
    monkeypatch.setattr(loader, "_can_fork", lambda: True)
    monkeypatch.setattr(loader, "_parse_part", failing)
    together = load_posts(config)
    assert together.posts == alone.posts and together.problems == alone.problems
    assert "helper process failed" in caplog.text
