"""Bytes on the wire for feed readers: a month of polling /feed.xml against WebSub, and a backfill through archives.

`python -m bench.poller_bytes [--polls N] [--new-posts P] [--posts M]`. Both parts run gunicorn as `make run` does
and count every byte from raw sockets: the request, the status line and headers, the body as sent.
1. A copy of content/ gets P new posts (gen_corpus's text), evenly spaced over N polls of /feed.xml (2,880: a month
   every 15 minutes, without the sleeping). Side by side: (a) a naive poller, (b) gzip, (c) gzip with If-None-Match
   and If-Modified-Since. (d) WebSub: the service is given a recording hub on loopback; on each publish ping for
   /feed.xml the hub GETs it with gzip, as a hub fetches a topic, and would push that body to the subscriber.
2. A generated M-post corpus (10,000) is backfilled from /feed.xml along `prev-archive` with gzip, again as a cache
   would do it (no request for an immutable page, revalidation of the others), and from /feed.json along `next_url`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

from bench.gen_corpus import generate, post_text
from bench.reload import wait_until, workers
from bench.servers import free_port, stop, wait_until_answers

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
TIMEOUT = 30.0
AGENT = "allforces-bench/1.0 (+https://allforces.jp/)"
GZIP = {"Accept-Encoding": "gzip"}
ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
ALARM_WORDS = ("WORKER TIMEOUT", "[ERROR]", "[CRITICAL]", "Traceback")
ALARMS: list[str] = []  # lines of gunicorn's logs with one of ALARM_WORDS
Cached = tuple[bytes, dict[str, str]]  # a page's content and headers


@dataclass(frozen=True)
class Answer:
    """One exchange: bytes sent, status, headers (lower-case names), bytes of the head, the body as sent."""

    sent: int
    status: int
    headers: dict[str, str]
    head: int
    body: bytes

    def content(self) -> bytes:
        """The body without its content coding."""
        return gzip.decompress(self.body) if self.headers.get("content-encoding") == "gzip" else self.body


@dataclass
class Tally:
    """What one client spent: requests, request bytes, response heads and bodies, statuses."""

    requests: int = 0
    sent: int = 0
    head: int = 0
    body: int = 0
    statuses: Counter[int] = field(default_factory=Counter)

    def add(self, answer: Answer) -> Answer:
        """Count one exchange; the answer."""
        self.requests += 1
        self.sent += answer.sent
        self.head += answer.head
        self.body += len(answer.body)
        self.statuses[answer.status] += 1
        return answer


def receive(sock: socket.socket) -> tuple[bytes, bytes]:
    """One HTTP message from a socket: its head with the blank line, and its body (Content-Length framing)."""
    data = b""
    while True:
        end = data.find(b"\r\n\r\n") + 4
        if end > 3:
            found = re.search(rb"(?im)^content-length:\s*(\d+)", data[:end])
            length = 0 if data.startswith(b"HTTP/1.1 304") or not found else int(found[1])
            if len(data) >= end + length:
                return data[:end], data[end : end + length]
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError(f"connection closed inside a message: {data[:200]!r}")
        data += chunk


def exchange(port: int, path: str, headers: dict[str, str] | None = None) -> Answer:
    """One GET on a fresh connection, its bytes counted as they cross the socket."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"User-Agent: {AGENT}", "Accept: */*"]
    data = "\r\n".join(lines + [f"{k}: {v}" for k, v in (headers or {}).items()] + ["", ""]).encode("latin-1")
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        head, body = receive(sock)
    status_line, *fields = head.decode("latin-1").strip().split("\r\n")
    found = {name.strip().lower(): value.strip() for name, value in (f.split(":", 1) for f in fields)}
    return Answer(len(data), int(status_line.split()[1]), found, len(head), body)


class Hub:
    """A recording WebSub hub: counts each publish ping; told of `topic`, it fetches it (a hub fetches its topic)."""

    def __init__(self, topic: str, fetch: Callable[[], Answer]) -> None:
        """Listen on a free loopback port, in a daemon thread."""
        self.topic, self.fetch = topic, fetch
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hub"
        self.pings: list[tuple[str, int]] = []  # (topic, bytes of the POST)
        self.fetched: list[Answer] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        """Answer each ping 202, record it, then fetch the topic when it is ours."""
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                head, body = receive(connection)
                connection.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            topic = urllib.parse.parse_qs(body.decode())["hub.topic"][0]
            self.pings.append((topic, len(head) + len(body)))
            if topic == self.topic:
                self.fetched.append(self.fetch())


def start(content: Path, cache: Path, log: Path, port: int, **settings: str) -> subprocess.Popen[bytes]:
    """gunicorn with this repo's config on a loopback port, once /healthz answers."""
    env = {**os.environ, "ALLFORCES_CONTENT_DIR": str(content), "ALLFORCES_CACHE_DIR": str(cache)}
    env.update({f"ALLFORCES_{name}": value for name, value in settings.items()}, GUNICORN_ACCESSLOG="off")
    command = [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "app:create_app()"]
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    wait_until_answers(process, f"http://127.0.0.1:{port}/healthz", 300)
    return process


def shut(process: subprocess.Popen[bytes], log: Path) -> None:
    """Stop gunicorn, waiting past its graceful_timeout (10 s) so that it kills stuck workers; keep its log's alarms."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        stop(process)
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    ALARMS.extend(f"{log.name}: {line}" for line in lines if any(word in line for word in ALARM_WORDS))


def publish(posts: Path, post: tuple[str, str], port: int, process: subprocess.Popen[bytes], hub: Hub) -> int:
    """Write a new post, wait until it is served and the hub fetched the feed with it; the size the hub pushes."""
    name, text = post
    (posts / f".{name}.tmp").write_text(text, encoding="utf-8")
    (posts / f".{name}.tmp").rename(posts / name)
    slug, fetches = name[11:-3].encode(), len(hub.fetched)
    wait_until(lambda: slug in exchange(port, "/feed.xml").body, f"{name} served")
    # Two workers and the child that tells the hubs (web/hubs.py).
    wait_until(lambda: len(workers(process.pid)) <= 3, "old workers gone")
    wait_until(lambda: len(hub.fetched) > fetches, f"the hub's fetch for {name}")
    if slug not in hub.fetched[-1].content():
        raise RuntimeError(f"the hub fetched /feed.xml without {name}")
    return len(hub.fetched[-1].content())


def month(polls: int, new_posts: int, work: Path) -> tuple[dict[str, Tally], Hub, list[int]]:
    """Three pollers side by side over `polls` polls while `new_posts` posts appear, and a hub told of each change."""
    content = work / "content"
    shutil.copytree(ROOT / "content", content)
    port = free_port()
    hub = Hub("https://allforces.jp/feed.xml", lambda: exchange(port, "/feed.xml", GZIP))
    process = start(content, work / "cache", work / "month.log", port, WEBSUB_HUB=hub.url)
    tallies = {"a": Tally(), "b": Tally(), "c": Tally()}
    validators: dict[str, str] = {}
    pushes: list[int] = []
    at = {(j * polls) // new_posts + polls // (2 * new_posts): j for j in range(new_posts)}
    rng, now = random.Random(5005), datetime.now(UTC)
    try:
        for k in range(polls):
            if k in at:
                post = post_text(rng, 100_000 + at[k], now - timedelta(days=new_posts - at[k], hours=1))
                pushes.append(publish(content / "_posts", post[:2], port, process, hub))
            tallies["a"].add(exchange(port, "/feed.xml"))
            tallies["b"].add(exchange(port, "/feed.xml", GZIP))
            answer = tallies["c"].add(exchange(port, "/feed.xml", {**GZIP, **validators}))
            if answer.status == 200:
                validators = {"If-None-Match": answer.headers["etag"]}
                validators["If-Modified-Since"] = answer.headers["last-modified"]
    finally:
        shut(process, work / "month.log")
        hub.listener.close()
    return tallies, hub, pushes


@dataclass
class Walk:
    """One backfill: what it cost, the item ids in order seen, the pages visited with their ids, the wall time."""

    tally: Tally = field(default_factory=Tally)
    ids: list[str] = field(default_factory=list)
    pages: list[tuple[str, list[str]]] = field(default_factory=list)
    seconds: float = 0.0


def page_links(content: bytes, json_feed: bool) -> tuple[list[str], str | None]:
    """A page's item ids and the URL of the next older page (prev-archive, next_url) or None."""
    if json_feed:
        document = json.loads(content)
        return [item["id"] for item in document["items"]], document.get("next_url")
    root = etree.fromstring(content)
    older = root.find(f"channel/{ATOM_LINK}[@rel='prev-archive']")
    return [str(guid.text) for guid in root.iter("guid")], None if older is None else older.get("href")


def walk(port: int, path: str, cache: dict[str, Cached] | None = None) -> tuple[Walk, dict[str, Cached]]:
    """Follow the archive links from path to the oldest page with gzip; with a cache, as a caching client would."""
    result, kept, began = Walk(), {}, time.perf_counter()
    url: str | None = path
    while url is not None:
        path = urllib.parse.urlsplit(url).path
        cached = (cache or {}).get(path)
        if cached is not None and "immutable" in cached[1].get("cache-control", ""):
            content, headers = cached  # fresh for a year: no request
        else:
            conditional = {"If-None-Match": cached[1]["etag"]} if cached else {}
            answer = result.tally.add(exchange(port, path, {**GZIP, **conditional}))
            if answer.status == 304 and cached:
                content, headers = cached
            elif answer.status == 200:
                content, headers = answer.content(), answer.headers
            else:
                raise RuntimeError(f"{path} answered {answer.status}")
        kept[path] = (content, headers)
        ids, url = page_links(content, path.endswith(".json"))
        result.ids += ids
        result.pages.append((path, ids))
    result.seconds = time.perf_counter() - began
    return result, kept


def backfill(posts: int, work: Path) -> tuple[dict[str, Walk], int]:
    """The three walks over a generated corpus; and how many posts are visible."""
    generate(posts, work / "site")
    port = free_port()
    process = start(work / "site", work / "cache10k", work / "backfill.log", port)
    try:
        visible = int(json.loads(exchange(port, "/healthz").body)["posts"])
        walks: dict[str, Walk] = {}
        walks["RSS, prev-archive, gzip (cold server)"], cache = walk(port, "/feed.xml")
        walks["RSS again with a cache (immutable pages not asked)"] = walk(port, "/feed.xml", cache)[0]
        walks["JSON Feed, next_url, gzip"] = walk(port, "/feed.json")[0]
    finally:
        shut(process, work / "backfill.log")
    return walks, visible


def saving(total: int, base: int) -> str:
    """The saving of `total` against `base`, in percent."""
    return f"{100 * (1 - total / base):.1f} %"


def row(*cells: object) -> None:
    """Print one Markdown table row, integers with thousands separators."""
    print("| " + " | ".join(f"{cell:,}" if isinstance(cell, int) else str(cell) for cell in cells) + " |")


def report(tallies: dict[str, Tally], hub: Hub, pushes: list[int], walks: dict[str, Walk], visible: int) -> None:
    """Print both tables and the checks."""
    labels = {"a": "a. no validators, identity", "b": "b. no validators, gzip", "c": "c. validators + gzip"}
    base = tallies["a"].head + tallies["a"].body
    row("client (/feed.xml)", "requests", "200 / 304", "request bytes", "response heads", "response bodies", "received",
        "saving vs (a)")  # fmt: skip
    print("|---|" + "---:|" * 7)
    fetched = Tally()
    for answer in hub.fetched:
        fetched.add(answer)
    for key, t in {**tallies, "d": fetched}.items():
        label = labels.get(key, "d. WebSub: the hub's GET of /feed.xml per ping (gzip)")
        got = t.head + t.body
        row(label, t.requests, f"{t.statuses[200]:,} / {t.statuses[304]:,}", t.sent, t.head, t.body, got,
            saving(got, base))  # fmt: skip
    ours = [size for topic, size in hub.pings if topic == hub.topic]
    total = fetched.head + fetched.body + sum(ours)
    row("d. + the service's publish pings for /feed.xml (sent)", len(ours), "-", sum(ours), "-", "-", total,
        saving(total, base))  # fmt: skip
    row("d. hub → subscriber pushes (bodies, identity)", len(pushes), "-", "-", "-", sum(pushes), sum(pushes),
        saving(sum(pushes), base))  # fmt: skip
    print(f"\nPublish pings for every feed URL that changed: {len(hub.pings):,}, {sum(s for _, s in hub.pings):,} "
          f"bytes, {len({t for t, _ in hub.pings})} distinct topics.\n")  # fmt: skip
    row("backfill", "pages", "requests", "200 / 304", "request bytes", "response heads", "response bodies", "wall (s)",
        "items", "distinct", "duplicates", "visible posts")  # fmt: skip
    print("|---|" + "---:|" * 11)
    for name, w in walks.items():
        t, distinct = w.tally, len(set(w.ids))
        row(name, len(w.pages), t.requests, f"{t.statuses[200]} / {t.statuses[304]}", t.sent, t.head, t.body,
            f"{w.seconds:.1f}", len(w.ids), distinct, len(w.ids) - distinct, visible)  # fmt: skip
    rss, json_walk = (list(walks.values())[i] for i in (0, 2))
    twice = {i for i, n in Counter(rss.ids).items() if n > 1}
    where = [f"{path} ({len(twice & set(ids))})" for path, ids in rss.pages if twice & set(ids)]
    print(f"\nEvery visible post reached: RSS {len(set(rss.ids)) == visible}, JSON Feed "
          f"{len(set(json_walk.ids)) == visible}; same ids in both: {set(rss.ids) == set(json_walk.ids)}; "
          f"{len(twice)} post(s) seen twice in the RSS walk (on {', '.join(where) or 'no page'}).")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Command line: [--polls N] [--new-posts P] [--posts M]."""
    parser = argparse.ArgumentParser(prog="python -m bench.poller_bytes", description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=2_880, help="polls of /feed.xml (a month every 15 min)")
    parser.add_argument("--new-posts", type=int, default=30, help="posts published during the polls")
    parser.add_argument("--posts", type=int, default=10_000, help="posts of the corpus backfilled")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-poller-bytes-") as scratch:
        tallies, hub, pushes = month(args.polls, args.new_posts, Path(scratch))
        walks, visible = backfill(args.posts, Path(scratch))
    report(tallies, hub, pushes, walks, visible)
    print(f"\ngunicorn logged {len(ALARMS)} alarming line(s)" + "".join(f"\n    {line}" for line in ALARMS[:20]))


if __name__ == "__main__":
    main(sys.argv[1:])
