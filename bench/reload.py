"""Live content benchmark (issue 11): how soon a new post is served, what a reload costs, and memory over reloads.

`python -m bench reload` (or `python -m bench.reload [--posts N] [--reloads R]`). Over a generated corpus
(bench/gen_corpus.py, 10,000 posts by default) it starts gunicorn as `make run` does and measures:
- seconds from a new post file written to /feed.xml serving it (median of 10), with the watcher on;
- the reload's CPU time in the master (its on_reload hook, from /healthz) for 1 changed file and for 300;
- worker RSS after the first reload and after R (100) reloads, each after the same requests;
- the alternative design, each worker reloading by itself: a forked copy of the loaded app reloads in process,
  and its CPU time and its private memory growth (what every worker would pay) are measured.
Every wait is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench.gen_corpus import generate
from bench.servers import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
POSTS = 10_000
RELOADS = 100
SAMPLES = 10
TIMEOUT = 30.0
WARM_PATHS = ("/feed.xml", "/atom.xml", "/feed.json", "/feeds.json")
NEW_POST = '---\ntitle: "{title}"\ndate: 2026-0{month}-01 00:{minute:02d}:00 +0000\ntags: [bench]\n---\n本文{n}。\n'


def get(base: str, path: str) -> bytes:
    """One GET; the body."""
    with urllib.request.urlopen(base + path, timeout=TIMEOUT) as response:
        body: bytes = response.read()
        return body


def health(base: str) -> dict[str, object]:
    """The /healthz document (200 or 503)."""
    try:
        found: dict[str, object] = json.loads(get(base, "/healthz"))
    except urllib.error.HTTPError as error:
        found = json.loads(error.read())
    return found


def wait_until(check: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> float:
    """Poll check() every 5 ms until true; the seconds it took (RuntimeError after timeout)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what}: not within {timeout} s")
        time.sleep(0.005)
    return time.monotonic() - started


def workers(master: int) -> list[int]:
    """The master's children (gunicorn's workers)."""
    try:
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def rss_mib(pid: int) -> float:
    """VmRSS of a process in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def private_mib() -> float:
    """This process's private memory (copy-on-write pages it has made its own), in MiB."""
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Private_Dirty:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reload_once(base: str, master: int, edit: Path, n: int) -> dict[str, object]:
    """Edit one file and wait for the watcher's reload and its new workers; the reload's outcome."""
    before = health(base)["reloads"]
    edit.write_text(edit.read_text(encoding="utf-8") + f"\n追記{n}。\n", encoding="utf-8")
    wait_until(lambda: health(base)["reloads"] != before, "reload counted")
    wait_until(lambda: len(workers(master)) <= 2, "old workers gone")
    last = health(base)["last_reload"]
    assert isinstance(last, dict)
    return last


def served_latency(base: str, posts: Path) -> list[float]:
    """Seconds from a new post written (renamed into place) to /feed.xml serving it, SAMPLES times."""
    found = []
    for n in range(SAMPLES):
        title = f"ベンチ新着{n}-{time.time_ns()}"
        temporary = posts / f".new{n}.tmp"
        temporary.write_text(NEW_POST.format(title=title, month=1 + n // 60, minute=n % 60, n=n), encoding="utf-8")
        temporary.rename(posts / f"2026-01-01-bench-new-{n}.md")
        found.append(wait_until(_serving(base, title), "new post served"))
        time.sleep(1.5)  # let the old workers go before the next sample
    return found


def _serving(base: str, title: str) -> Callable[[], bool]:
    """A check: does /feed.xml hold this title?"""
    return lambda: title.encode() in get(base, "/feed.xml")


def in_worker_cost(corpus: Path, cache: Path) -> tuple[float, float]:
    """Design (a): CPU seconds and private MiB a worker would spend reloading 1 changed file by itself."""
    from allforces_feeds import create_app
    from allforces_feeds.web.reload import EXTENSION

    app = create_app({"CONTENT_DIR": str(corpus), "CACHE_DIR": str(cache)})
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # a "worker": forked from the loaded app, as gunicorn's are
        before = private_mib()
        edit = sorted((corpus / "_posts").glob("*.md"))[5]
        edit.write_text(edit.read_text(encoding="utf-8") + "\n追記。\n", encoding="utf-8")
        outcome = app.extensions[EXTENSION].reload()
        os.write(writer, f"{outcome.cpu_seconds} {private_mib() - before}".encode())
        os._exit(0)
    os.waitpid(child, 0)
    cpu, private = os.read(reader, 100).decode().split()
    return float(cpu), float(private)


def run(posts: int = POSTS, reloads: int = RELOADS) -> dict[str, float]:
    """Every figure of this benchmark, printed and returned."""
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as work:
        corpus = generate(posts, Path(work) / "site").directory
        cache = Path(work) / "cache"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "ALLFORCES_CONTENT_DIR": str(corpus), "ALLFORCES_CACHE_DIR": str(cache)}
        env["GUNICORN_ACCESSLOG"] = "off"
        command = [str(GUNICORN), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "app:create_app()"]
        with (Path(work) / "gunicorn.log").open("wb") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        figures: dict[str, float] = {}
        try:
            wait_until(lambda: _answers(base), "gunicorn ready", 120)
            master = process.pid
            latencies = served_latency(base, corpus / "_posts")
            figures["served_median_s"] = statistics.median(latencies)
            figures["served_max_s"] = max(latencies)
            files = sorted((corpus / "_posts").glob("2*.md"))
            one = [reload_once(base, master, files[10 + n], n) for n in range(5)]
            figures["master_cpu_1_file_ms"] = statistics.median(float(str(o["cpu_ms"])) for o in one)
            before = health(base)["reloads"]
            for path in files[100:400]:  # a `git pull` of 300 files: one burst, one reload expected
                path.write_text(path.read_text(encoding="utf-8") + "\n追記。\n", encoding="utf-8")
            wait_until(lambda: health(base)["reloads"] != before, "300-file reload")
            time.sleep(2.0)  # any further reload of the same burst would be counted here
            after = health(base)
            last = after["last_reload"]
            assert isinstance(last, dict)
            figures["reloads_for_300_files"] = float(str(after["reloads"])) - float(str(before))
            figures["master_cpu_300_files_ms"] = float(str(last["cpu_ms"]))
            figures["files_read_300"] = float(str(last["files_read"]))
            rss = []
            for n in range(reloads):
                reload_once(base, master, files[500 + n % 50], 1000 + n)
                if n in (0, reloads - 1):
                    for warm in WARM_PATHS:
                        get(base, warm)
                    rss.append(max(rss_mib(pid) for pid in workers(master)))
            figures["worker_rss_first_mib"], figures["worker_rss_last_mib"] = rss[0], rss[-1]
            figures["master_rss_mib"] = rss_mib(master)
        finally:
            stop(process)
        cpu, private = in_worker_cost(corpus, Path(work) / "cache-a")
        figures["in_worker_cpu_1_file_ms"], figures["in_worker_private_mib"] = cpu * 1000, private
    for name, value in figures.items():
        print(f"{name:>28}: {value:.3f}")
    return figures


def _answers(base: str) -> bool:
    """Whether the server answers /healthz."""
    try:
        return bool(health(base))
    except OSError:
        return False


def main(argv: list[str] | None = None) -> None:
    """Command line: [--posts N] [--reloads R]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=POSTS)
    parser.add_argument("--reloads", type=int, default=RELOADS)
    options = parser.parse_args(argv)
    run(options.posts, options.reloads)


if __name__ == "__main__":
    main()
