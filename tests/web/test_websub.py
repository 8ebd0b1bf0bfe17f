"""WebSub publishing in the process: hub links, exactly the changed feed URLs announced, retries, status."""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import pytest
from flask import Flask

from allforces_feeds.web import hubs as hubs_module
from allforces_feeds.web.hubs import Board, Hubs
from allforces_feeds.web.reload import EXTENSION, Reloader
from allforces_feeds.web.websub import Publisher

from ..clock import NEW_YEAR, Clock

HUBS = "https://hub.example/, https://pubsubhubbub.example/publish"
# What the app's hubs were sent, (hub, URL): tests never reach outside loopback.
Sent = list[tuple[str, str]]
NOW = NEW_YEAR


@pytest.fixture
def site(posts_dir: Callable[..., Path]) -> Path:
    """Three posts, two tags, two authors."""
    posts_dir("2025-01-01-one.md", 'title: "一つ目"\ntags: [AI]\nauthor: 山田')
    posts_dir("2025-01-02-two.md", 'title: "二つ目"\ntags: [AI]\nauthor: 佐藤')
    return posts_dir("2025-01-03-three.md", 'title: "三つ目"\ntags: [投資]\nauthor: 佐藤')


@pytest.fixture
def clock() -> Clock:
    """The test's clock."""
    return Clock()


@pytest.fixture
def sent() -> Sent:
    """What the app's hubs were sent."""
    return []


@pytest.fixture
def app(make_app: Callable[..., Flask], site: Path, clock: Clock, sent: Sent) -> Flask:
    """The app over the three posts, with two hubs that record what they are sent and accept it."""
    app = make_app(site, clock=clock, WEBSUB_HUB=HUBS)

    def record(hub: str, url: str) -> tuple[bool, bool, str]:
        """Accept, as a hub does with 202."""
        sent.append((hub, url))
        return True, False, "202"

    found = publisher(app)
    found.hubs = Hubs(found.router.config.websub_hubs, record)
    return app


def publisher(app: Flask) -> Publisher:
    """The app's WebSub publisher."""
    reloader: Reloader = app.extensions[EXTENSION]
    assert reloader.publisher is not None
    return reloader.publisher


def every_feed(app: Flask) -> dict[str, bytes]:
    """Every subscription feed's bytes by absolute URL, as /feeds.json lists them."""
    client = app.test_client()
    found = {}
    for feed in client.get("/feeds.json").json["feeds"]:
        for url in feed["urls"].values():
            found[url] = client.get(url.removeprefix("https://feeds.allforces.jp")).data
    return found


def test_every_feed_names_its_hubs_and_itself(app: Flask) -> None:
    """rel=hub and rel=self in RSS and Atom bodies, hubs in JSON Feed, and a Link header on 200 and 304."""
    client = app.test_client()
    hubs = ["https://hub.example/", "https://pubsubhubbub.example/publish"]
    for url in every_feed(app):
        path = url.removeprefix("https://feeds.allforces.jp")
        answer = client.get(path)
        link = f'<{hubs[0]}>; rel="hub", <{hubs[1]}>; rel="hub", <{url}>; rel="self"'
        assert answer.headers["Link"] == link
        again = client.get(path, headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304 and again.headers["Link"] == link
        if path.endswith(".json"):
            assert answer.json["hubs"] == [{"type": "WebSub", "url": hub} for hub in hubs]
            assert answer.json["feed_url"] == url
        else:
            links = feedparser.parse(answer.data).feed.links
            assert [link.href for link in links if link.rel == "hub"] == hubs
            assert [link.href for link in links if link.rel == "self"] == [url]


def test_without_hubs_no_feed_names_one(make_app: Callable[..., Flask], site: Path) -> None:
    """WEBSUB_HUB unset: no Link header, no hub link, no hubs member, no publisher."""
    app = make_app(site)
    client = app.test_client()
    assert "Link" not in client.get("/feed.xml").headers
    assert b'rel="hub"' not in client.get("/atom.xml").data
    assert "hubs" not in client.get("/feed.json").json
    assert app.extensions[EXTENSION].publisher is None
    assert client.get("/healthz").json["websub"] is None


def test_a_new_post_announces_exactly_the_feeds_whose_bytes_changed(app: Flask, site: Path, sent: Sent) -> None:
    """The URLs sent to each hub after a reload are those whose bytes differ, every format and scope, each once."""
    before = every_feed(app)
    (site / "_posts" / "2025-01-04-four.md").write_text('---\ntitle: "四つ目"\ntags: [AI]\nauthor: 山田\n---\n本文\n')
    reloader: Reloader = app.extensions[EXTENSION]
    reloader.reload()
    after = every_feed(app)
    changed = sorted(url for url in after if before.get(url) != after[url])
    assert len(changed) == 9  # the site, tag AI, author 山田: three formats each
    assert not any("%E6%8A%95%E8%B3%87" in url or "%E4%BD%90%E8%97%A4" in url for url in changed)
    deadline = time.monotonic() + 5
    while len(sent) < 2 * len(changed):
        assert time.monotonic() < deadline, sent
        time.sleep(0.01)
    for hub in ("https://hub.example/", "https://pubsubhubbub.example/publish"):
        assert sorted(url for to, url in sent if to == hub) == changed


def test_an_edit_that_changes_no_feed_byte_announces_nothing(app: Flask, site: Path) -> None:
    """A comment added to a post's front matter changes its file, not its feeds: once built, nothing is sent."""
    post = site / "_posts" / "2025-01-03-three.md"
    post.write_text(post.read_text().replace("tags:", "# 編集メモ\ntags:"))
    reloader: Reloader = app.extensions[EXTENSION]
    reloader.reload()
    first = publisher(app).changed()  # the first look after a start has no built bytes to compare with
    post.write_text(post.read_text().replace("# 編集メモ", "# 編集メモ（二）"))
    reloader.reload()
    assert set(first) >= set(publisher(app).changed()) == set()


def test_a_scheduled_post_is_announced_when_its_time_comes(app: Flask, site: Path, clock: Clock) -> None:
    """A post dated in the future is announced by the reload its time brings, not before."""
    soon = '---\ntitle: "予約"\ndate: 2026-01-01 01:00:00 +0000\n---\n本文\n'
    (site / "_posts" / "2026-01-01-soon.md").write_text(soon)
    reloader: Reloader = app.extensions[EXTENSION]
    reloader.reload()
    assert publisher(app).changed() == []
    assert reloader.router.catalog.next_after(clock()) == NOW + 3600
    clock.now += 3601
    assert "https://feeds.allforces.jp/feed.xml" in publisher(app).changed()


def test_a_failing_hub_is_retried_with_backoff_and_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passing trouble is tried again until delivered; a refusal is given up at once; /healthz's status says so."""
    monkeypatch.setattr(hubs_module, "BACKOFF", 0.01)
    answers = {"https://a.example/": [(False, True, "HTTP 503"), (False, True, "URLError"), (True, False, "202")]}
    answers["https://b.example/"] = [(False, False, "HTTP 400 Bad Request")]
    sent: list[tuple[str, str]] = []

    def send(hub: str, url: str) -> tuple[bool, bool, str]:
        """Answer from the script above."""
        sent.append((hub, url))
        return answers[hub].pop(0)

    hubs = Hubs(list(answers), send)
    hubs.announce(["https://feeds.example/feed.xml"], "fingerprint")
    deadline = time.monotonic() + 5
    while any(answers.values()) or any(s["pending"] for s in hubs.status()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    status = {s["hub"]: s for s in hubs.status()}
    assert sent.count(("https://a.example/", "https://feeds.example/feed.xml")) == 3
    assert status["https://a.example/"]["sent"] == 1 and status["https://a.example/"]["failed"] == 0
    assert status["https://a.example/"]["last_error"]["reason"] == "URLError"
    assert status["https://b.example/"]["failed"] == 1 and status["https://b.example/"]["sent"] == 0


def test_the_status_board_is_shared_with_forked_workers() -> None:
    """What the publishing process writes after a fork is what a forked worker reads."""
    board = Board()
    board.write([{"hub": "before"}])
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the "worker": wait for the parent's write, then report what it reads
        os.read(reader, 1)
        os.write(writer, repr(board.read()).encode())
        os._exit(0)
    board.write([{"hub": "after", "sent": 3}])
    os.write(writer, b"!")
    os.waitpid(child, 0)
    assert os.read(reader, 1000).decode() == repr([{"hub": "after", "sent": 3}])


@contextmanager
def endpoint(statuses: list[int]) -> Iterator[tuple[str, list[bytes]]]:
    """A loopback HTTP endpoint answering POSTs with these statuses in turn; yields its URL and the bodies."""
    bodies: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        """Records each POST body and answers the next status."""

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            """Record, answer."""
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(statuses.pop(0) if statuses else 202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hub", bodies
    finally:
        server.shutdown()
        server.server_close()


def test_ping_posts_the_publish_form_and_reads_the_answer() -> None:
    """hub.mode=publish with the URL as hub.url and hub.topic; 5xx is worth retrying, 4xx is not."""
    with endpoint([202, 503, 404]) as (hub, bodies):
        assert hubs_module.ping(hub, "https://feeds.example/tags/%E6%8A%95%E8%B3%87/feed.xml") == (True, False, "202")
        assert hubs_module.ping(hub, "https://feeds.example/feed.xml")[:2] == (False, True)
        assert hubs_module.ping(hub, "https://feeds.example/feed.xml")[:2] == (False, False)
    form = "hub.mode=publish&hub.url=https%3A%2F%2Ffeeds.example%2Ftags%2F%25E6%258A%2595%25E8%25B3%2587%2Ffeed.xml"
    assert bodies[0].decode().startswith(form + "&hub.topic=")
    assert hubs_module.ping("http://127.0.0.1:9/hub", "https://feeds.example/feed.xml")[:2] == (False, True)


def test_feeds_ping_tells_every_hub_by_hand(make_app: Callable[..., Flask], site: Path) -> None:
    """`flask feeds ping` announces the feeds named (or all) to every hub; exit 1 when one fails."""
    with endpoint([204, 204, 500]) as (hub, bodies):
        app = make_app(site, WEBSUB_HUB=hub)
        runner = app.test_cli_runner()
        result = runner.invoke(args=["feeds", "ping", "/feed.xml", "/tags/ai/atom.xml"])
        assert result.exit_code == 0, result.output
        assert len(bodies) == 2 and b"feeds.allforces.jp%2Ftags%2Fai%2Fatom.xml" in bodies[1]
        result = runner.invoke(args=["feeds", "ping", "/feed.xml"])
        assert result.exit_code == 1 and "HTTP 500" in result.output
    result = make_app(site).test_cli_runner().invoke(args=["feeds", "ping"])
    assert result.exit_code == 2 and "ALLFORCES_WEBSUB_HUB" in result.output


def test_under_gunicorn_the_hubs_are_told_from_a_child_process() -> None:
    """start_process(): the parent only writes to a pipe; a forked child sends, and its status reaches the parent."""
    with endpoint([]) as (hub, bodies):
        hubs = Hubs([hub])
        hubs.start_process(None, [])
        try:
            hubs.announce(["https://feeds.example/feed.xml", "https://feeds.example/atom.xml"], "fingerprint")
            deadline = time.monotonic() + 10
            while not hubs.status() or hubs.status()[0]["sent"] < 2:
                assert time.monotonic() < deadline, hubs.status()
                time.sleep(0.02)
        finally:
            hubs.stop_process()
    assert len(bodies) == 2 and all(b"hub.mode=publish" in body for body in bodies)
    assert hubs.clients[0].status["sent"] == 0  # this process sent nothing itself
