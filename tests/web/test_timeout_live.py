"""A first build that takes seconds: off the event loop, so the worker serves meanwhile and never times out."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from allforces_feeds.web.wsgi import IN_FLIGHT, worker_abort
from bench.servers import free_port, stop

from ..live import ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one GET."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def test_a_slow_first_build_keeps_the_worker_serving(tmp_path: Path) -> None:
    """One worker, 5 s timeout: a feed rendering for seconds is 503 + Retry-After, then 200; all else answers."""
    posts = tmp_path / "site" / "_posts"
    posts.mkdir(parents=True)
    # About 1.5 MB of Markdown: seconds to render, on the event loop past the 5 s timeout set below.
    body = "段落です。**太字**と[リンク](https://example.org/)。\n\n- 項目\n- 項目\n\n" * 20000
    (posts / "2025-01-01-huge.md").write_text(f'---\ntitle: "長い記事"\ntags: [長文]\n---\n{body}', encoding="utf-8")
    (posts / "2025-01-02-small.md").write_text('---\ntitle: "短い記事"\ntags: [短文]\n---\n短い。\n', encoding="utf-8")
    port, log_path = free_port(), tmp_path / "gunicorn.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")},
        "ALLFORCES_CONTENT_DIR": str(tmp_path / "site"),
        "ALLFORCES_CACHE_DIR": str(tmp_path / "cache"),
        "ALLFORCES_WATCH": "off",
        "GUNICORN_TIMEOUT": "5",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        command = [str(GUNICORN), "--config", "gunicorn.conf.py", "--no-control-socket", "app:create_app()"]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                assert time.monotonic() < deadline and process.poll() is None, log_path.read_text(errors="replace")
                try:
                    if get(base + "/healthz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            started = time.monotonic()
            status, headers, _ = get(base + "/feed.xml")
            if status == 503:  # slower than the wait: told when to come back, the build goes on
                assert headers["Retry-After"] == "5" and time.monotonic() - started < 10
            # Meanwhile (or after) the worker answers everything else at once.
            for path in ("/healthz", "/tags/%E7%9F%AD%E6%96%87/feed.xml"):
                asked = time.monotonic()
                assert get(base + path)[0] == 200
                assert time.monotonic() - asked < 1
            deadline = time.monotonic() + 60
            while (found := get(base + "/feed.xml"))[0] != 200:
                assert found[0] == 503 and time.monotonic() < deadline
                time.sleep(0.5)
            assert "長い記事".encode() in found[2] and b"</rss>" in found[2]
        finally:
            stop(process)
    text = log_path.read_text(errors="replace")
    assert "timed out" not in text and "WORKER TIMEOUT" not in text, text[-3000:]


def test_a_timed_out_worker_names_its_request() -> None:
    """gunicorn's worker_abort hook logs the requests in flight instead of "Perhaps out of memory?"."""
    logged: list[str] = []
    worker = SimpleNamespace(
        pid=42, cfg=SimpleNamespace(timeout=30), log=SimpleNamespace(critical=lambda *a: logged.append(a[0] % a[1:]))
    )
    IN_FLIGHT[1] = "GET /feed.xml?from=test"
    try:
        worker_abort(worker)
    finally:
        IN_FLIGHT.pop(1)
    assert logged == ["worker 42 timed out after 30 s while answering: GET /feed.xml?from=test"]
