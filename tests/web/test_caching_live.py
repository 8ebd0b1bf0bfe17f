"""RFC 9110 caching on a real gunicorn, read from the raw socket (http.client hides 304 and HEAD bodies)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import brotli
import pytest
from lxml import etree

from allforces_feeds.web.http import strong_etag

from ..live import Server, gunicorn

MAX_AGE = 900
FEEDS = {
    "rss": "/feed.xml",
    "atom": "/atom.xml",
    "json": "/feed.json",
    "tag-rss": "/tags/ai/feed.xml",
    "tag-json": "/tags/ai/feed.json",
    "category-atom": f"/categories/{quote('投資分析')}/atom.xml",
    "author-json": f"/authors/{quote('allforces編集部')}/feed.json",
}
CODINGS = {"identity": None, "gzip": "gzip", "br": "br"}
DECODE = {"identity": lambda body: body, "gzip": gzip.decompress, "br": brotli.decompress}
# RFC 9110 §15.4.5: what a 304 carries so that caches can update what they hold.
NOT_MODIFIED_FIELDS = ("etag", "last-modified", "cache-control", "vary", "date")


@dataclass(frozen=True)
class Reply:
    """One HTTP/1.1 response as it came off the socket."""

    status: int
    headers: dict[str, str]
    body: bytes


def send(server: Server, path: str, headers: Mapping[str, str] | None = None, method: str = "GET") -> Reply:
    """One request on its own connection (Connection: close), so the body is every byte after the head."""
    fields = {"Host": f"{server.host}:{server.port}", **(headers or {}), "Connection": "close"}
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    raw = server.raw_request((head + "\r\n").encode("latin-1"))
    status_line, _, rest = raw.partition(b"\r\n")
    head_bytes, separator, body = rest.partition(b"\r\n\r\n")
    assert separator, f"no end of head in {raw[:200]!r}"
    found: dict[str, str] = {}
    for line in head_bytes.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        assert name.lower() not in found, f"{name} repeated"
        found[name.lower()] = value.strip()
    return Reply(int(status_line.split()[1]), found, body)


def coded(coding: str) -> dict[str, str]:
    """Accept-Encoding for one coding; none at all for identity."""
    value = CODINGS[coding]
    return {} if value is None else {"Accept-Encoding": value}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One gunicorn (2 sync workers) over the bundled content for the whole module."""
    env = {"PYTHONHASHSEED": "1", "ALLFORCES_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}
    with gunicorn(env) as running:
        yield running


@pytest.fixture(scope="module")
def ok(server: Server) -> dict[tuple[str, str], Reply]:
    """The 200 of every feed in every coding, fetched once."""
    return {(feed, coding): send(server, path, coded(coding)) for feed, path in FEEDS.items() for coding in CODINGS}


def http_date(value: str) -> datetime:
    """An HTTP date header as an aware datetime."""
    return parsedate_to_datetime(value).astimezone(UTC)


def assert_not_modified(reply: Reply, validated: Reply) -> None:
    """A 304 with the header set of RFC 9110 §15.4.5, the 200's validators, and not one byte of body."""
    assert reply.status == 304
    assert reply.body == b""
    assert "transfer-encoding" not in reply.headers
    for name in NOT_MODIFIED_FIELDS:
        assert name in reply.headers, f"304 without {name}"
    for name in ("etag", "last-modified", "cache-control", "vary", "x-content-type-options"):
        assert reply.headers[name] == validated.headers[name]


# -- 200 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("feed", FEEDS)
def test_200_headers(ok: dict[tuple[str, str], Reply], feed: str, coding: str) -> None:
    reply = ok[feed, coding]
    headers = reply.headers
    assert reply.status == 200
    assert headers["content-length"] == str(len(reply.body))
    assert "transfer-encoding" not in headers
    assert headers.get("content-encoding") == CODINGS[coding]
    directives = [d.strip() for d in headers["cache-control"].split(",")]
    assert directives[:2] == ["public", f"max-age={MAX_AGE}"]
    assert any(d.startswith("stale-while-revalidate=") for d in directives)
    assert any(d.startswith("stale-if-error=") for d in directives)
    assert not {"no-cache", "no-store", "private"} & set(directives)
    assert "expires" not in headers and "pragma" not in headers
    assert headers["vary"] == "Accept-Encoding"
    assert headers["x-content-type-options"] == "nosniff"
    # Strong and quoted, and derived from the bytes served alone.
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
    assert headers["etag"] == strong_etag(reply.body)
    assert http_date(headers["last-modified"]) <= http_date(headers["date"])


@pytest.mark.parametrize("feed", FEEDS)
def test_compressed_bodies_decode_to_the_identity_body_with_their_own_etags(
    ok: dict[tuple[str, str], Reply], feed: str
) -> None:
    identity = ok[feed, "identity"].body
    for coding in CODINGS:
        assert DECODE[coding](ok[feed, coding].body) == identity
    assert len({ok[feed, coding].headers["etag"] for coding in CODINGS}) == len(CODINGS)
    assert len({ok[feed, coding].headers["last-modified"] for coding in CODINGS}) == 1


def newest_item_date(server: Server, path: str) -> datetime:
    """The newest published or modified date among the items of the JSON Feed of the same scope."""
    reply = send(server, path.rsplit("/", 1)[0] + "/feed.json")
    dates = [
        datetime.fromisoformat(item[field])
        for item in json.loads(reply.body)["items"]
        for field in ("date_published", "date_modified")
        if field in item
    ]
    return max(dates).astimezone(UTC).replace(microsecond=0)


@pytest.mark.parametrize("feed", FEEDS)
def test_last_modified_is_the_newest_item_date(server: Server, ok: dict[tuple[str, str], Reply], feed: str) -> None:
    headers = ok[feed, "identity"].headers
    assert http_date(headers["last-modified"]) == newest_item_date(server, FEEDS[feed])


@pytest.mark.parametrize("feed", [feed for feed, path in FEEDS.items() if path.endswith("/feed.xml")])
def test_rss_ttl_is_max_age_in_minutes(ok: dict[tuple[str, str], Reply], feed: str) -> None:
    ttl = etree.fromstring(ok[feed, "identity"].body).findtext("channel/ttl")
    assert ttl is not None and int(ttl) == MAX_AGE // 60


# -- If-None-Match, If-Modified-Since ---------------------------------------------------------------
def if_none_match(case: str, etag: str, other_coding_etag: str) -> tuple[str, int]:
    """An If-None-Match value built from the ETag the client holds, and the status it must get."""
    opaque = etag[1:-1]
    return {
        "exact": (etag, 304),
        "weak": (f"W/{etag}", 304),
        "list": (f'"stale-one", W/"stale-two", {etag}', 304),
        "star": ("*", 304),
        "proxy -gzip suffix": (f'"{opaque}-gzip"', 304),
        "other tag": ('"not-this-one"', 200),
        "other coding's tag": (other_coding_etag, 200),
    }[case]


INM_CASES = ("exact", "weak", "list", "star", "proxy -gzip suffix", "other tag", "other coding's tag")


@pytest.mark.parametrize("case", INM_CASES)
@pytest.mark.parametrize("coding", ["identity", "gzip"])
@pytest.mark.parametrize("feed", FEEDS)
def test_if_none_match(server: Server, ok: dict[tuple[str, str], Reply], feed: str, coding: str, case: str) -> None:
    validated = ok[feed, coding]
    other = ok[feed, "gzip" if coding == "identity" else "identity"].headers["etag"]
    value, expected = if_none_match(case, validated.headers["etag"], other)
    reply = send(server, FEEDS[feed], {**coded(coding), "If-None-Match": value})
    if expected == 304:
        assert_not_modified(reply, validated)
    else:
        assert reply.status == 200 and reply.body == validated.body
        assert reply.headers["etag"] == validated.headers["etag"]


def if_modified_since(case: str, last_modified: datetime, now: datetime) -> tuple[str, int]:
    """An If-Modified-Since value relative to the feed's Last-Modified and the server's clock."""
    return {
        "older": (format_datetime(last_modified - timedelta(seconds=1), usegmt=True), 200),
        "equal": (format_datetime(last_modified, usegmt=True), 304),
        "newer": (format_datetime(last_modified + (now - last_modified) / 2, usegmt=True), 304),
        "garbage": ("last tuesday", 200),
        "future": (format_datetime(now + timedelta(days=1), usegmt=True), 200),
    }[case]


@pytest.mark.parametrize("case", ["older", "equal", "newer", "garbage", "future"])
@pytest.mark.parametrize("feed", FEEDS)
def test_if_modified_since(server: Server, ok: dict[tuple[str, str], Reply], feed: str, case: str) -> None:
    validated = ok[feed, "identity"]
    last_modified, now = http_date(validated.headers["last-modified"]), http_date(validated.headers["date"])
    value, expected = if_modified_since(case, last_modified, now)
    reply = send(server, FEEDS[feed], {"If-Modified-Since": value})
    if expected == 304:
        assert_not_modified(reply, validated)
    else:
        assert reply.status == 200 and reply.body == validated.body


@pytest.mark.parametrize(("inm_case", "ims_case"), [("exact", "older"), ("other tag", "equal"), ("other tag", "newer")])
@pytest.mark.parametrize("feed", FEEDS)
def test_if_none_match_overrides_if_modified_since(
    server: Server, ok: dict[tuple[str, str], Reply], feed: str, inm_case: str, ims_case: str
) -> None:
    validated = ok[feed, "identity"]
    inm, expected = if_none_match(inm_case, validated.headers["etag"], "")
    last_modified, now = http_date(validated.headers["last-modified"]), http_date(validated.headers["date"])
    ims, _ = if_modified_since(ims_case, last_modified, now)
    reply = send(server, FEEDS[feed], {"If-None-Match": inm, "If-Modified-Since": ims})
    if expected == 304:
        assert_not_modified(reply, validated)
    else:
        assert reply.status == 200 and reply.body == validated.body


@pytest.mark.parametrize(("value", "expected"), [("mismatch", 412), ("*", 200), ("exact", 200), ("weak", 412)])
@pytest.mark.parametrize("feed", ["rss", "tag-json"])
def test_if_match(server: Server, ok: dict[tuple[str, str], Reply], feed: str, value: str, expected: int) -> None:
    etag = ok[feed, "identity"].headers["etag"]
    header = {"mismatch": '"not-this-one"', "*": "*", "exact": etag, "weak": f"W/{etag}"}[value]
    reply = send(server, FEEDS[feed], {"If-Match": header})
    assert reply.status == expected
    assert reply.headers["content-length"] == str(len(reply.body))


# -- HEAD -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("feed", FEEDS)
def test_head_is_get_without_body(server: Server, ok: dict[tuple[str, str], Reply], feed: str, coding: str) -> None:
    reply = send(server, FEEDS[feed], coded(coding), method="HEAD")
    get = ok[feed, coding]
    assert reply.status == 200 and reply.body == b""
    assert {k: v for k, v in reply.headers.items() if k != "date"} == {
        k: v for k, v in get.headers.items() if k != "date"
    }
    assert reply.headers["content-length"] == str(len(get.body))


@pytest.mark.parametrize("feed", FEEDS)
def test_head_revalidates_too(server: Server, ok: dict[tuple[str, str], Reply], feed: str) -> None:
    validated = ok[feed, "gzip"]
    reply = send(server, FEEDS[feed], {**coded("gzip"), "If-None-Match": validated.headers["etag"]}, "HEAD")
    assert_not_modified(reply, validated)


# -- nothing from the request ---------------------------------------------------------------------
HOSTILE = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}


@pytest.mark.parametrize("coding", ["identity", "gzip"])
@pytest.mark.parametrize("feed", FEEDS)
def test_forwarded_host_and_proto_change_nothing(
    server: Server, ok: dict[tuple[str, str], Reply], feed: str, coding: str
) -> None:
    reply = send(server, FEEDS[feed], {**HOSTILE, **coded(coding)})
    assert (reply.status, reply.body, reply.headers["etag"]) == (
        200,
        ok[feed, coding].body,
        ok[feed, coding].headers["etag"],
    )
    assert b"evil.example" not in DECODE[coding](reply.body)


@pytest.mark.parametrize("query", ["?utm_source=x", "?utm_source=x&utm_medium=rss&fbclid=abc", "?"])
@pytest.mark.parametrize("feed", FEEDS)
def test_unknown_query_parameters_are_ignored(
    server: Server, ok: dict[tuple[str, str], Reply], feed: str, query: str
) -> None:
    reply = send(server, FEEDS[feed] + query)
    assert (reply.status, reply.body, reply.headers["etag"]) == (
        200,
        ok[feed, "identity"].body,
        ok[feed, "identity"].headers["etag"],
    )


def test_a_second_gunicorn_with_another_hash_seed_serves_the_same_bytes_and_etags(
    ok: dict[tuple[str, str], Reply], tmp_path: Path
) -> None:
    env = {"PYTHONHASHSEED": "4242", "ALLFORCES_CACHE_DIR": str(tmp_path / "cache")}
    with gunicorn(env) as other:
        for (feed, coding), reply in ok.items():
            again = send(other, FEEDS[feed], coded(coding))
            assert (again.headers["etag"], again.body) == (reply.headers["etag"], reply.body), (feed, coding)
            assert again.headers["last-modified"] == reply.headers["last-modified"]


MALFORMED = {
    "If-None-Match": ['""', 'W/""', 'W/"', ",", "", 'abc"def'],
    "If-Match": ['""', "", ","],
    "If-Modified-Since": ["", "0", "Sat, 99 Foo 2026 99:99:99 GMT"],
    "If-Unmodified-Since": ["soon", ""],
    "Accept-Encoding": ["gzip;q=abc", "br;q=2", ";;,", "*;q=-1"],
}


@pytest.mark.parametrize(("name", "value"), [(name, value) for name, values in MALFORMED.items() for value in values])
def test_malformed_headers_never_give_a_5xx(
    server: Server, ok: dict[tuple[str, str], Reply], name: str, value: str
) -> None:
    reply = send(server, FEEDS["rss"], {name: value})
    assert reply.status in (200, 412)
    if reply.status == 200:
        assert DECODE[reply.headers.get("content-encoding", "identity")](reply.body) == ok["rss", "identity"].body
