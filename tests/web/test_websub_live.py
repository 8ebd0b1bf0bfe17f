"""WebSub with a real hub (flask-websub from PyPI, tests/websub.py): gunicorn's publisher, the hub, a subscriber.

New posts are written into a copy of content/ under a live gunicorn (2 workers, watching CONTENT_DIR); the hub
must be told once per changed feed URL per reload, from one process, and deliver the new feed to a subscriber of
a tag feed within seconds. The expected URLs are found independently: every feed in /feeds.json, fetched before
and after, compared by bytes.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import celery
import flask_websub
import pytest

from bench.servers import free_port
from tests.live import ROOT, Server, gunicorn
from tests.websub import HubProcess, Record, SubscriberProcess, publish, websub_hub, websub_subscriber

assert flask_websub.__version__ == "0.4.1" and celery.__version__, "the hub is flask-websub 0.4.1 with celery"

ROUNDS = 5
MEDIAN_WITHIN = 5.0
EACH_WITHIN = 20.0
# gunicorn's old workers may answer for about a second after a reload; pings then settle when none came for this long.
OLD_WORKERS_GONE = 1.2
QUIET = 2.0
TAG, CATEGORY, AUTHOR = "AI", "投資分析", "ALLFORCES編集部"
TOPIC_PATH = "/tags/ai/atom.xml"
POST = (
    '---\ntitle: "{title}"\ndate: {date}\ncategories: ["{category}"]\ntags: ["{tag}"]\nauthor: "{author}"\n---\n'
    "{body}\n"
)


@dataclass
class Live:
    """gunicorn over a copy of content/, the hub it tells, a subscriber of one tag feed."""

    server: Server
    base: str
    site: Path
    hub: HubProcess
    subscriber: SubscriberProcess


@dataclass
class Round:
    """One new post: when it was written, its first delivery with the title, the pings, the feeds that changed."""

    title: str
    written: float
    latency: float | None
    pings: list[Record]
    changed: set[str]
    listing: dict[str, tuple[str, str]]
    notifications: list[Record]
    failures: list[Record]
    reload: dict[str, Any]

    @property
    def pinged(self) -> list[str]:
        """The topics of the publish pings the hub got, in order."""
        return [ping["topic"] for ping in self.pings]


def fetch(url: str) -> bytes:
    """One GET of an absolute URL, identity-encoded (urllib sends no Accept-Encoding)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body


def feeds(base: str) -> dict[str, tuple[str, str]]:
    """Every subscription feed URL that /feeds.json lists, with its (scope, label)."""
    listing = json.loads(fetch(base + "/feeds.json"))
    return {url: (feed["scope"], feed["label"]) for feed in listing["feeds"] for url in feed["urls"].values()}


def snapshot(base: str) -> dict[str, bytes]:
    """The bytes of every subscription feed now."""
    return {url: fetch(url) for url in feeds(base)}


def last_reload(server: Server) -> dict[str, Any]:
    """/healthz's account of the last reload (when, how long), {} before any."""
    reload: dict[str, Any] = json.loads(server.get("/healthz")[2])["last_reload"] or {}
    return reload


def settle(hub: HubProcess, since: float) -> None:
    """Wait until old workers are gone and no publish ping came for QUIET seconds."""
    time.sleep(max(0.0, since + OLD_WORKERS_GONE - time.time()))
    count, last_change = len(hub.publishes()), time.monotonic()
    while time.monotonic() - last_change < QUIET:
        time.sleep(0.1)
        if (now := len(hub.publishes())) != count:
            count, last_change = now, time.monotonic()


def write_post(site: Path, number: int, title: str) -> float:
    """Write a new post (tag AI, a known category and author) whole by a rename; the wall-clock time it landed."""
    date = datetime.now(UTC) - timedelta(minutes=ROUNDS - number)
    name = f"{date:%Y-%m-%d}-websub-probe-{number}.md"
    text = POST.format(
        title=title, date=f"{date:%Y-%m-%d %H:%M:%S} +0000", category=CATEGORY, tag=TAG, author=AUTHOR,
        body=f"WebSub の計測用の記事 {number}。",
    )  # fmt: skip
    temporary = site / "_posts" / f".{name}.tmp"
    temporary.write_text(text, encoding="utf-8")
    temporary.rename(site / "_posts" / name)
    return time.time()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The hub and subscriber, then gunicorn over a copy of content/ telling the hub, its tag feed subscribed to."""
    tmp = tmp_path_factory.mktemp("websub")
    site = tmp / "site"
    shutil.copytree(ROOT / "content", site)
    with websub_hub(tmp / "hub") as hub, websub_subscriber(tmp / "subscriber") as subscriber:
        # SITE_URL (so the feeds' self URLs) names a second port gunicorn listens on: the hub fetches topics there.
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            "ALLFORCES_CONTENT_DIR": str(site), "ALLFORCES_CACHE_DIR": str(tmp / "cache"), "GUNICORN_ACCESSLOG": "off",
            "ALLFORCES_SITE_URL": base, "ALLFORCES_WEBSUB_HUB": hub.url,
        }  # fmt: skip
        with gunicorn(env, args=("--bind", f"127.0.0.1:{port}")) as server:
            subscriber.subscribe(base + TOPIC_PATH)
            yield Live(server, base, site, hub, subscriber)


@pytest.fixture(scope="module")
def rounds(live: Live) -> list[Round]:
    """Five new posts, one at a time, each measured from its write to its delivery through the hub."""
    results: list[Round] = []
    settle(live.hub, time.time())
    for number in range(1, ROUNDS + 1):
        title = f"WebSub probe {number} {time.time_ns():x}"
        listing, before = feeds(live.base), snapshot(live.base)
        pings, failures = len(live.hub.publishes()), len(live.hub.records("task_failure"))
        received = len(live.subscriber.notifications())
        written = write_post(live.site, number, title)
        latency = None
        deadline = time.monotonic() + EACH_WITHIN
        while latency is None and time.monotonic() < deadline:
            for notification in live.subscriber.notifications()[received:]:
                if title.encode() in notification["content"]:
                    latency = notification["time"] - written
                    break
            time.sleep(0.02)
        settle(live.hub, time.time())
        after = snapshot(live.base)
        changed = {url for url in after.keys() | before.keys() if before.get(url) != after.get(url)}
        results.append(
            Round(
                title, written, latency, live.hub.publishes()[pings:], changed,
                listing | feeds(live.base), live.subscriber.notifications()[received:],
                live.hub.records("task_failure")[failures:], last_reload(live.server),
            )
        )  # fmt: skip
        delays = [ping["time"] - written for ping in results[-1].pings]
        first, last = (f"{min(delays):.2f}", f"{max(delays):.2f}") if delays else ("-", "-")
        reload_ms, at = results[-1].reload.get("duration_ms"), results[-1].reload.get("at")
        # /healthz gives the reload's end to the second: enough to tell the watcher's delay from the publisher's.
        since = datetime.fromisoformat(at).timestamp() - written if at else None
        ended = "-" if since is None else f"{since:+.1f}..{since + 1:+.1f}"
        delivered = "never" if latency is None else f"{latency:.2f} s"
        print(
            f"round {number}: delivered {delivered}; reload of {reload_ms} ms ended at {ended} s;"
            f" {len(delays)} pings {first}-{last} s"
        )
    return results


def describe(round_: Round) -> dict[str, Any]:
    """What a round saw, for a failure message."""
    return {
        "title": round_.title,
        "latency": round_.latency,
        "pinged": Counter(round_.pinged),
        "changed": sorted(round_.changed),
        "notifications": [
            (n["time"] - round_.written, round_.title.encode() in n["content"]) for n in round_.notifications
        ],
        "task failures": [f["error"] for f in round_.failures],
        "last reload": round_.reload,
    }


def test_each_new_post_reaches_the_subscriber_through_the_hub(rounds: list[Round], live: Live) -> None:
    """Every new post's tag feed is delivered within 20 s of the file's write, the median within 5 s."""
    latencies = [r.latency for r in rounds]
    print("latencies:", latencies)
    missing = [describe(r) for r in rounds if r.latency is None]
    assert not missing, f"not delivered within {EACH_WITHIN} s: {missing}\nhub output:\n{live.hub.tail()}"
    measured = [latency for latency in latencies if latency is not None]
    assert max(measured) <= EACH_WITHIN
    assert statistics.median(measured) < MEDIAN_WITHIN, measured


def test_the_hub_is_told_once_of_exactly_the_feeds_that_changed(rounds: list[Round], live: Live) -> None:
    """Per reload: one ping per changed feed URL (not one per worker), none for a feed whose bytes did not change."""
    for number, round_ in enumerate(rounds, 1):
        detail = f"round {number}: {describe(round_)}"
        scopes = {round_.listing[url] for url in round_.changed}
        # The expectation is sound: the new post changed the site's, its tag's, category's and author's feeds.
        assert {("site", "ALLFORCES"), ("tags", TAG), ("categories", CATEGORY), ("authors", AUTHOR)} <= scopes, detail
        twice = sorted(url for url, count in Counter(round_.pinged).items() if count > 1)
        assert twice == [], f"told more than once: {twice}; {detail}"
        assert set(round_.pinged) == round_.changed, detail
        # Each ping names its topic both ways (hub.topic, hub.url) and the hub took it.
        assert all(ping["url"] == ping["topic"] and ping["status"] == 202 for ping in round_.pings), round_.pings
        scoped = [round_.listing.get(url, ("unlisted", url)) for url in round_.pinged]
        other_tags = [label for scope, label in scoped if scope == "tags" and label != TAG]
        assert other_tags == [], detail
        # One ping of the subscribed topic, so one delivery of it, with the new post.
        assert len(round_.notifications) == 1, detail
        assert {n["topic"] for n in round_.notifications} == {live.base + TOPIC_PATH}


def test_the_harness_delivers_a_publish_sent_by_hand(tmp_path: Path) -> None:
    """Without the service's publisher (watcher off): a ping sent by hand delivers the feed's bytes."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "content", site)
    with websub_hub(tmp_path / "hub") as hub, websub_subscriber(tmp_path / "subscriber") as subscriber:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            "ALLFORCES_CONTENT_DIR": str(site), "ALLFORCES_CACHE_DIR": str(tmp_path / "cache"),
            "GUNICORN_ACCESSLOG": "off", "ALLFORCES_SITE_URL": base, "ALLFORCES_WEBSUB_HUB": hub.url,
            "ALLFORCES_WATCH": "off",
        }  # fmt: skip
        with gunicorn(env, args=("--bind", f"127.0.0.1:{port}")):
            topic = base + TOPIC_PATH
            subscriber.subscribe(topic)
            assert publish(hub.url, topic) == 202
            subscriber.wait_for(lambda r: r["event"] == "notification", 10, "delivery of a hand-sent publish")
            [delivered] = subscriber.notifications()
            assert delivered["topic"] == topic and delivered["content"] == fetch(topic)
            # The hub refuses content without the Link header (rel=hub and rel=self) and logs why.
            assert publish(hub.url, base + "/healthz") == 202
            failure = hub.wait_for(lambda r: r["event"] == "task_failure", 10, "refusal of a topic without Link")
            assert "Link header" in failure["error"]
            assert len(subscriber.notifications()) == 1
