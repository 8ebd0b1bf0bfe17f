"""Slow clients against a real gunicorn run with gunicorn.conf.py (issue 12): /feed.xml is still served, and the
server closes a connection whose headers never end within its header timeout (keepalive, for the gevent worker)."""

from __future__ import annotations

import http.client
import os
import runpy
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.servers import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
HOST = "127.0.0.1"
SLOW_CLIENTS = 50
ATTACK_SECONDS = 10.0
# Faster than the header timeout: a server that timed out each read, not the whole headers, would never close.
LINE_INTERVAL = 0.5
# Generous: a correctness bound on a shared 2-CPU machine, not a benchmark (served from memory in milliseconds).
REQUEST_LIMIT = 1.0
SLACK = 1.5


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its port and its header timeout."""

    port: int
    header_timeout: float


def shipped_environ() -> dict[str, str]:
    """This environment without GUNICORN_* variables: the test is about the settings gunicorn.conf.py ships."""
    return {name: value for name, value in os.environ.items() if not name.startswith("GUNICORN_")}


def get_feed(port: int, path: str = "/feed.xml") -> tuple[int, float]:
    """One GET on a new connection, body read whole: the status and the seconds it took."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn with gunicorn.conf.py's own settings on a free loopback port, until /healthz answers."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("GUNICORN_")]:
            patch.delenv(name)
        settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    work = tmp_path_factory.mktemp("slow-clients")
    port = free_port()
    env = {**shipped_environ(), "GUNICORN_BIND": f"{HOST}:{port}", "ALLFORCES_CACHE_DIR": str(work / "cache")}
    # No control socket: its default path is shared by every gunicorn on the machine.
    command = [str(GUNICORN), "--config", "gunicorn.conf.py", "--no-control-socket", "app:create_app()"]
    log_path = work / "gunicorn.log"
    # The access log is on: into a file, since an undrained pipe would block the server once full.
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{log_path.read_text(errors='replace')}"
            try:
                if get_feed(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no /healthz within 30 s:\n{log_path.read_text(errors='replace')}"
            time.sleep(0.05)
        # Each worker prepares /feed.xml on its first request; the test is about serving, so warm them.
        for _ in range(6):
            get_feed(port)
        yield Server(port, float(settings["keepalive"]))
    finally:
        stop(process)


def hold(sock: socket.socket, deadline: float, number: int) -> float | None:
    """Trickle header lines until the server closes (its time since now) or the deadline passes (None)."""
    started = time.monotonic()
    sock.settimeout(LINE_INTERVAL)
    sock.sendall(f"GET /feed.xml HTTP/1.1\r\nHost: {HOST}\r\n".encode())
    for line in range(10_000):  # bounded in count as well as by the deadline
        if time.monotonic() >= deadline:
            return None
        try:
            sock.recv(1024)  # EOF or anything else: the server has given up on these headers
            return time.monotonic() - started
        except TimeoutError:
            pass
        except OSError:
            return time.monotonic() - started
        try:
            sock.sendall(f"X-Slow-{line}: {number}\r\n".encode())
        except OSError:
            return time.monotonic() - started
    return None


def slow_client(port: int, deadline: float, number: int, held: list[float]) -> None:
    """A slowloris client: connect, trickle headers that never end, reconnect when closed, until the deadline."""
    for _ in range(1_000):  # bounded in count as well as by the deadline
        if time.monotonic() >= deadline:
            return
        try:
            with socket.create_connection((HOST, port), timeout=2) as sock:
                closed_after = hold(sock, deadline, number)
        except OSError:
            time.sleep(0.1)  # refused or reset while connecting: no busy loop
            continue
        if closed_after is None:
            return
        held.append(closed_after)  # list.append is atomic: no lock needed between the threads


def test_feed_is_served_while_slow_clients_hold_connections(server: Server) -> None:
    deadline = time.monotonic() + ATTACK_SECONDS
    held: list[float] = []
    threads = [
        threading.Thread(target=slow_client, args=(server.port, deadline, n, held), daemon=True)
        for n in range(SLOW_CLIENTS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # let the slow clients take their connections first
    answers: list[tuple[int, float]] = []
    for _ in range(1_000):  # bounded in count as well as by the deadline
        if time.monotonic() >= deadline:
            break
        started = time.monotonic()
        try:
            answers.append(get_feed(server.port))
        except OSError:  # a timeout or a reset: recorded as no answer, for the assertion to show them all
            answers.append((0, time.monotonic() - started))
        time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=ATTACK_SECONDS + 10)
    assert not any(thread.is_alive() for thread in threads)

    assert len(answers) >= 20, answers
    assert [status for status, _ in answers if status != 200] == [], answers
    slowest = max(took for _, took in answers)
    assert slowest < REQUEST_LIMIT, f"slowest /feed.xml took {slowest:.2f} s"
    # The slow clients did hold connections (else the first assertions prove nothing), each for no longer than
    # the header timeout.
    assert len(held) >= SLOW_CLIENTS, len(held)
    assert min(held) >= server.header_timeout - 0.5, sorted(held)[:5]
    assert max(held) <= server.header_timeout + SLACK, sorted(held)[-5:]


def test_headers_that_never_end_are_cut_off_at_the_header_timeout(server: Server) -> None:
    deadline = time.monotonic() + server.header_timeout + SLACK + 5
    with socket.create_connection((HOST, server.port), timeout=2) as sock:
        closed_after = hold(sock, deadline, 0)
    assert closed_after is not None, "the server kept a connection whose headers never end"
    assert server.header_timeout - 0.5 <= closed_after <= server.header_timeout + SLACK, closed_after
