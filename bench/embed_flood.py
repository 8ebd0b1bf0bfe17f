"""A flood of distinct embed queries beside /feed.xml: `python -m bench.embed_flood` (or `run()`).

gunicorn (this repo's gunicorn.conf.py) serves a generated corpus (EMBED_POSTS, default 10,000 posts;
bench/gen_corpus.py). Side by side, for EMBED_SECONDS (10): FLOOD_CONNECTIONS clients send embed queries
that are each new to the server (limit x tag x category, never repeated), and one client fetches /feed.xml
again and again. Printed: the latency of the distinct embed queries (every one a miss in the router's LRU)
and of /feed.xml during the flood, against /feed.xml alone before it. The issue's bar: an uncached query
under 5 ms, /feed.xml p99 under 50 ms during the flood. Loopback only; every loop ends by the clock.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

from bench.servers import free_port, stop, wait_until_answers

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
POSTS = int(os.environ.get("EMBED_POSTS", "10000"))
SECONDS = float(os.environ.get("EMBED_SECONDS", "10"))
FLOOD_CONNECTIONS = int(os.environ.get("FLOOD_CONNECTIONS", "8"))


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else float("nan")


def timed_gets(port: int, paths: itertools.count[int] | list[str], until: float, out: list[float]) -> None:
    """GET each path on one keep-alive connection until the deadline, adding each latency (ms) to out."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for path in paths:
            if time.monotonic() >= until:
                break
            started = time.perf_counter()
            connection.request("GET", str(path))
            response = connection.getresponse()
            response.read()
            if response.status >= 500:
                raise RuntimeError(f"{path}: {response.status}")
            out.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()


def queries(port: int, seed: int) -> list[str]:
    """Distinct embed queries over the server's tags and categories, shuffled (a few hundred thousand)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/feeds.json")
    listed = json.loads(connection.getresponse().read())["feeds"]
    connection.close()
    tags = [feed["slug"] for feed in listed if feed["scope"] == "tags"]
    categories = [feed["slug"] for feed in listed if feed["scope"] == "categories"]
    found = [f"/embed/latest.json?limit={n}&tag={quote(t)}" for n in range(1, 51) for t in tags]
    found += [
        f"/embed/latest.json?limit={n}&tag={quote(t)}&category={quote(c)}"
        for n in (5, 10)
        for t in tags
        for c in categories
    ]
    random.Random(seed).shuffle(found)
    return found


def run(content_dir: Path | None = None) -> dict[str, float]:
    """Start gunicorn on the corpus, measure /feed.xml alone, then beside the flood; return the figures (ms)."""
    with tempfile.TemporaryDirectory() as work:
        if content_dir is None:
            content_dir = Path(work) / "corpus"
            subprocess.run([sys.executable, "-m", "bench.gen_corpus", str(POSTS), str(content_dir)], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
        port = free_port()
        # EMBED_CACHE_DIR: a CACHE_DIR that already holds the rendered bodies (a server that has run a while).
        cache = os.environ.get("EMBED_CACHE_DIR") or str(Path(work) / "cache")
        env = {**os.environ, "ALLFORCES_CONTENT_DIR": str(content_dir), "ALLFORCES_CACHE_DIR": cache,
               "GUNICORN_ACCESSLOG": ""}  # fmt: skip
        command = [str(GUNICORN), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "app:create_app()"]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_answers(process, f"http://127.0.0.1:{port}/feed.xml", 120)
            alone: list[float] = []
            timed_gets(port, ["/feed.xml"] * 100_000, time.monotonic() + SECONDS / 2, alone)
            pending = queries(port, seed=12)
            shares = [pending[i::FLOOD_CONNECTIONS] for i in range(FLOOD_CONNECTIONS)]
            embeds: list[list[float]] = [[] for _ in shares]
            during: list[float] = []
            until = time.monotonic() + SECONDS
            threads = [
                threading.Thread(target=timed_gets, args=(port, share, until, out))
                for share, out in zip(shares, embeds, strict=True)
            ]
            threads.append(threading.Thread(target=timed_gets, args=(port, ["/feed.xml"] * 1_000_000, until, during)))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=SECONDS + 30)
        finally:
            stop(process)
    misses = [value for out in embeds for value in out]
    return {
        "feed alone p50": percentile(alone, 0.5), "feed alone p99": percentile(alone, 0.99),
        "feed during flood p50": percentile(during, 0.5), "feed during flood p99": percentile(during, 0.99),
        "distinct embed p50": percentile(misses, 0.5), "distinct embed p99": percentile(misses, 0.99),
        "distinct embeds per s": len(misses) / SECONDS, "feed requests during flood": float(len(during)),
    }  # fmt: skip


def main() -> None:
    """Print the figures of one run."""
    content = os.environ.get("EMBED_CONTENT_DIR")
    for name, value in run(Path(content) if content else None).items():
        print(f"{name:>28}: {value:8.2f}")


if __name__ == "__main__":
    main()
