"""Real gunicorn processes on loopback: identical bytes whatever the process, start time or hash seed."""

from __future__ import annotations

import time

from ..live import gunicorn

PATHS = ("/feed.xml", "/atom.xml", "/feed.json")


def test_two_servers_serve_identical_bytes(tmp_path) -> None:
    bodies = []
    for seed in ("1", "4242"):
        env = {"PYTHONHASHSEED": seed, "ALLFORCES_CACHE_DIR": str(tmp_path / seed)}
        with gunicorn(env) as server:
            answers = {path: server.get(path, {"Accept-Encoding": "identity"}) for path in PATHS}
        assert all(status == 200 for status, _, _ in answers.values())
        bodies.append({path: (headers["ETag"], body) for path, (_, headers, body) in answers.items()})
        time.sleep(1.1)  # a different start time: any "now" in the output would show
    assert bodies[0] == bodies[1]
