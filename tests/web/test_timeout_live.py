"""A worker stuck past gunicorn's timeout: the log names the request it was answering (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.servers import free_port, stop

from ..live import ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")


def test_a_timed_out_worker_names_its_request(tmp_path: Path) -> None:
    posts = tmp_path / "site" / "_posts"
    posts.mkdir(parents=True)
    # About 1.5 MB of Markdown: seconds to render, far past the 1 s timeout set below.
    body = "段落です。**太字**と[リンク](https://example.org/)。\n\n- 項目\n- 項目\n\n" * 20000
    (posts / "2025-01-01-huge.md").write_text(f'---\ntitle: "長い記事"\n---\n{body}', encoding="utf-8")
    port, log_path = free_port(), tmp_path / "gunicorn.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")},
        "ALLFORCES_CONTENT_DIR": str(tmp_path / "site"),
        "ALLFORCES_CACHE_DIR": str(tmp_path / "cache"),
        "ALLFORCES_WATCH": "off",
        "GUNICORN_TIMEOUT": "1",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    with log_path.open("wb") as log:
        command = [str(GUNICORN), "--config", "gunicorn.conf.py", "--no-control-socket", "app:create_app()"]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while b"Booting worker" not in log_path.read_bytes():
                assert time.monotonic() < deadline and process.poll() is None, log_path.read_text(errors="replace")
                time.sleep(0.1)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.xml?from=test", timeout=20).read()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass  # the aborted worker drops the connection: what matters is what the log says
            deadline = time.monotonic() + 20
            while b"timed out" not in log_path.read_bytes() and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            stop(process)
    text = log_path.read_text(errors="replace")
    assert "timed out after 1 s while answering: GET /feed.xml?from=test" in text, text[-3000:]
