"""A real gunicorn on loopback for tests where the HTTP layer matters."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.servers import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


@dataclass(frozen=True)
class Server:
    """A running gunicorn: where it listens."""

    host: str
    port: int

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{self.host}:{self.port}"

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One GET through urllib (bodies of 304 and HEAD need raw_request instead)."""
        request = urllib.request.Request(self.base + path, headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers.items()), error.read()

    def raw_request(self, raw: bytes) -> bytes:
        """Send raw bytes and read the whole answer until the server closes (Connection: close)."""
        with socket.create_connection((self.host, self.port), timeout=10) as sock:
            sock.sendall(raw)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@contextmanager
def gunicorn(env: Mapping[str, str] | None = None, workers: int = 2, args: tuple[str, ...] = ()) -> Iterator[Server]:
    """Start gunicorn with app:create_app() on a free loopback port; stop it afterwards."""
    port = free_port()
    environ = {**os.environ, **(env or {})}
    command = [
        str(GUNICORN), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), *args, "app:create_app()",
    ]  # fmt: skip
    # The log goes to a file: a pipe nobody reads would fill up and stall the server (the access log is on).
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    server = Server("127.0.0.1", port)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log.seek(0)
                output = log.read().decode(errors="replace")
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{output}")
            try:
                if server.get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz within 30 s")
            time.sleep(0.05)
        yield server
    finally:
        stop(process)
        log.close()
