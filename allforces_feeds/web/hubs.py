"""Telling WebSub hubs that feeds changed: one thread per hub, retries with backoff, status shared with workers.

The W3C WebSub Recommendation leaves publishing to the hub ("the method ... is not defined"); every hub in use
takes a form POST of `hub.mode=publish` with the topic as `hub.url` (PubSubHubbub 0.4, Google's and Superfeedr's
hubs) or `hub.topic` (flask-websub, Switchboard): both are sent, one topic per request, which every hub reads.
A hub that fails is retried with exponential backoff in its own thread, so one slow hub never delays another
and no request of a reader ever waits for a hub. Written here because no maintained Python library publishes
to WebSub hubs (PyPI's pubsubhubbub-publisher is from 2009, Python 2).

Under gunicorn the hubs are told from one child process of the master, forked before any worker: the master
forks workers (and its second loader) at every reload, and a fork while a thread of its own is in the middle of
an HTTP request copies that thread's locks held (the import lock of `encodings.idna` was seen hanging a new
worker). The master writes each batch to the child through a pipe. The status lives in an anonymous shared
memory map made before those forks, so /healthz in every worker shows what the child's threads did.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import signal
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import IO, Any

log = logging.getLogger(__name__)
TIMEOUT = 10
# Attempts per URL, then it is given up (and logged); waits double from BACKOFF seconds up to BACKOFF_MAX.
ATTEMPTS = 8
BACKOFF = 1.0
BACKOFF_MAX = 300.0
# How long a round waits for the new content to be what the service answers (gunicorn forks new workers
# after the reload): a hub fetches the topic as soon as it is told, and must get the new bytes.
READY_WAIT = 10.0
BOARD_BYTES = 1 << 16
_HEADER = struct.Struct("<II")


class Board:
    """A JSON value in shared memory: written by one process, read by any forked after it was made."""

    def __init__(self) -> None:
        """An empty board (read() gives {})."""
        self._map = mmap.mmap(-1, BOARD_BYTES)
        self._lock = threading.Lock()

    def write(self, value: Any) -> None:
        """Replace the value; a value too large for the board is cut to a note."""
        payload = json.dumps(value, ensure_ascii=False).encode()
        if len(payload) > BOARD_BYTES - _HEADER.size:
            payload = json.dumps({"error": "status too large to show"}).encode()
        with self._lock:
            self._map[: _HEADER.size + len(payload)] = _HEADER.pack(len(payload), zlib.crc32(payload)) + payload

    def read(self) -> Any:
        """The value last written; a read that met a write in progress is tried again."""
        for _ in range(10):
            length, checksum = _HEADER.unpack(self._map[: _HEADER.size])
            payload = self._map[_HEADER.size : _HEADER.size + min(length, BOARD_BYTES - _HEADER.size)]
            if length == 0:
                return {}
            if zlib.crc32(payload) == checksum:
                return json.loads(payload)
            time.sleep(0.001)
        return {}


def _now() -> str:
    """The time of day in RFC 3339, for the status."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def ping(hub: str, url: str) -> tuple[bool, bool, str]:
    """POST one publish notification: (delivered, worth retrying, what happened)."""
    body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": url, "hub.topic": url}).encode()
    request = urllib.request.Request(hub, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    request.add_header("User-Agent", "allforces-feeds (WebSub publisher)")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            answer.read(65536)
            return True, False, f"{answer.status}"
    except urllib.error.HTTPError as error:
        # 408, 429 and 5xx are the hub's passing trouble; any other 4xx refuses this request for good.
        return False, error.code in (408, 425, 429) or error.code >= 500, f"HTTP {error.code} {error.reason}"
    except (OSError, ValueError) as error:
        return False, True, f"{type(error).__name__}: {error}"


class HubClient:
    """One hub: URLs waiting to be announced, a thread that announces them, and what happened."""

    def __init__(self, hub: str, changed: Callable[[], None], send: Callable[[str, str], tuple[bool, bool, str]]):
        """Nothing pending; the thread starts with the first URL."""
        self.hub = hub
        self._changed = changed
        self._send = send
        self._pending: dict[str, int] = {}  # URL -> attempts made
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self.ready: Callable[[], bool] = lambda: True
        self.status: dict[str, Any] = {"hub": hub, "sent": 0, "failed": 0, "pending": 0, "last_ping": None}
        self.status["last_error"] = None

    def add(self, urls: Iterable[str]) -> None:
        """Announce these URLs soon; one already waiting is announced once."""
        with self._wake:
            for url in urls:
                self._pending.setdefault(url, 0)
            self.status["pending"] = len(self._pending)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"websub {self.hub}", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        """Send every pending URL; wait and retry those that failed; then sleep until more come."""
        delay = 0.0
        while True:
            with self._wake:
                self._wake.wait_for(lambda: bool(self._pending))
                if delay:
                    self._wake.wait(delay)
                batch = dict(self._pending)
            deadline = time.monotonic() + READY_WAIT
            while not self.ready() and time.monotonic() < deadline:
                time.sleep(0.05)
            retry = {url: attempts for url, attempts in batch.items() if not self._announce(url, attempts)}
            with self._wake:
                for url in batch:
                    if url in retry and self._pending.get(url) == batch[url]:
                        self._pending[url] = retry[url] + 1
                    elif self._pending.get(url) == batch[url]:
                        del self._pending[url]
                self.status["pending"] = len(self._pending)
                attempts = max(self._pending.values(), default=0)
            delay = min(BACKOFF * 2 ** (attempts - 1), BACKOFF_MAX) if attempts else 0.0
            self._changed()

    def _announce(self, url: str, attempts: int) -> bool:
        """Send one URL; True when done with it (delivered, refused for good, or out of attempts)."""
        delivered, retry, outcome = self._send(self.hub, url)
        self.status["last_ping"] = {"at": _now(), "url": url, "outcome": outcome}
        if delivered:
            self.status["sent"] += 1
            log.info("websub: told %s of %s (%s)", self.hub, url, outcome)
            return True
        self.status["last_error"] = {"at": _now(), "url": url, "reason": outcome}
        if retry and attempts + 1 < ATTEMPTS:
            log.warning("websub: %s failed for %s: %s; trying again", self.hub, url, outcome)
            return False
        self.status["failed"] += 1
        log.error("websub: %s failed for %s: %s; given up after %d attempt(s)", self.hub, url, outcome, attempts + 1)
        return True


def answers_with(base: str) -> Callable[[str], bool]:
    """Whether the server at `base` answers /healthz with content of a fingerprint (gunicorn, after a reload)."""

    def check(fingerprint: str) -> bool:
        """One look at /healthz."""
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                return bool(json.loads(answer.read()).get("fingerprint") == fingerprint)
        except urllib.error.HTTPError as error:  # 503 while degraded still names what is served
            return bool(json.loads(error.read() or b"{}").get("fingerprint") == fingerprint)
        except (OSError, ValueError):
            return False

    return check


class Hubs:
    """Every configured hub, each with its own client thread, and their status on a shared board."""

    def __init__(self, hubs: Iterable[str], send: Callable[[str, str], tuple[bool, bool, str]] = ping) -> None:
        """One client per hub; nothing is sent until announce()."""
        self.board = Board()
        self.clients = [HubClient(hub, self._publish_status, send) for hub in hubs]
        # Whether the service answers with content of a fingerprint yet (gunicorn: once the new workers run).
        self.serving: Callable[[str], bool] = lambda fingerprint: True
        self._pipe: IO[str] | None = None
        self._publish_status()

    def announce(self, urls: list[str], fingerprint: str) -> None:
        """Tell every hub of these URLs once the service answers with content of this fingerprint."""
        if not urls:
            return
        if self._pipe is not None:
            self._pipe.write(json.dumps({"urls": urls, "fingerprint": fingerprint}) + "\n")
            return
        for client in self.clients:
            client.ready = lambda: self.serving(fingerprint)
            client.add(urls)
        self._publish_status()

    def start_process(self, base: str | None, listeners: Iterable[Any]) -> None:
        """From now on tell the hubs from a child process (gunicorn's master, before it forks any worker)."""
        reader, writer = os.pipe()
        if os.fork() == 0:
            try:
                os.close(writer)
                self._serve_child(reader, base, listeners)
            finally:
                os._exit(0)
        os.close(reader)
        self._pipe = os.fdopen(writer, "w", buffering=1, encoding="utf-8")

    def stop_process(self) -> None:
        """Close the pipe: the child exits (gunicorn's master closes it by exiting)."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None

    def _serve_child(self, reader: int, base: str | None, listeners: Iterable[Any]) -> None:
        """In the child: announce each batch the master writes; end when the master closes the pipe (exits)."""
        for listener in listeners:
            listener.close()  # the port stays the master's: a restart can bind it while pings are retried
        # gunicorn's handlers belong to the master; Ctrl-C on `make run` ends this process with it.
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(number, signal.SIG_DFL)
        for number in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGTTIN, signal.SIGTTOU):
            signal.signal(number, signal.SIG_DFL)
        if base is not None:
            self.serving = answers_with(base)
        with os.fdopen(reader, encoding="utf-8") as batches:
            for line in batches:
                batch = json.loads(line)
                self.announce(batch["urls"], batch["fingerprint"])

    def _publish_status(self) -> None:
        """Put every hub's status on the board."""
        self.board.write([dict(client.status) for client in self.clients])

    def status(self) -> list[dict[str, Any]]:
        """Every hub's status as the publishing process last wrote it."""
        found = self.board.read()
        return found if isinstance(found, list) else []
