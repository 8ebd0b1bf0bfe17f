"""Startup benchmark: how soon gunicorn serves /feed.xml for N posts, cold and warm, against `hugo` on the same posts.

`python -m bench startup` (or `python -m bench.startup [N ...] [--repeats R]`). For each N it generates a corpus
into a temporary folder, then, R times side by side: Hugo builds RSS for the site, its tags, categories and
authors (a minimal site the benchmark writes: no HTML pages, feeds only, full content in each item); gunicorn
starts with an empty cache folder (cold) and again with the cache it left (warm). It reports medians:
seconds from process start until `/feed.xml` answers 200, the slowest first request over 20 tag feeds,
and the largest worker's resident memory (VmRSS). Every subprocess is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from allforces_feeds.dates import parse_date
from allforces_feeds.slugs import quote_slug, slugify
from bench.gen_corpus import generate
from bench.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
HUGO = shutil.which("hugo")
SIZES = (1_000, 10_000)
TAG_FEEDS = 20
REPEATS = 5
READY_TIMEOUT = 120.0
REQUEST_TIMEOUT = 30.0
HUGO_TIMEOUT = 180.0
_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)

HUGO_CONFIG = """\
baseURL = "https://allforces.jp/"
languageCode = "ja"
title = "ALLFORCES"
disableKinds = ["sitemap", "robotsTXT", "404"]
rssLimit = 20
[taxonomies]
  tag = "tags"
  category = "categories"
  author = "authors"
[outputs]
  home = ["RSS"]
  section = ["RSS"]
  taxonomy = ["RSS"]
  term = ["RSS"]
# Feeds only: list every post, write no page of its own.
[[cascade]]
  [cascade._build]
    render = "never"
    list = "always"
  [cascade._target]
    kind = "page"
"""
# Hugo's own RSS template, but with the full content in each item, as this service serves it.
HUGO_RSS = """\
{{- $pctx := . -}}
{{- if .IsHome -}}{{ $pctx = .Site }}{{- end -}}
{{- $pages := $pctx.RegularPages -}}
{{- if not (or .IsHome .IsSection) -}}{{ $pages = $pctx.Pages }}{{- end -}}
{{- $pages = $pages | first .Site.Config.Services.RSS.Limit -}}
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?>" | safeHTML }}
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>{{ .Title }}</title>
    <link>{{ .Permalink }}</link>
    {{- range $pages }}
    <item>
      <title>{{ .Title }}</title>
      <link>{{ .Permalink }}</link>
      <pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
      <guid>{{ .Permalink }}</guid>
      <description>{{ .Summary | html }}</description>
      <content:encoded>{{ .Content | html }}</content:encoded>
    </item>
    {{- end }}
  </channel>
</rss>
"""


@dataclass(frozen=True)
class Run:
    """One gunicorn start: seconds until /feed.xml answered, slowest and median tag feed, worker memory."""

    ready: float
    slowest_ms: float
    median_ms: float
    rss_mib: float


# -- the service -----------------------------------------------------------------------------
def _get(port: int, path: str, timeout: float = REQUEST_TIMEOUT) -> tuple[int, bytes]:
    """Status and body of one GET on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _workers(master: int) -> list[int]:
    """gunicorn's worker processes: the master's children."""
    try:
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # Field 4 of /proc/<pid>/stat is the parent; the name in field 2 may hold spaces.
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                    children.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        return children


def _rss_mib(pid: int) -> float:
    """VmRSS of one process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve_once(content: Path, cache: Path, tag_paths: list[str], log: Path) -> Run:
    """Start gunicorn, time /feed.xml, then the first request of each tag feed, read the workers' RSS, stop."""
    port = free_port()
    env = {
        **os.environ,
        "ALLFORCES_CONTENT_DIR": str(content),
        "ALLFORCES_CACHE_DIR": str(cache),
        "ALLFORCES_SITE_URL": "https://allforces.jp",
    }
    command = [str(GUNICORN), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "app:create_app()"]
    with log.open("ab") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
            if time.perf_counter() - started > READY_TIMEOUT:
                raise RuntimeError(f"/feed.xml did not answer within {READY_TIMEOUT} s; see {log}")
            try:
                if _get(port, "/feed.xml")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.005)
        ready = time.perf_counter() - started
        timings = []
        for path in tag_paths:
            begin = time.perf_counter()
            status, body = _get(port, path)
            timings.append((time.perf_counter() - begin) * 1000)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}: {body[:300]!r}; see {log}")
        rss = max((_rss_mib(pid) for pid in _workers(process.pid)), default=0.0)
        return Run(ready, max(timings), statistics.median(timings), rss)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


# -- Hugo ------------------------------------------------------------------------------------
def _labels(value: object) -> list[str]:
    """A post's labels as a list."""
    if isinstance(value, str):
        return value.split()
    return [str(item) for item in value] if isinstance(value, list) else []


def write_hugo_site(content: Path, site: Path) -> None:
    """A minimal Hugo site over the same posts: RFC 3339 dates, tags, categories and authors as taxonomies."""
    (site / "layouts" / "_default").mkdir(parents=True, exist_ok=True)
    (site / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    (site / "layouts" / "_default" / "rss.xml").write_text(HUGO_RSS, encoding="utf-8")
    posts = site / "content" / "posts"
    posts.mkdir(parents=True, exist_ok=True)
    zone = ZoneInfo("Asia/Tokyo")
    for path in sorted((content / "_posts").glob("*.md")):
        _, front, body = _BOUNDARY.split(path.read_text(encoding="utf-8"), 2)
        meta = yaml.load(front, Loader=yaml.CSafeLoader)
        hugo_meta = {
            "title": meta["title"],
            "date": parse_date(meta["date"], zone).isoformat(),
            "slug": path.stem[11:],
            "tags": _labels(meta.get("tags")),
            "categories": _labels(meta.get("categories")),
            "authors": [meta.get("author", "ALLFORCES編集部")],
        }
        # JSON is YAML: every string quoted, nothing for Hugo to guess.
        lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in hugo_meta.items()]
        (posts / path.name).write_text("---\n" + "\n".join(lines) + "\n---\n" + body, encoding="utf-8")


def hugo_build(site: Path) -> float:
    """Seconds for one `hugo --quiet` build from scratch."""
    assert HUGO is not None
    shutil.rmtree(site / "public", ignore_errors=True)
    shutil.rmtree(site / "resources", ignore_errors=True)
    began = time.perf_counter()
    subprocess.run(
        [HUGO, "--quiet", "--source", str(site)], check=True, timeout=HUGO_TIMEOUT, stdout=subprocess.DEVNULL
    )
    elapsed = time.perf_counter() - began
    if not (site / "public" / "tags").is_dir():
        raise RuntimeError(f"hugo wrote no tag feeds under {site / 'public'}")
    return elapsed


# -- the run ------------------------------------------------------------------------------------
def _tag_paths(tags: dict[str, int], count: int) -> list[str]:
    """Feed paths of `count` tags spread from the most to the least used, as a client would request them."""
    ranked = sorted(tags, key=lambda tag: (-tags[tag], tag))
    picked = [ranked[i * len(ranked) // count] for i in range(min(count, len(ranked)))]
    return [f"/tags/{quote_slug(slugify(tag))}/feed.xml" for tag in picked]


def bench_size(size: int, work: Path, repeats: int) -> dict[str, float]:
    """Medians of every measure for one corpus size."""
    content = work / f"posts-{size}"
    corpus = generate(size, content)
    tag_paths = _tag_paths(corpus.tags, TAG_FEEDS)
    site = work / f"hugo-{size}"
    if HUGO:
        write_hugo_site(content, site)
    log = work / f"gunicorn-{size}.log"
    cold: list[Run] = []
    warm: list[Run] = []
    hugo: list[float] = []
    for _ in range(repeats):
        if HUGO:
            hugo.append(hugo_build(site))
        cache = work / f"cache-{size}"
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir()
        cold.append(serve_once(content, cache, tag_paths, log))
        warm.append(serve_once(content, cache, tag_paths, log))
        shutil.rmtree(cache, ignore_errors=True)

    def median(runs: list[Run], field: str) -> float:
        """The median of one measure over the runs."""
        return float(statistics.median(getattr(run, field) for run in runs))

    return {
        "cold": median(cold, "ready"),
        "warm": median(warm, "ready"),
        "cold_first_ms": median(cold, "slowest_ms"),
        "warm_first_ms": median(warm, "slowest_ms"),
        "cold_median_ms": median(cold, "median_ms"),
        "rss": max(median(cold, "rss_mib"), median(warm, "rss_mib")),
        "hugo": statistics.median(hugo) if hugo else float("nan"),
    }


def table(results: dict[int, dict[str, float]]) -> str:
    """The results as a Markdown table, then the ratios to Hugo."""
    lines = [
        "| posts | ready cold (s) | ready warm (s) | slowest first tag feed, cold / warm (ms) "
        "| largest worker RSS (MiB) | hugo feeds build (s) | cold / hugo | warm / hugo |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, r in results.items():
        lines.append(
            f"| {size:,} | {r['cold']:.2f} | {r['warm']:.2f} | {r['cold_first_ms']:.0f} / {r['warm_first_ms']:.0f} "
            f"| {r['rss']:.0f} | {r['hugo']:.2f} | {r['cold'] / r['hugo']:.2f} | {r['warm'] / r['hugo']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Benchmark every size, print the table and the ratios."""
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="*", default=list(SIZES), help="corpus sizes (default: 1000 10000)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="runs per measure; medians are reported")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv or [])
    if not HUGO:
        print("hugo not found on PATH: the Hugo column stays empty", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="allforces-startup-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        results = {}
        for size in args.sizes:
            began = time.perf_counter()
            results[size] = bench_size(size, work, args.repeats)
            print(f"{size:,} posts measured in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    print(table(results))
    for size, r in results.items():
        print(
            f"\n{size:,} posts: ready cold in {r['cold'] / r['hugo']:.2f} of the time hugo takes to build the feeds, "
            f"warm in {r['warm'] / r['hugo']:.2f} of it; first tag-feed request cold: median "
            f"{r['cold_median_ms']:.0f} ms, slowest {r['cold_first_ms']:.0f} ms"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
