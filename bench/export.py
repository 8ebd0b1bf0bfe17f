"""Export benchmark (issue 14): a static export of 10,000 posts, then again with one post changed.

`python -m bench.export [--posts N]`. Over a generated corpus (bench/gen_corpus.py) it loads the app, exports
every representation with its .gz/.br siblings and the manifest, and reports time, files and bytes; then it
edits one post, loads again (as a CI step after `jekyll build` would) and exports into the same folder,
reporting the time and how many files were rewritten. Load time is reported apart from export time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from allforces_feeds import create_app
from allforces_feeds.web.export import export
from allforces_feeds.web.export_servers import netlify_files, nginx_configs
from allforces_feeds.web.routes import Router
from bench.gen_corpus import generate

POSTS = 10_000


def router(site: Path, cache: Path) -> tuple[Router, float]:
    """A loaded app's router over the site, and the seconds the load took."""
    started = time.perf_counter()
    app = create_app(
        {
            "CONTENT_DIR": str(site),
            "CACHE_DIR": str(cache),
            "SITE_URL": "https://allforces.jp",
            "PUBLIC_URL": "https://allforces.jp/feeds",
            "WATCH": "off",
        }
    )
    found: Router = app.extensions["allforces"]
    return found, time.perf_counter() - started


def run(posts: int = POSTS) -> dict[str, Any]:
    """Export a corpus of `posts` posts twice, one post changed in between; the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        root = Path(tmp)
        corpus = generate(posts, root / "site")
        out = root / "_site" / "feeds"
        first_router, first_load = router(root / "site", root / "cache")
        started = time.perf_counter()
        first = export(first_router, out)
        first_seconds = time.perf_counter() - started
        started = time.perf_counter()
        nginx_configs(first.manifest, root / "conf")
        netlify_files(first.manifest, out)
        configs_seconds = time.perf_counter() - started
        files = [p for p in out.rglob("*") if p.is_file()]
        # The newest post edited, as a writer fixing a typo: it is in the most feeds (file names start with the date).
        edited = max(corpus.paths, key=lambda path: path.name)
        edited.write_text(edited.read_text(encoding="utf-8").replace("title: ", "title: 改 ", 1), encoding="utf-8")
        second_router, second_load = router(root / "site", root / "cache")
        started = time.perf_counter()
        second = export(second_router, out)
        second_seconds = time.perf_counter() - started
        return {
            "posts": posts,
            "representations": len(first.manifest["files"]),
            "redirects": len(first.manifest["redirects"]),
            "first_load_s": round(first_load, 2),
            "first_export_s": round(first_seconds, 2),
            "configs_s": round(configs_seconds, 2),
            "files": len(files),
            "bytes": sum(p.stat().st_size for p in files),
            "identity_bytes": sum(p.stat().st_size for p in files if p.suffix not in (".gz", ".br")),
            "gz_bytes": sum(p.stat().st_size for p in files if p.suffix == ".gz"),
            "br_bytes": sum(p.stat().st_size for p in files if p.suffix == ".br"),
            "second_load_s": round(second_load, 2),
            "second_export_s": round(second_seconds, 2),
            "second_written": len(second.written),
            "second_written_sample": second.written[:8],
            "second_unchanged": second.unchanged,
        }


def main(argv: list[str] | None = None) -> None:
    """Command line: [--posts N]; prints the figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.export", description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=POSTS)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.posts), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
