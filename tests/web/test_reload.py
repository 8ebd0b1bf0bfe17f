"""Reloading in the process: changes served from one whole new load, bad edits never take good content down."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest
from flask import Flask

from allforces_feeds.web import documents, routes
from allforces_feeds.web.reload import EXTENSION, Reloader

from ..clock import NEW_YEAR, Clock

NOW = NEW_YEAR


@pytest.fixture
def site(posts_dir: Callable[..., Path]) -> Path:
    """Three posts in a Jekyll _posts folder."""
    posts_dir("2025-01-01-one.md", 'title: "一つ目"\ntags: [ai]')
    posts_dir("2025-01-02-two.md", 'title: "二つ目"\ntags: [ai]')
    return posts_dir("2025-01-03-three.md", 'title: "三つ目"\ntags: [投資]')


@pytest.fixture
def clock() -> Clock:
    """The test's clock."""
    return Clock()


@pytest.fixture
def app(make_app: Callable[..., Flask], site: Path, clock: Clock) -> Flask:
    """The app over the three posts."""
    return make_app(site, clock=clock)


def reloader(app: Flask) -> Reloader:
    """The app's reloader."""
    found: Reloader = app.extensions[EXTENSION]
    return found


def entries(app: Flask, path: str = "/feed.xml") -> dict[str, feedparser.FeedParserDict]:
    """The feed's items by title."""
    response = app.test_client().get(path)
    assert response.status_code == 200
    return {entry.title: entry for entry in feedparser.parse(response.data).entries}


def test_add_edit_delete_are_served_after_a_reload_that_reads_only_them(app: Flask, site: Path, clock: Clock) -> None:
    """A reload reads the changed files only and the next request sees all of the changes at once."""
    before = app.test_client().get("/healthz").json
    posts = site / "_posts"
    (posts / "2025-01-04-four.md").write_text('---\ntitle: "四つ目"\ntags: [ai]\n---\n新しい本文。\n')
    (posts / "2025-01-02-two.md").write_text('---\ntitle: "二つ目（改訂）"\ntags: [ai]\n---\n改訂。\n')
    (posts / "2025-01-01-one.md").unlink()
    clock.now += 600
    outcome = reloader(app).reload()
    assert outcome.ok and outcome.files_read == 2
    assert set(entries(app)) == {"四つ目", "二つ目（改訂）", "三つ目"}
    assert set(entries(app, "/tags/ai/feed.xml")) == {"四つ目", "二つ目（改訂）"}
    health = app.test_client().get("/healthz").json
    assert health["reloads"] == 1 and health["last_reload"]["outcome"] == "ok"
    assert health["posts"] == 3 and health["fingerprint"] != before["fingerprint"]


def test_an_edit_is_dated_when_first_seen_and_a_new_post_by_itself(app: Flask, site: Path, clock: Clock) -> None:
    """updated = published for a post's first version; an edit without last_modified_at = when it was seen."""
    posts = site / "_posts"
    clock.now += 3600
    (posts / "2025-01-02-two.md").write_text('---\ntitle: "二つ目"\ntags: [ai]\n---\n書き直した本文。\n')
    (posts / "2025-01-05-five.md").write_text('---\ntitle: "五つ目"\n---\n本文。\n')
    reloader(app).reload()
    found = {item["title"]: item for item in app.test_client().get("/feed.json").json["items"]}
    assert datetime.fromisoformat(found["二つ目"]["date_modified"]).timestamp() == NOW + 3600
    assert found["五つ目"]["date_modified"] == found["五つ目"]["date_published"]
    assert found["三つ目"]["date_modified"] == found["三つ目"]["date_published"]


def test_a_broken_edit_keeps_the_last_good_version(app: Flask, site: Path) -> None:
    """The broken post is reported (/healthz, feeds check) and its last good version stays served."""
    (site / "_posts" / "2025-01-03-three.md").write_text('---\ntitle: "壊れた\ntags: [\n---\n本文\n')
    reloader(app).reload()
    assert "三つ目" in entries(app)
    health = app.test_client().get("/healthz").json
    assert health["status"] == "ok"
    assert any(p["file"] == "_posts/2025-01-03-three.md" and "last good" in p["reason"] for p in health["problem_list"])
    result = app.test_cli_runner().invoke(args=["feeds", "check"])
    assert result.exit_code == 1 and "2025-01-03-three.md" in result.output


def test_an_unreadable_content_dir_keeps_the_last_content_and_says_503(app: Flask, site: Path) -> None:
    """A vanished CONTENT_DIR (an unmounted volume) is a 503 on /healthz while the feeds stay served."""
    moved = site.with_name("elsewhere")
    site.rename(moved)
    try:
        outcome = reloader(app).reload()
        assert not outcome.ok
        health = app.test_client().get("/healthz")
        assert health.status_code == 503 and health.json["status"] == "unreadable"
        assert "cannot be read" in health.json["reason"]
        assert len(entries(app)) == 3
        site.mkdir()  # an empty mount point: not a blog that deleted every post
        assert not reloader(app).reload().ok and len(entries(app)) == 3
    finally:
        shutil.rmtree(site, ignore_errors=True)
        moved.rename(site)
    assert reloader(app).reload().ok
    assert app.test_client().get("/healthz").status_code == 200


def test_if_modified_since_alone_sees_a_backdated_post(app: Flask, site: Path, clock: Clock) -> None:
    """New bytes at a URL get a later Last-Modified even when their newest item is older (RFC 9110 §13.1.3)."""
    client = app.test_client()
    first = client.get("/feed.xml")
    validator = first.headers["Last-Modified"]
    assert client.get("/feed.xml", headers={"If-Modified-Since": validator}).status_code == 304
    (site / "_posts" / "2024-06-01-old.md").write_text('---\ntitle: "昔の記事"\n---\n取り込んだ記事。\n')
    clock.now += 120
    reloader(app).reload()
    again = client.get("/feed.xml", headers={"If-Modified-Since": validator})
    assert again.status_code == 200 and b"\xe6\x98\x94\xe3\x81\xae\xe8\xa8\x98\xe4\xba\x8b" in again.data
    assert parsedate_to_datetime(again.headers["Last-Modified"]).timestamp() == NOW + 120
    assert client.get("/feed.xml", headers={"If-Modified-Since": again.headers["Last-Modified"]}).status_code == 304


def test_a_representation_that_fails_is_reported_once_and_answered_503(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A renderer failure is a 503 with Retry-After, built once, named on /healthz; other feeds stay served."""
    calls: list[str] = []
    render = documents.render_feed

    def failing(archive, items, fmt, config, urls):  # type: ignore[no-untyped-def]
        if archive.scope.slug == "ai":
            calls.append(archive.scope.slug)
            raise RuntimeError("renderer bug")
        return render(archive, items, fmt, config, urls)

    monkeypatch.setattr(documents, "render_feed", failing)
    client = app.test_client()
    for _ in range(3):
        answer = client.get("/tags/ai/feed.xml")
        assert answer.status_code == 503 and answer.headers["Retry-After"] == str(routes.RETRY_AFTER)
    assert calls == ["ai"]
    assert client.get("/feed.xml").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["status"] == "degraded"
    assert "/tags/ai/feed.xml" in health.json["reason"] and "renderer bug" in health.json["reason"]


def test_a_scheduled_post_still_appears_at_its_time(make_app: Callable[..., Flask], posts_dir, clock: Clock) -> None:
    """A reload keeps future posts waiting, and they appear when their time comes."""
    site = posts_dir("2025-01-01-one.md", 'title: "一つ目"')
    app = make_app(site, clock=clock)
    (site / "_posts" / "2026-01-01-soon.md").write_text(
        '---\ntitle: "予約"\ndate: 2026-01-01 01:00:00 +0000\n---\n本文\n'
    )
    reloader(app).reload()
    assert "予約" not in entries(app)
    clock.now += 2 * 3600
    assert "予約" in entries(app)


def test_the_watcher_reloads_by_itself(app: Flask, site: Path) -> None:
    """In a single process (no gunicorn master), the watcher's reload serves a new file within 2 s."""
    stop = reloader(app).start_watching()
    try:
        time.sleep(0.3)  # the watch is set up
        (site / "_posts" / "2025-01-06-watched.md").write_text('---\ntitle: "見張り"\n---\n本文。\n')
        deadline = time.monotonic() + 2
        while "見張り" not in entries(app):
            assert time.monotonic() < deadline, "not served within 2 s"
            time.sleep(0.02)
    finally:
        stop.set()


def test_changed_site_settings_are_reported_for_a_restart(app: Flask, site: Path) -> None:
    """_config.yml shapes every URL and body: a change is named on /healthz, the posts still reloaded."""
    (site / "_config.yml").write_text("title: 別のブログ名\n", encoding="utf-8")
    (site / "_posts" / "2025-01-07-more.md").write_text('---\ntitle: "さらに"\n---\n本文。\n')
    assert reloader(app).reload().ok
    health = app.test_client().get("/healthz").json
    assert "restart" in health["restart_needed"] and health["posts"] == 4
    (site / "_config.yml").unlink()
    reloader(app).reload()
    assert app.test_client().get("/healthz").json["restart_needed"] is None
