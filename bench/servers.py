"""Processes on loopback for benchmarks and tests: a free port, and stopping a server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    """The pids of a process's children (Linux /proc), [] when it is gone."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server, kill it after 15 s (gunicorn's graceful_timeout is 10 s); no child of it outlives it."""
    children = _children(process.pid)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for child in children:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_until_answers(process: subprocess.Popen[bytes], url: str, seconds: float) -> None:
    """Poll url until it answers 200; RuntimeError when the server exits or does not answer in time."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer {url} (exit status {process.poll()})")
        time.sleep(0.1)
