"""Slow clients (slowloris) against each gunicorn worker class: is /feed.xml still served, how fast, and req/s.

`python -m bench.slow_clients` (or `python -m bench slow_clients`, or `run(...)` from Python). It starts one gunicorn
per worker class (sync, gthread with 32 threads, gevent) with this repo's gunicorn.conf.py on free loopback ports,
the class chosen by GUNICORN_WORKER_CLASS. Then, one class after the other: N slow clients each open a connection,
send a request line and then one header line every INTERVAL seconds, never the blank line that ends the headers,
and reconnect as soon as the server closes; meanwhile another client sends normal GET /feed.xml requests one after
the other, each with a 2 s timeout. Availability is the share of those that got a 200 in time; p50/p99/max are over
all of them (a failure counts with the time it took to fail). Then wrk -t1 -c8 on /feed.xml against every class,
alternately (A B C A B C), with no slow client: on 8 kept-alive connections, and with `Connection: close` (a new
connection per request, as a feed reader polling now and then does). Everything is bounded in time and stops by
itself; loopback only. BENCH_WORKER_CLASSES, BENCH_SLOW_CLIENTS, BENCH_SLOW_SECONDS, BENCH_INTERVAL, BENCH_ROUNDS and
BENCH_SECONDS override the defaults, and so do the command-line flags (--help). GUNICORN_* variables reach the servers
as for `make run` (GUNICORN_ACCESSLOG=off measures without the access log, which is on by default).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.servers import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
HOST = "127.0.0.1"
PATH = "/feed.xml"
APP = "app:create_app()"
CLASSES = tuple(os.environ.get("BENCH_WORKER_CLASSES", "sync,gthread,gevent").split(","))
SLOW_CLIENTS = int(os.environ.get("BENCH_SLOW_CLIENTS", "300"))
SLOW_SECONDS = float(os.environ.get("BENCH_SLOW_SECONDS", "20"))
INTERVAL = float(os.environ.get("BENCH_INTERVAL", "1"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
# The gthread run: 32 threads per worker.
EXTRA_ENV = {"gthread": {"GUNICORN_THREADS": "32"}}
PROBE_TIMEOUT = 2.0
PROBE_PAUSE = 0.05
# Slow clients connect first; probing starts once they hold the workers.
WARMUP = 2.0
# A client whose connection was refused or reset waits this long: no busy loop against a full backlog.
RECONNECT_PAUSE = 0.1
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
# wrk keeps its 8 connections open (keep-alive) or, like a feed reader polling now and then, opens one per request.
SCENARIOS = ("keep-alive", "close")


@dataclass
class Server:
    """A running gunicorn: its worker class, port and process."""

    worker_class: str
    port: int
    process: subprocess.Popen[bytes]


def get(port: str | int, timeout: float, path: str = PATH) -> int:
    """One GET on a new connection, body read whole; the status."""
    connection = http.client.HTTPConnection(HOST, int(port), timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "identity", "Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@contextmanager
def gunicorn(worker_class: str, root: Path, app: str, work: Path) -> Iterator[Server]:
    """gunicorn with root's gunicorn.conf.py and this worker class on a free loopback port, up until /healthz is 200."""
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"{HOST}:{port}",
        "GUNICORN_WORKER_CLASS": worker_class,
        "ALLFORCES_CACHE_DIR": str(work / "cache"),
        **EXTRA_ENV.get(worker_class, {}),
    }
    # No control socket: by default every gunicorn would take the same path, and the servers here run side by side.
    command = [str(GUNICORN), "--config", "gunicorn.conf.py", "--no-control-socket", app]
    with (work / f"{worker_class}.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn -k {worker_class} exited with {process.returncode}, see {log.name}")
            try:
                if get(port, 2.0, "/healthz") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn -k {worker_class} did not answer /healthz within 60 s")
            time.sleep(0.1)
        # The first /feed.xml of a worker prepares it; warm both workers so the figures are about serving.
        for _ in range(8):
            get(port, 30.0)
        yield Server(worker_class, port, process)
    finally:
        stop(process)


def workers_rss_mb(server: Server) -> float:
    """The resident memory of the server's workers, added up, in MiB (Linux /proc)."""
    pid = server.process.pid
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total_kb = 0
        for child in children:
            status = Path(f"/proc/{child}/status").read_text()
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            total_kb += int(found.group(1)) if found else 0
    except OSError:
        return float("nan")
    return total_kb / 1024


# -- slow clients -------------------------------------------------------------------------------------------------
@dataclass
class SlowStats:
    """What the slow clients saw: connections opened, and how long each lasted until the server closed it."""

    connections: int = 0
    refused: int = 0
    held: list[float] = field(default_factory=list)
    open_at_end: int = 0


async def slow_client(port: int, number: int, deadline: float, interval: float, stats: SlowStats) -> None:
    """One slowloris client: a request line, then a header line every interval, reconnecting when closed."""
    # Spread the first connections over a second: a burst of hundreds of SYNs measures the backlog, not the worker.
    await asyncio.sleep((number % 100) / 100)
    for _ in range(100_000):  # bounded in count as well as by the deadline
        if time.monotonic() >= deadline:
            return
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout=2)
        except (TimeoutError, OSError):
            stats.refused += 1
            await asyncio.sleep(RECONNECT_PAUSE)
            continue
        stats.connections += 1
        opened = time.monotonic()
        closed = False
        try:
            writer.write(f"GET {PATH} HTTP/1.1\r\nHost: {HOST}\r\n".encode())
            line = 0
            while time.monotonic() < deadline:
                try:
                    # Anything from the server (EOF, a 400, a reset) means it has given up on this connection.
                    await asyncio.wait_for(reader.read(1024), timeout=min(interval, deadline - time.monotonic()))
                    closed = True
                    break
                except TimeoutError:
                    pass
                line += 1
                writer.write(f"X-Slow-{line}: {number}\r\n".encode())
                await writer.drain()
        except OSError:
            closed = True
        finally:
            writer.close()
        if closed:
            stats.held.append(time.monotonic() - opened)
            await asyncio.sleep(RECONNECT_PAUSE)
        else:
            stats.open_at_end += 1


def run_slow_clients(port: int, clients: int, deadline: float, interval: float, stats: SlowStats) -> None:
    """All slow clients on one event loop, in the calling thread, until the deadline."""

    async def main() -> None:
        await asyncio.gather(*(slow_client(port, n, deadline, interval, stats) for n in range(clients)))

    asyncio.run(main())


def probe(port: int, deadline: float) -> list[tuple[bool, float]]:
    """Normal GET /feed.xml one after the other until the deadline: (200 within the timeout, seconds taken)."""
    results: list[tuple[bool, float]] = []
    for _ in range(100_000):  # bounded in count as well as by the deadline
        if time.monotonic() >= deadline:
            break
        started = time.monotonic()
        try:
            ok = get(port, PROBE_TIMEOUT) == 200
        except OSError:
            ok = False
        took = time.monotonic() - started
        results.append((ok and took <= PROBE_TIMEOUT, took))
        time.sleep(PROBE_PAUSE)
    return results


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which this fraction of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def slowloris(server: Server, clients: int, seconds: float, interval: float) -> dict[str, Any]:
    """Slow clients against one server while another client probes /feed.xml; the figures."""
    stats = SlowStats()
    deadline = time.monotonic() + seconds
    attack = threading.Thread(
        target=run_slow_clients, args=(server.port, clients, deadline, interval, stats), daemon=True
    )
    attack.start()
    time.sleep(min(WARMUP, seconds / 4))
    results = probe(server.port, deadline)
    attack.join(timeout=seconds + 30)
    latencies = [took for _, took in results]
    return {
        "probes": len(results),
        "availability": sum(ok for ok, _ in results) / len(results) if results else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000 if results else float("nan"),
        "p99_ms": percentile(latencies, 0.99) * 1000 if results else float("nan"),
        "max_ms": max(latencies) * 1000 if results else float("nan"),
        "slow_seconds": seconds,
        "slow_connections": stats.connections,
        "slow_held": len(stats.held),
        "slow_refused": stats.refused,
        "slow_held_median_s": statistics.median(stats.held) if stats.held else float("nan"),
        "slow_held_max_s": max(stats.held) if stats.held else float("nan"),
        "slow_open_at_end": stats.open_at_end,
        "rss_mb": workers_rss_mb(server),
    }


# -- throughput ---------------------------------------------------------------------------------------------------
def wrk(port: int, seconds: int, scenario: str) -> tuple[float, float, str]:
    """One wrk -t1 -c8 run on /feed.xml in a scenario: req/s, p99 in ms, and its error lines."""
    command = ["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", "--timeout", "2s"]
    if scenario == "close":
        command += ["-H", "Connection: close"]
    command.append(f"http://{HOST}:{port}{PATH}")
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if rps is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    errors = " ".join(line.strip() for line in output.splitlines() if "Socket errors" in line or "Non-2xx" in line)
    return float(rps.group(1)), float(p99.group(1)) * UNITS[p99.group(2)], errors


def throughput(servers: Sequence[Server], rounds: int, seconds: int) -> dict[str, dict[str, Any]]:
    """wrk against every server in turn, A B C A B C, per scenario: median req/s and p99, ratio to the first class."""
    runs: dict[tuple[str, str], list[tuple[float, float, str]]] = {}
    for round_number in range(1, rounds + 1):
        for scenario in SCENARIOS:
            for server in servers:
                run_ = wrk(server.port, seconds, scenario)
                runs.setdefault((scenario, server.worker_class), []).append(run_)
                warn = f"  ({run_[2]})" if run_[2] else ""
                name = f"{server.worker_class} {scenario}"
                line = f"  wrk round {round_number} {name:<19} {run_[0]:6.0f} req/s  p99 {run_[1]:7.2f} ms{warn}"
                print(line, flush=True)
    figures: dict[str, dict[str, Any]] = {s.worker_class: {"rss_after_wrk_mb": workers_rss_mb(s)} for s in servers}
    for scenario in SCENARIOS:
        first = runs[scenario, servers[0].worker_class]
        for server in servers:
            mine = runs[scenario, server.worker_class]
            figures[server.worker_class][scenario] = {
                "rps": statistics.median(r[0] for r in mine),
                "p99_ms": statistics.median(r[1] for r in mine),
                # Each run against its neighbour in the same round: less noisy than a ratio of medians on shared CPUs.
                "paired_ratio": statistics.median(a[0] / b[0] for a, b in zip(mine, first, strict=True)),
                "errors": "; ".join(sorted({r[2] for r in mine if r[2]})),
            }
    return figures


# -- the benchmark --------------------------------------------------------------------------------------------------
def run(
    classes: Sequence[str] = CLASSES,
    clients: int = SLOW_CLIENTS,
    seconds: float = SLOW_SECONDS,
    interval: float = INTERVAL,
    rounds: int = ROUNDS,
    wrk_seconds: int = SECONDS,
    root: Path = ROOT,
    app: str = APP,
) -> dict[str, dict[str, Any]]:
    """Every worker class under slow clients, then under wrk; figures by class (wrk skipped when it is missing)."""
    results: dict[str, dict[str, Any]] = {c: {} for c in classes}
    with tempfile.TemporaryDirectory(prefix="allforces-slow-") as folder, ExitStack() as stack:
        work = Path(folder)
        # All servers up at once, so both phases compare them in the same minute of a shared machine.
        servers = [stack.enter_context(gunicorn(c, Path(root), app, work)) for c in classes]
        for server in servers:
            print(f"  {clients} slow clients for {seconds:.0f} s against {server.worker_class} ...", flush=True)
            results[server.worker_class].update(slowloris(server, clients, seconds, interval))
            # Let the server drop what the slow clients left before the next one is measured.
            time.sleep(1)
        if shutil.which("wrk") is None:
            print("  wrk not found (Debian package `wrk`): throughput skipped", flush=True)
        elif rounds > 0:
            for name, figures in throughput(servers, rounds, wrk_seconds).items():
                results[name].update(figures)
    return results


def table(results: dict[str, dict[str, Any]], clients: int) -> str:
    """The Markdown table of the figures, one row per worker class."""
    lines = [
        f"| worker class | availability with {clients} slow clients | p50 | p99 | max | slow conn. closed by the server"
        " after (median / max) | slow conn. opened | wrk req/s keep-alive (ratio) | p99 | wrk req/s Connection: close"
        " (ratio) | p99 | workers RSS after slow clients / after wrk |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        if r["slow_held"]:
            closed = f"{r['slow_held_median_s']:.1f} s / {r['slow_held_max_s']:.1f} s"
        else:
            closed = f"none closed in {r['slow_seconds']:.0f} s"
        cells = [
            f"{r['availability']:.0%} ({r['probes']} requests)",
            f"{r['p50_ms']:.0f} ms",
            f"{r['p99_ms']:.0f} ms",
            f"{r['max_ms']:.0f} ms",
            closed,
            str(r["slow_connections"]),
        ]
        for scenario in SCENARIOS:
            w = r.get(scenario)
            cells += [f"{w['rps']:.0f} ({w['paired_ratio']:.2f}x)", f"{w['p99_ms']:.1f} ms"] if w else ["-", "-"]
        cells.append(f"{r['rss_mb']:.0f} / {r.get('rss_after_wrk_mb', float('nan')):.0f} MiB")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Parse the flags (none when called from `python -m bench`), run, print the table; the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.slow_clients", description=__doc__.splitlines()[0])
    parser.add_argument("--classes", default=",".join(CLASSES), help="worker classes, comma-separated")
    parser.add_argument("--clients", type=int, default=SLOW_CLIENTS, help="slow clients at once")
    parser.add_argument("--seconds", type=float, default=SLOW_SECONDS, help="slow-client phase per class")
    parser.add_argument("--interval", type=float, default=INTERVAL, help="seconds between a slow client's lines")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="wrk rounds (0: none)")
    parser.add_argument("--wrk-seconds", type=int, default=SECONDS, help="seconds of each wrk run")
    parser.add_argument("--root", type=Path, default=ROOT, help="folder with gunicorn.conf.py and the app")
    args = parser.parse_args(list(argv or []))
    classes = [c.strip() for c in args.classes.split(",") if c.strip()]
    print(
        f"GET {PATH} on {HOST}, gunicorn.conf.py of {args.root}, {os.cpu_count()} CPUs; slow clients send a header line"
        f" every {args.interval:g} s; probes one at a time with a {PROBE_TIMEOUT:g} s timeout",
        flush=True,
    )
    results = run(classes, args.clients, args.seconds, args.interval, args.rounds, args.wrk_seconds, args.root)
    print(f"\n{table(results, args.clients)}\n", flush=True)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
