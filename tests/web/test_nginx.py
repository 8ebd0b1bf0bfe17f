"""A real nginx in front (gzip on, proxy_cache): revalidation still ends in 304s, weakened ETags included.

nginx compresses on the way and so weakens our ETag to W/"..." (RFC 9110 §8.8.1); a client echoing it must
still be answered 304. Skipped with a reason where nginx is missing, except in CI (ALLFORCES_REQUIRE_NGINX=1).
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..live import Server, free_port, gunicorn, stop
from .test_caching_live import Reply, send

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
PATHS = ("/feed.xml", "/atom.xml", "/feed.json", "/tags/ai/feed.xml")
# One process, no privilege drop, everything in the temp dir: runs as whoever runs the tests.
# What every nginx these tests start shares: no daemon, every file in the test's folder.
HEAD = """
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
"""
CONFIG = (
    HEAD
    + """\
    proxy_cache_path {tmp}/cache levels=1:2 keys_zone=feeds:1m max_size=10m inactive=10m use_temp_path=off;
    gzip on;
    gzip_types application/rss+xml application/atom+xml application/feed+json;
    gzip_proxied any;
    upstream origin {{ server 127.0.0.1:{origin}; }}
    # nginx compresses itself: the origin is asked for identity and nginx weakens its ETag.
    proxy_set_header Accept-Encoding "";
    proxy_http_version 1.1;
    server {{
        listen 127.0.0.1:{direct};
        location / {{ proxy_pass http://origin; }}
    }}
    server {{
        listen 127.0.0.1:{cached};
        location / {{
            proxy_pass http://origin;
            proxy_cache feeds;
            proxy_cache_revalidate on;
            # Stale after 1 s instead of max-age=900, so that the test sees nginx revalidate.
            proxy_ignore_headers Cache-Control Expires;
            proxy_cache_valid 200 1s;
            add_header X-Cache-Status $upstream_cache_status always;
            add_header X-Upstream-Status $upstream_status always;
        }}
    }}
}}
"""
)


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until something accepts on the port, or fail with nginx's own words."""
    deadline = time.monotonic() + 10
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not listen within 10 s") from None
            time.sleep(0.05)


@pytest.fixture(scope="module")
def proxies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, Server]]:
    """(origin gunicorn, nginx passing through, nginx with proxy_cache)."""
    if NGINX is None:
        if os.environ.get("ALLFORCES_REQUIRE_NGINX") == "1":
            pytest.fail("nginx is required here (ALLFORCES_REQUIRE_NGINX=1) but not installed")
        pytest.skip("nginx is not installed (Debian package nginx); the proxy tests need it")
    tmp = tmp_path_factory.mktemp("nginx")
    with gunicorn({"ALLFORCES_CACHE_DIR": str(tmp / "app-cache")}) as origin:
        direct, cached = free_port(), free_port()
        config = tmp / "nginx.conf"
        config.write_text(CONFIG.format(tmp=tmp, origin=origin.port, direct=direct, cached=cached))
        log = tmp / "error.log"
        process = subprocess.Popen(
            [NGINX, "-p", str(tmp), "-c", str(config), "-e", str(log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(direct, process, log)
            wait_for_port(cached, process, log)
            yield origin, Server("127.0.0.1", direct), Server("127.0.0.1", cached)
        finally:
            stop(process)


GZIP = {"Accept-Encoding": "gzip"}


def assert_gzipped_by_nginx(reply: Reply, origin: Reply) -> None:
    """nginx's gzip of the origin's identity body, with the origin's ETag weakened."""
    assert reply.status == 200
    assert reply.headers.get("content-encoding") == "gzip"
    assert gzip.decompress(dechunk(reply)) == origin.body
    assert reply.headers["etag"] == "W/" + origin.headers["etag"]


def dechunk(reply: Reply) -> bytes:
    """The body of a reply, chunked transfer coding removed (nginx streams what it compresses)."""
    if reply.headers.get("transfer-encoding") != "chunked":
        return reply.body
    body, rest = b"", reply.body
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body
        body, rest = body + rest[:size], rest[size + 2 :]


@pytest.mark.parametrize("path", PATHS)
def test_a_client_echoing_the_weakened_etag_gets_304(proxies: tuple[Server, Server, Server], path: str) -> None:
    origin, direct, _ = proxies
    identity = send(origin, path)
    first = send(direct, path, GZIP)
    assert_gzipped_by_nginx(first, identity)
    again = send(direct, path, {**GZIP, "If-None-Match": first.headers["etag"]})
    assert again.status == 304 and again.body == b""
    for name in ("etag", "last-modified", "cache-control", "vary"):
        assert name in again.headers, name
    # And a tag it never had is still a 200.
    assert send(direct, path, {**GZIP, "If-None-Match": '"not-this-one"'}).status == 200


@pytest.fixture(scope="module")
def cache_filled(proxies: tuple[Server, Server, Server]) -> dict[str, tuple[Reply, Reply, Reply, Reply]]:
    """Every path fetched through the cache twice and revalidated by the client, then left to go stale."""
    origin, _, cached = proxies
    filled = {}
    for path in PATHS:
        first = send(cached, path, GZIP)
        hit = send(cached, path, GZIP)
        answered = send(cached, path, {**GZIP, "If-None-Match": first.headers["etag"]})
        filled[path] = (send(origin, path), first, hit, answered)
    # nginx counts validity in whole seconds: after 2 s every entry is stale, and nginx must ask
    # the origin again, with If-None-Match and If-Modified-Since (proxy_cache_revalidate).
    time.sleep(2.1)
    return filled


@pytest.mark.parametrize("path", PATHS)
def test_nginx_cache_revalidates_with_304s(
    proxies: tuple[Server, Server, Server], cache_filled: dict[str, tuple[Reply, Reply, Reply, Reply]], path: str
) -> None:
    _, _, cached = proxies
    identity, first, hit, answered = cache_filled[path]
    assert_gzipped_by_nginx(first, identity)
    assert hit.headers["x-cache-status"] == "HIT"
    # The client's own revalidation with nginx's weak ETag, answered by nginx from its cache.
    assert answered.status == 304 and answered.body == b""
    revalidated = send(cached, path, GZIP)
    assert revalidated.headers["x-cache-status"] == "REVALIDATED"
    assert revalidated.headers["x-upstream-status"] == "304"
    assert_gzipped_by_nginx(revalidated, identity)
