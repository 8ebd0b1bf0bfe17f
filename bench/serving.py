"""Serving speed: the service vs a constant-body Flask app, side by side under wrk, A B A B.

`python -m bench serving` (or `make bench`). Both run under gunicorn with the repo's gunicorn.conf.py
and 2 workers of the repo's class on loopback, are hit with the same wrk flags, alternately, for 200 and 304 in
identity and gzip; the table gives median req/s, the ratio service/constant and the median p99.
Then, in process, what preparing the representations costs compared with serving them.
BENCH_ROUNDS (3), BENCH_SECONDS (3) and BENCH_CONNECTIONS (8) override the defaults.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.servers import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = 2
PATH = "/feed.xml"
APPS = {"service": "app:create_app()", "constant": "bench.constant_app:create_app()"}
SCENARIOS = ("200 identity", "200 gzip", "304 identity", "304 gzip")
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class Run:
    """One wrk run: throughput and tail latency."""

    requests_per_second: float
    p99_ms: float
    errors: str


WORKER_CLASS = os.environ.get("GUNICORN_WORKER_CLASS", "gevent")


def fetch(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """One request through urllib, 304 included."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


@contextmanager
def gunicorn(target: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """gunicorn with the repo's config (its worker class), 2 workers, on a free loopback port; its base URL."""
    port = free_port()
    command = [
        str(GUNICORN), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS), target,
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{target} exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                if fetch(base + PATH, {})[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target} did not answer {PATH} within 60 s")
            time.sleep(0.1)
        yield base
    finally:
        stop(process)


def scenario_headers(scenario: str, etags: dict[str, str]) -> dict[str, str]:
    """The request headers of one scenario: Accept-Encoding for gzip, If-None-Match for 304."""
    status, coding = scenario.split()
    headers = {} if coding == "identity" else {"Accept-Encoding": coding}
    if status == "304":
        headers["If-None-Match"] = etags[coding]
    return headers


def check(base: str, scenario: str, etags: dict[str, str], identity_body: bytes) -> None:
    """Both apps must give the same answer before their speed is compared."""
    status, headers, body = fetch(base + PATH, scenario_headers(scenario, etags))
    expected_status, coding = scenario.split()
    assert status == int(expected_status), (base, scenario, status)
    assert headers.get("Content-Encoding", "identity") == coding or status == 304, (base, scenario, headers)
    assert headers["ETag"] == etags[coding], (base, scenario, headers["ETag"])
    if status == 200 and coding == "identity":
        assert body == identity_body, (base, scenario)


def wrk(url: str, headers: dict[str, str]) -> Run:
    """One wrk run with the benchmark's flags, parsed."""
    flags = [f"-H{name}: {value}" for name, value in headers.items()]
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "2s", *flags, url]
    output = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 20, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if rps is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    errors = " ".join(line.strip() for line in output.splitlines() if "Socket errors" in line or "Non-2xx" in line)
    return Run(float(rps.group(1)), float(p99.group(1)) * UNITS[p99.group(2)], errors)


def benchmark(env: dict[str, str], work: Path) -> dict[tuple[str, str], list[Run]]:
    """Both apps up at once; every scenario run A B A B, ROUNDS times each."""
    runs: dict[tuple[str, str], list[Run]] = {(s, a): [] for s in SCENARIOS for a in APPS}
    with (
        gunicorn(APPS["service"], env, work / "service.log") as service,
        gunicorn(APPS["constant"], env, work / "constant.log") as constant,
    ):
        bases = {"service": service, "constant": constant}
        etags, identity_body = {}, b""
        for coding in ("identity", "gzip"):
            _, headers, body = fetch(service + PATH, {"Accept-Encoding": coding})
            etags[coding] = headers["ETag"]
            identity_body = body if coding == "identity" else identity_body
        for scenario in SCENARIOS:
            for base in bases.values():
                check(base, scenario, etags, identity_body)
        for round_number in range(1, ROUNDS + 1):
            for scenario in SCENARIOS:
                for name, base in bases.items():
                    run = wrk(base + PATH, scenario_headers(scenario, etags))
                    runs[scenario, name].append(run)
                    warn = f"  ({run.errors})" if run.errors else ""
                    print(
                        f"  round {round_number} {scenario:<13} {name:<8} {run.requests_per_second:9.0f} req/s"
                        f"  p99 {run.p99_ms:6.2f} ms{warn}",
                        flush=True,
                    )
    return runs


def table(runs: dict[tuple[str, str], list[Run]]) -> str:
    """The Markdown table of medians; the paired ratio compares each run with its neighbour, less noisy."""
    lines = [
        "| path | service req/s | constant Flask req/s | ratio of medians | median paired ratio"
        " | service p99 | constant p99 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        rps = {a: statistics.median(r.requests_per_second for r in runs[scenario, a]) for a in APPS}
        p99 = {a: statistics.median(r.p99_ms for r in runs[scenario, a]) for a in APPS}
        pairs = zip(runs[scenario, "service"], runs[scenario, "constant"], strict=True)
        paired = statistics.median(a.requests_per_second / b.requests_per_second for a, b in pairs)
        lines.append(
            f"| {scenario} | {rps['service']:.0f} | {rps['constant']:.0f} | {rps['service'] / rps['constant']:.2f}x"
            f" | {paired:.2f}x | {p99['service']:.2f} ms | {p99['constant']:.2f} ms |"
        )
    return "\n".join(lines)


def preparation_cost(work: Path) -> str:
    """In process: loading, rendering and compressing every feed once, against serving each of them."""
    from allforces_feeds import create_app
    from allforces_feeds.render import FORMATS
    from allforces_feeds.web.http import BROTLI_QUALITY, Representation
    from allforces_feeds.web.paths import wsgi_path

    started = time.perf_counter()
    app = create_app({"CONTENT_DIR": str(ROOT / "content"), "CACHE_DIR": str(work / "prepare-cache")})
    loaded = time.perf_counter()
    router = app.extensions["allforces"]
    scopes = list(router.current().all_scopes())
    paths = [wsgi_path(router.urls.feed_path(s.kind, s.slug, f.file)) for s in scopes for f in FORMATS.values()]
    representations = [router.resolve(path) for path in paths]  # cold: posts' Markdown rendered too
    rendered = time.perf_counter()
    prepared = [r for r in representations if isinstance(r, Representation)]
    assert len(prepared) == len(paths), "a feed URL without a representation"
    for scope in scopes:
        for fmt in FORMATS.values():
            router.feed_body(scope, fmt)  # again, posts' HTML cached: the feed writers alone
    rerendered = time.perf_counter()
    compressing = {}
    for coding in ("gzip", "br"):
        begin = time.perf_counter()
        for representation in prepared:
            representation.variant(coding)
        compressing[coding] = time.perf_counter() - begin

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Callable[[bytes], None]:
        """Discard."""
        return lambda data: None

    repeat = 200
    plain = [{"REQUEST_METHOD": "GET", "PATH_INFO": p, "QUERY_STRING": ""} for p in paths]
    revalidate = [{**e, "HTTP_IF_NONE_MATCH": r.variant("identity").etag} for e, r in zip(plain, prepared, strict=True)]
    timings = {}
    for label, environs in (("200", plain), ("304", revalidate)):
        begin = time.perf_counter()
        for _ in range(repeat):
            for environ in environs:
                app.wsgi_app(environ, start_response)
        timings[label] = (time.perf_counter() - begin) / (repeat * len(environs))
    count = len(paths)
    return "\n".join(
        [
            f"| step ({count} feed URLs, bundled content) | total | per feed |",
            "|---|---:|---:|",
            f"| load content, build index (create_app) | {(loaded - started) * 1e3:.0f} ms | |",
            f"| render every feed, cold (Markdown + feed writer + SHA-256) | {(rendered - loaded) * 1e3:.0f} ms"
            f" | {(rendered - loaded) / count * 1e3:.2f} ms |",
            f"| render every feed again, post HTML cached | {(rerendered - rendered) * 1e3:.0f} ms"
            f" | {(rerendered - rendered) / count * 1e3:.2f} ms |",
            f"| gzip -9 every feed (+ SHA-256) | {compressing['gzip'] * 1e3:.0f} ms"
            f" | {compressing['gzip'] / count * 1e3:.2f} ms |",
            f"| brotli q{BROTLI_QUALITY} every feed (+ SHA-256) | {compressing['br'] * 1e3:.0f} ms"
            f" | {compressing['br'] / count * 1e3:.2f} ms |",
            f"| serve a prepared 200 in process (WSGI call) | | {timings['200'] * 1e6:.1f} us |",
            f"| serve a prepared 304 in process (WSGI call) | | {timings['304'] * 1e6:.1f} us |",
        ]
    )


def main() -> None:
    """Run the side-by-side benchmark, then the preparation cost, and print both tables."""
    if shutil.which("wrk") is None:
        raise SystemExit("bench.serving needs wrk (Debian package `wrk`)")
    work = Path(tempfile.mkdtemp(prefix="allforces-bench-"))
    env = {**os.environ, "ALLFORCES_CACHE_DIR": str(work / "cache")}
    env["GUNICORN_ACCESSLOG"] = "off"  # no access log: it would be most of the work measured
    try:
        print(
            f"wrk -t1 -c{CONNECTIONS} -d{SECONDS}s --latency, {ROUNDS} rounds A B A B,"
            f" gunicorn {WORKERS} {WORKER_CLASS} workers, {os.cpu_count()} CPUs, GET {PATH}",
            flush=True,
        )
        started = time.monotonic()
        runs = benchmark(env, work)
        print(f"\n{table(runs)}\n\n(wrk phase {time.monotonic() - started:.0f} s)\n", flush=True)
        print(preparation_cost(work), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
