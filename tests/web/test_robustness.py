"""Bad requests get a 4xx (or a redirect), never a 5xx: a seeded sweep of hostile paths, queries and headers."""

from __future__ import annotations

import random
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

PIECES = [
    "", "/", "..", "%2e%2e", "%2F", "%00", "%FF", "%E3%81", "ａｉ", "AI", "ai", "半導体", "C++", "<script>",
    "' OR 1=1", "\u202e", "🚀", "a" * 300, "feed.xml", "atom.xml", "feed.json", "tags", "categories",
    "authors", "embed", "latest.json", "latest.html", "embed.js", "feeds.json", "feeds.opml", "healthz",
]  # fmt: skip
LABELS = ["AI", "ＡＩ", "ai", "半導体", "投資分析", "山田 太郎", "山田-太郎", "データセンター", "ＧＰＵ", "llm"]
QUERIES = ["", "limit=5", "limit=0", "limit=abc", "limit=99999999999999999999", "tag=%FF", "tag=", "limit=5&limit=6",
           "category=%E6%8A%95%E8%B3%87%E5%88%86%E6%9E%90", "author=x&tag=ai", "utm_source=x", "%", "&&=&"]  # fmt: skip
HEADERS = [
    {},
    {"If-None-Match": "*"},
    {"If-Modified-Since": "Sun, 29 Nov 2099 00:00:00 GMT"},
    {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"},
    {"If-None-Match": '"'},
    {"If-None-Match": "W/"},
    {"If-None-Match": ", , *"},
    {"If-Modified-Since": "yesterday"},
    {"If-Modified-Since": "Mon, 99 Foo 2025 99:99:99 GMT"},
    {"If-Match": "garbage"},
    {"If-Unmodified-Since": "0"},
    {"Accept-Encoding": "br;q=abc, gzip;q=-1, *;q=2"},
    {"Accept-Encoding": ";;;,,,"},
    {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "gopher"},
    {"Range": "bytes=0-10", "If-Range": '"x"'},
]


def requests(count: int) -> list[tuple[str, str, str, dict[str, str]]]:
    """count (method, path, query, headers), the same on every run."""
    rng = random.Random(20261129)
    found = []
    for _ in range(count):
        if rng.random() < 0.6:
            # Shaped like a real URL, so that redirects, 304s and 400s are reached too.
            kind = rng.choice(["tags", "categories", "authors", "embed"])
            if kind == "embed":
                path = f"/embed/{rng.choice(['latest.json', 'latest.html'])}"
            else:
                path = f"/{kind}/{rng.choice(PIECES + LABELS)}/{rng.choice(['', 'feed.xml', 'atom.xml', 'feed.json'])}"
        else:
            path = "/" + "/".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4)))
        method = rng.choice(["GET", "GET", "GET", "HEAD", "OPTIONS", "POST", "DELETE"])
        found.append((method, quote(path, safe="/%"), rng.choice(QUERIES), rng.choice(HEADERS)))
    return found


@pytest.mark.parametrize(("method", "path", "query", "headers"), requests(400))
def test_no_request_gets_a_server_error(client: FlaskClient, method: str, path: str, query: str, headers) -> None:
    response = client.open(path, method=method, query_string=query, headers=headers)
    assert response.status_code < 500, (method, path, query, headers, response.data[:200])
    if response.status_code in (301, 302, 307, 308):
        assert response.headers["Location"].startswith("https://feeds.allforces.jp/")
