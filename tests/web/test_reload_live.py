"""Live content through gunicorn as `make run` starts it: changes served within 2 s under load, none failed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live import ROOT, Server, gunicorn

CLIENTS = 8
LOAD_SECONDS = 20.0
SERVED_WITHIN = 2.0
# After a reload, gunicorn's old workers go on accepting until their loop looks at the signal (each second).
OLD_WORKERS_GONE = 1.2
PATHS = ("/feed.xml", "/tags/ai/feed.xml")
ITEM_TITLE = re.compile(r"<item>\s*<title>([^<]*)</title>")
POST = '---\ntitle: "{title}"\ndate: {date}\ntags: [ai]\n---\n{body}\n'


@dataclass(frozen=True)
class Reply:
    """One polled response: when it was asked and answered, its status, and its items' titles."""

    started: float
    ended: float
    status: int
    titles: frozenset[str]


def write_post(site: Path, name: str, title: str, date: str, body: str = "本文です。") -> None:
    """Write a post file whole (a temporary file renamed into place, as editors and git do)."""
    path = site / "_posts" / name
    temporary = path.with_name(f".{name}.tmp")
    temporary.write_text(POST.format(title=title, date=date, body=body), encoding="utf-8")
    temporary.rename(path)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A blog of six posts, all tagged ai."""
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    for day in range(1, 7):
        write_post(root, f"2025-03-0{day}-post{day}.md", f"記事{day}", f"2025-03-0{day} 10:00:00 +0900")
    return root


@pytest.fixture
def server(site: Path, tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """gunicorn over the site, with its CACHE_DIR (where the pid file is)."""
    cache = tmp_path / "cache"
    env = {"ALLFORCES_CONTENT_DIR": str(site), "ALLFORCES_CACHE_DIR": str(cache), "GUNICORN_ACCESSLOG": "off"}
    with gunicorn(env) as running:
        yield running, cache


def titles(server: Server, path: str = "/feed.xml") -> frozenset[str]:
    """The item titles of a feed."""
    status, _, body = server.get(path)
    assert status == 200
    return item_titles(body)


def item_titles(body: bytes) -> frozenset[str]:
    """The titles of an RSS body's items (a regular expression: 8 pollers must leave the CPUs to the server)."""
    return frozenset(ITEM_TITLE.findall(body.decode()))


def wait_for(server: Server, check: str, present: bool, within: float = SERVED_WITHIN) -> float:
    """Seconds until the site feed has (or has lost) the title; fails after `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if (check in titles(server)) == present:
            return time.monotonic() - started
        time.sleep(0.02)
    pytest.fail(f"{check!r} {'not served' if present else 'still served'} after {within} s")


def poll(server: Server, path: str, stop: threading.Event, replies: list[Reply], errors: list[str]) -> None:
    """Ask for one feed again and again until told to stop, recording every answer (or failure)."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            status, _, body = server.get(path)
        except (OSError, urllib.error.URLError) as error:
            errors.append(f"{path}: {error!r}")
            continue
        replies.append(Reply(started, time.monotonic(), status, item_titles(body)))


def test_changes_under_load_are_served_whole_within_two_seconds(server: tuple[Server, Path], site: Path) -> None:
    """Add, edit, delete, break under 8 polling clients: nothing fails, nothing mixes, each is served in 2 s."""
    live, _ = server
    stop = threading.Event()
    replies: dict[str, list[Reply]] = {path: [] for path in PATHS}
    errors: list[str] = []
    threads = [
        threading.Thread(target=poll, args=(live, PATHS[i % 2], stop, replies[PATHS[i % 2]], errors))
        for i in range(CLIENTS)
    ]
    deadline = time.monotonic() + LOAD_SECONDS
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        # The changes, in order; each is the visible mark of one step.
        write_post(site, "2025-03-07-added.md", "追加記事", "2025-03-07 10:00:00 +0900")
        added = wait_for(live, "追加記事", True)
        write_post(site, "2025-03-02-post2.md", "記事2（改訂）", "2025-03-02 10:00:00 +0900", "改訂した本文。")
        edited = wait_for(live, "記事2（改訂）", True)
        (site / "_posts" / "2025-03-03-post3.md").unlink()
        deleted = wait_for(live, "記事3", False)
        (site / "_posts" / "2025-03-04-post4.md").write_text('---\ntitle: "壊れ\ntags: [\n---\n', encoding="utf-8")
        started = time.monotonic()
        while time.monotonic() - started < SERVED_WITHIN * 2:
            health = live.get("/healthz")[2].decode()
            if "2025-03-04-post4.md" in health:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the broken post was not reported on /healthz")
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
    assert errors == [], errors[:5]
    assert max(added, edited, deleted) <= SERVED_WITHIN
    assert "記事4" in titles(live), "the broken post's last good version is served"
    for path, answers in replies.items():
        assert len(answers) > 50 and {reply.status for reply in answers} == {200}, path
        for reply in answers:
            # One whole load per response: the changes it shows are a prefix of the changes made, in order.
            marks = marks_of(reply)
            assert list(marks) == sorted(marks, reverse=True), (path, sorted(reply.titles))
            assert ("記事2" in reply.titles) != marks[1] and "記事4" in reply.titles
        for step in range(3):
            # Once a change is served, it stays served (old workers stop accepting within a second).
            first = min(reply.ended for reply in answers if marks_of(reply)[step])
            assert all(marks_of(reply)[step] for reply in answers if reply.started > first + OLD_WORKERS_GONE)


def marks_of(reply: Reply) -> tuple[bool, bool, bool]:
    """Which of the three visible changes (added, edited, deleted) a response shows."""
    return ("追加記事" in reply.titles, "記事2（改訂）" in reply.titles, "記事3" not in reply.titles)


def master_pid(cache: Path) -> int:
    """The gunicorn master's pid, from the pid file that `feeds reload` reads."""
    return int((cache / "gunicorn.pid").read_text())


@pytest.mark.parametrize("how", ["SIGHUP", "feeds reload"])
def test_sighup_and_feeds_reload_load_the_changes(how: str, site: Path, tmp_path: Path) -> None:
    """With the watcher off, a change waits for SIGHUP or `flask feeds reload`, then is served."""
    cache = tmp_path / "cache"
    env = {"ALLFORCES_CONTENT_DIR": str(site), "ALLFORCES_CACHE_DIR": str(cache), "ALLFORCES_WATCH": "off"}
    with gunicorn(env) as live:
        write_post(site, "2025-03-08-manual.md", "手動で読み込む記事", "2025-03-08 10:00:00 +0900")
        time.sleep(1.0)
        assert "手動で読み込む記事" not in titles(live)
        if how == "SIGHUP":
            os.kill(master_pid(cache), signal.SIGHUP)
        else:
            flask = Path(sys.executable).with_name("flask")
            result = subprocess.run(
                [str(flask), "--app", "app", "feeds", "reload"],
                cwd=ROOT,
                env={**os.environ, **env},
                capture_output=True,
                timeout=60,
            )
            assert result.returncode == 0, result.stderr
        wait_for(live, "手動で読み込む記事", True)
        # An old worker may answer for up to a second more (gunicorn's workers look at their signals each second).
        started = time.monotonic()
        while b'"reloads":1' not in live.get("/healthz")[2]:
            assert time.monotonic() - started < SERVED_WITHIN, "/healthz does not count the reload"
            time.sleep(0.05)


def test_if_modified_since_alone_sees_a_backdated_post_and_an_edit(server: tuple[Server, Path], site: Path) -> None:
    """A client that keeps only Last-Modified gets 200 for new bytes, whatever their items' dates."""
    live, _ = server
    validator = live.get("/feed.xml")[1]["Last-Modified"]
    assert live.get("/feed.xml", {"If-Modified-Since": validator})[0] == 304
    write_post(site, "2024-01-01-backdated.md", "過去の日付の記事", "2024-01-01 10:00:00 +0900")
    wait_for(live, "過去の日付の記事", True)
    time.sleep(OLD_WORKERS_GONE)
    status, headers, _ = live.get("/feed.xml", {"If-Modified-Since": validator})
    assert status == 200 and headers["Last-Modified"] != validator
    validator = headers["Last-Modified"]
    write_post(site, "2025-03-05-post5.md", "記事5（改訂）", "2025-03-05 10:00:00 +0900")
    wait_for(live, "記事5（改訂）", True)
    time.sleep(OLD_WORKERS_GONE)
    assert live.get("/feed.xml", {"If-Modified-Since": validator})[0] == 200


def test_an_embed_304_keeps_last_modified(server: tuple[Server, Path]) -> None:
    """The embeds answer through Flask; their 304 still carries Last-Modified (RFC 9110 §15.4.5)."""
    live, _ = server
    status, headers, _ = live.get("/embed/latest.json?limit=3")
    assert status == 200
    again = live.raw_request(
        f"GET /embed/latest.json?limit=3 HTTP/1.1\r\nHost: x\r\nIf-None-Match: {headers['ETag']}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    head = again.decode("latin-1").lower()
    assert head.startswith("http/1.1 304") and f"last-modified: {headers['Last-Modified'].lower()}" in head
