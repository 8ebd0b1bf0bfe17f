"""A real WebSub hub (flask-websub 0.4.1, from PyPI) and a subscriber on loopback, each in its own process.

The hub is flask_websub.hub.Hub over SQLite3HubStorage on a temporary file, with PUBLISH_SUPPORTED=True, served by
werkzeug's make_server(threaded=True): while it answers a publish it fetches our feed and POSTs to the subscriber,
whose callback in turn is served while the subscriber's own subscription request is still waiting for the hub.
Its celery runs eagerly (task_always_eager=True), not with a worker thread on the memory transport: each task runs
inside the request that queued it, so no broker, no worker lifecycle, no kombu polling interval (1 s by default)
adds to the latency measured, and the hub fetches the topic the moment it is told (a publisher that pings before
it serves the new bytes is caught, not hidden by a queue's delay). task_eager_propagates=False keeps the hub's
answer what a hub with workers gives, 202 even when a task fails; celery's task_failure and task_retry signals log
such failures instead. Retries of a failed delivery then run at once, without their backoff. The one cost: a
publisher that pings topics one after another waits for each fetch and delivery (tens of ms on loopback).

The subscriber is flask_websub.subscriber.Subscriber (SQLite storage): POST /subscribe with a topic URL discovers
its hub from the topic's Link header (flask_websub.subscriber.discover) and subscribes there, passing the hub's
intent verification on its callback. Both processes append what they see to a JSON-lines file: the hub every
request to its endpoint (mode, topic, time received, status) and failed tasks; the subscriber its confirmed
subscriptions and every notification (time received, topic, headers, body in base64).
Run by the tests: `python -m tests.websub hub|subscriber PORT LOG DB`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import task_failure, task_retry
from flask import Flask, Response, g, request
from flask_websub.hub import Hub, SQLite3HubStorage
from flask_websub.subscriber import SQLite3SubscriberStorage, SQLite3TempSubscriberStorage, Subscriber, discover
from werkzeug.serving import make_server

from bench.servers import free_port, stop, wait_until_answers

ROOT = Path(__file__).resolve().parent.parent
Record = dict[str, Any]


class JsonLines:
    """Append-only JSON-lines file, one record a line, written whole under a lock (the server is threaded)."""

    def __init__(self, path: Path) -> None:
        """Records go to path."""
        self.path = path
        self.lock = threading.Lock()

    def write(self, **record: Any) -> None:
        """Append one record, with the wall-clock time it was written unless it has one."""
        record.setdefault("time", time.time())
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self.lock, self.path.open("a", encoding="utf-8") as file:
            file.write(line)


def read_records(path: Path) -> list[Record]:
    """Every whole record in a JSON-lines file (none when it does not exist yet)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines[:-1] if line]


def hub_app(log: JsonLines, database: Path) -> Flask:
    """flask-websub's hub at /hub, eager celery, publish allowed, every request to /hub recorded."""
    celery = Celery("websub-hub", set_as_current=False)
    celery.conf.update(
        broker_url="memory://", task_always_eager=True, task_eager_propagates=False, task_store_eager_result=False
    )
    hub = Hub(SQLite3HubStorage(str(database)), celery, REQUEST_TIMEOUT=10, MAX_ATTEMPTS=3)
    app = Flask("websub_hub")
    app.config["PUBLISH_SUPPORTED"] = True
    app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))

    @app.before_request
    def received() -> None:
        """Note when the request came, before the hub runs its tasks."""
        g.received = time.time()

    @app.after_request
    def record(response: Response) -> Response:
        """One record per request to the hub endpoint."""
        if request.path == "/hub":
            form = request.form
            log.write(
                event="request", time=g.received, answered=time.time(), status=response.status_code,
                mode=form.get("hub.mode"), topic=form.get("hub.topic"), url=form.get("hub.url"),
                callback=form.get("hub.callback"),
            )  # fmt: skip
        return response

    def failed(sender: Any = None, exception: BaseException | None = None, args: Any = None, **_: Any) -> None:
        """A task that failed for good (a topic without Link, a callback that keeps failing)."""
        log.write(
            event="task_failure", task=getattr(sender, "name", str(sender)), error=repr(exception), args=repr(args)
        )

    def retried(sender: Any = None, reason: Any = None, **_: Any) -> None:
        """A task that will be tried again (eagerly: at once)."""
        log.write(event="task_retry", task=getattr(sender, "name", str(sender)), reason=repr(reason))

    task_failure.connect(failed, weak=False)
    task_retry.connect(retried, weak=False)

    @app.get("/healthz")
    def healthz() -> str:
        """Ready."""
        return "ok"

    return app


def subscriber_app(log: JsonLines, database: Path) -> Flask:
    """flask-websub's subscriber: callbacks under /callbacks, POST /subscribe (form: topic) to subscribe."""
    subscriber = Subscriber(SQLite3SubscriberStorage(str(database)), SQLite3TempSubscriberStorage(str(database)))
    app = Flask("websub_subscriber")
    app.register_blueprint(subscriber.build_blueprint(url_prefix="/callbacks"))

    def notified(topic_url: str, callback_id: str, body: bytes) -> None:
        """A content distribution from the hub, as the subscriber accepted it."""
        headers = {name.lower(): value for name, value in request.headers.items()}
        body64 = base64.b64encode(body).decode("ascii")
        log.write(event="notification", topic=topic_url, callback_id=callback_id, headers=headers, body=body64)

    def succeeded(topic_url: str, callback_id: str, mode: str) -> None:
        """The hub verified our intent: the subscription (or unsubscription) holds."""
        log.write(event=mode, topic=topic_url, callback_id=callback_id)

    def denied(topic_url: str, callback_id: str, reason: str) -> None:
        """The hub denied the subscription."""
        log.write(event="denied", topic=topic_url, callback_id=callback_id, reason=reason)

    subscriber.add_listener(notified)
    subscriber.add_success_handler(succeeded)
    subscriber.add_error_handler(denied)

    @app.post("/subscribe")
    def subscribe() -> tuple[str, int]:
        """Discover the topic's hub from its Link header and subscribe there; answers the callback id."""
        found = discover(request.form["topic"], timeout=10)
        callback_id: str = subscriber.subscribe(**found, lease_seconds=3600)
        log.write(event="requested", topic=found["topic_url"], hub=found["hub_url"], callback_id=callback_id)
        return callback_id, 200

    @app.get("/healthz")
    def healthz() -> str:
        """Ready."""
        return "ok"

    return app


@dataclass(frozen=True)
class Running:
    """A hub or subscriber process: where it listens, where it records, its output."""

    base: str
    records_path: Path
    output: Path

    def records(self, event: str | None = None) -> list[Record]:
        """Its records so far, those of one event only when given."""
        return [r for r in read_records(self.records_path) if event is None or r["event"] == event]

    def wait_for(self, match: Callable[[Record], bool], within: float, what: str) -> Record:
        """The first record that matches, waiting up to `within` seconds; AssertionError after that."""
        deadline = time.monotonic() + within
        while True:
            for record in self.records():
                if match(record):
                    return record
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not recorded within {within} s; output:\n{self.tail()}")
            time.sleep(0.02)

    def tail(self, chars: int = 4000) -> str:
        """The end of the process's output (werkzeug's request log, warnings, tracebacks)."""
        return self.output.read_text(errors="replace")[-chars:] if self.output.exists() else ""


@dataclass(frozen=True)
class HubProcess(Running):
    """The hub: its endpoint URL, the publish requests it got."""

    @property
    def url(self) -> str:
        """The hub endpoint, for ALLFORCES_WEBSUB_HUB."""
        return self.base + "/hub"

    def publishes(self) -> list[Record]:
        """Every hub.mode=publish request, in the order received."""
        return [r for r in self.records("request") if r["mode"] == "publish"]


@dataclass(frozen=True)
class SubscriberProcess(Running):
    """The subscriber: subscribe through the hub, read the notifications."""

    def subscribe(self, topic: str, within: float = 20.0) -> str:
        """Subscribe to topic through the hub its Link header names; the callback id once the hub verified it."""
        data = urllib.parse.urlencode({"topic": topic}).encode()
        with urllib.request.urlopen(self.base + "/subscribe", data=data, timeout=within) as response:
            callback_id = str(response.read().decode())
        self.wait_for(lambda r: r["event"] == "subscribe" and r["callback_id"] == callback_id, within, "subscription")
        return callback_id

    def notifications(self) -> list[Record]:
        """Every notification received, with its body decoded to bytes under "content"."""
        return [{**r, "content": base64.b64decode(r["body"])} for r in self.records("notification")]


def publish(hub: str, topic: str) -> int:
    """Tell the hub by hand that topic changed (as a publisher does); the hub's status."""
    data = urllib.parse.urlencode({"hub.mode": "publish", "hub.topic": topic, "hub.url": topic}).encode()
    with urllib.request.urlopen(hub, data=data, timeout=30) as response:
        status: int = response.status
        return status


@contextmanager
def _serve(kind: str, directory: Path) -> Iterator[tuple[str, Path, Path]]:
    """Start `python -m tests.websub kind` on a free port; (base URL, records file, output file)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    records, output = directory / f"{kind}.jsonl", directory / f"{kind}.log"
    command = [sys.executable, "-m", "tests.websub", kind, str(port), str(records), str(directory / f"{kind}.db")]
    with output.open("wb") as log:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_answers(process, base + "/healthz", 30)
        except RuntimeError as error:
            raise RuntimeError(f"{error}:\n{output.read_text(errors='replace')}") from None
        yield base, records, output
    finally:
        stop(process)


@contextmanager
def websub_hub(directory: Path) -> Iterator[HubProcess]:
    """flask-websub's hub in its own process on loopback, recording into directory."""
    with _serve("hub", directory) as (base, records, output):
        yield HubProcess(base, records, output)


@contextmanager
def websub_subscriber(directory: Path) -> Iterator[SubscriberProcess]:
    """flask-websub's subscriber in its own process on loopback, recording into directory."""
    with _serve("subscriber", directory) as (base, records, output):
        yield SubscriberProcess(base, records, output)


def main(argv: list[str]) -> None:
    """Serve the hub or the subscriber: KIND PORT RECORDS DATABASE."""
    kind, port, records, database = argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    build = {"hub": hub_app, "subscriber": subscriber_app}[kind]
    app = build(JsonLines(Path(records)), Path(database))
    make_server("127.0.0.1", int(port), app, threaded=True).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
