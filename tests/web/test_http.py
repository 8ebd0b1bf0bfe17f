"""web/http.py without I/O (coding negotiation, preconditions, variants) and the WSGI fast path of web/wsgi.py."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import brotli
import pytest
from flask import Flask

from allforces_feeds.web.http import (
    Representation,
    evaluate_preconditions,
    negotiate_coding,
    strong_etag,
)
from allforces_feeds.web.routes import Router
from allforces_feeds.web.wsgi import FastPath

LAST_MODIFIED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def CLOCK() -> float:  # noqa: N802 - a constant clock, named like the constant it reads
    """A clock stopped at NOW."""
    return NOW.timestamp()


ETAG = strong_etag(b"the body")
OPAQUE = ETAG[1:-1]
BODY = ("<rss>" + "フィード本文。" * 400 + "</rss>").encode()
MIMETYPE = "application/rss+xml; charset=utf-8"


def http_date(moment: datetime) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7)."""
    return format_datetime(moment, usegmt=True)


def environ(headers: dict[str, str], method: str = "GET", path: str = "/feed.xml") -> dict[str, Any]:
    """A WSGI environ carrying request headers, as a server would build it."""
    env: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": ""}
    env.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    return env


# -- content coding (RFC 9110 §12.5.3) -------------------------------------------------------
@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        (None, "identity"),
        ("", "identity"),
        ("identity", "identity"),
        ("deflate, compress", "identity"),
        ("gzip", "gzip"),
        ("GZip", "gzip"),
        ("x-gzip", "gzip"),
        ("gzip, deflate", "gzip"),
        ("gzip, deflate, br", "br"),
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip;q=0.8, br;q=0.8", "br"),
        ("*", "br"),
        ("*;q=0", "identity"),
        ("gzip;q=0", "identity"),
        ("br;q=0, *", "gzip"),
        ("gzip;q=0, *", "br"),
        ("br;q=0, gzip;q=0, *", "identity"),
        ("*;q=0, gzip", "gzip"),
        ("gzip;q=0.001", "gzip"),
    ],
)
def test_negotiate_coding(accept_encoding: str | None, expected: str) -> None:
    assert negotiate_coding(accept_encoding) == expected
    assert negotiate_coding(accept_encoding) == expected  # the memo gives the same answer


# -- preconditions (RFC 9110 §13.1, §13.2.2) --------------------------------------------------
OLDER = http_date(LAST_MODIFIED - timedelta(seconds=1))
EQUAL = http_date(LAST_MODIFIED)
NEWER = http_date(LAST_MODIFIED + timedelta(days=1))
FUTURE = http_date(NOW + timedelta(days=1))
INM, IMS, IM, IUS = "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"

PRECONDITIONS: dict[str, tuple[dict[str, str], int]] = {
    "none": ({}, 200),
    "INM exact": ({INM: ETAG}, 304),
    "INM weak": ({INM: f"W/{ETAG}"}, 304),
    "INM lowercase w/": ({INM: f"w/{ETAG}"}, 304),
    "INM list": ({INM: f'"other", W/"else", {ETAG}'}, 304),
    "INM list without spaces": ({INM: f'"other",{ETAG}'}, 304),
    "INM star": ({INM: "*"}, 304),
    "INM -gzip (Apache)": ({INM: f'"{OPAQUE}-gzip"'}, 304),
    "INM weak -gzip": ({INM: f'W/"{OPAQUE}-gzip"'}, 304),
    "INM --gzip (Jetty)": ({INM: f'"{OPAQUE}--gzip"'}, 304),
    "INM -br": ({INM: f'"{OPAQUE}-br"'}, 304),
    "INM other": ({INM: '"other"'}, 200),
    "INM prefix of ours": ({INM: f'"{OPAQUE[:-1]}"'}, 200),
    "INM ours with another suffix": ({INM: f'"{OPAQUE}-zstd"'}, 200),
    "INM empty quoted": ({INM: '""'}, 200),
    "INM empty weak": ({INM: 'W/""'}, 200),
    "INM unterminated": ({INM: 'W/"'}, 200),
    "INM empty": ({INM: ""}, 200),
    "INM comma": ({INM: ","}, 200),
    "IMS older": ({IMS: OLDER}, 200),
    "IMS equal": ({IMS: EQUAL}, 304),
    "IMS newer": ({IMS: NEWER}, 304),
    "IMS garbage": ({IMS: "yesterday"}, 200),
    "IMS future": ({IMS: FUTURE}, 200),
    "IMS RFC 850": ({IMS: "Friday, 02-Jan-26 03:04:05 GMT"}, 304),
    "IMS asctime": ({IMS: "Fri Jan  2 03:04:05 2026"}, 304),
    "IMS other zone, same instant": ({IMS: "Fri, 02 Jan 2026 12:04:05 +0900"}, 304),
    "INM match wins over IMS older": ({INM: ETAG, IMS: OLDER}, 304),
    "INM miss wins over IMS newer": ({INM: '"other"', IMS: NEWER}, 200),
    "INM miss wins over IMS equal": ({INM: '"other"', IMS: EQUAL}, 200),
    "INM garbage still hides IMS": ({INM: '""', IMS: EQUAL}, 200),
    "If-Match exact": ({IM: ETAG}, 200),
    "If-Match star": ({IM: "*"}, 200),
    "If-Match list": ({IM: f'"other", {ETAG}'}, 200),
    "If-Match weak is never strong": ({IM: f"W/{ETAG}"}, 412),
    "If-Match other": ({IM: '"other"'}, 412),
    "If-Match empty quoted": ({IM: '""'}, 412),
    "If-Match miss before INM match": ({IM: '"other"', INM: ETAG}, 412),
    "If-Match match then INM match": ({IM: ETAG, INM: ETAG}, 304),
    "IUS older": ({IUS: OLDER}, 412),
    "IUS equal": ({IUS: EQUAL}, 200),
    "IUS garbage": ({IUS: "soon"}, 200),
    "IUS ignored under If-Match": ({IM: "*", IUS: OLDER}, 200),
    "IUS older before INM match": ({IUS: OLDER, INM: ETAG}, 412),
}


@pytest.mark.parametrize(("headers", "expected"), PRECONDITIONS.values(), ids=PRECONDITIONS.keys())
def test_preconditions(headers: dict[str, str], expected: int) -> None:
    assert evaluate_preconditions(environ(headers), ETAG, LAST_MODIFIED, CLOCK) == expected


def test_if_modified_since_in_the_future_is_ignored_against_the_real_clock() -> None:
    tomorrow = http_date(datetime.now(UTC) + timedelta(days=1))
    assert evaluate_preconditions(environ({IMS: tomorrow}), ETAG, LAST_MODIFIED, time.time) == 200


# -- validators and variants -------------------------------------------------------------------
def test_strong_etag_is_a_quoted_strong_hash_of_the_bytes() -> None:
    assert strong_etag(b"a") == strong_etag(b"a")
    assert strong_etag(b"a") != strong_etag(b"b")
    assert strong_etag(b"a").startswith('"') and strong_etag(b"a").endswith('"')
    assert not strong_etag(b"a").startswith("W/")


@pytest.fixture
def representation() -> Representation:
    """A representation with a CORS header, like the embeds."""
    return Representation(BODY, MIMETYPE, LAST_MODIFIED.replace(microsecond=123456), 900, [("X-Extra", "yes")])


DECODE = {"identity": lambda body: body, "gzip": gzip.decompress, "br": brotli.decompress}


def test_variants_decode_to_the_identity_body_and_each_has_its_own_etag(representation: Representation) -> None:
    variants = {coding: representation.variant(coding) for coding in DECODE}
    for coding, variant in variants.items():
        assert DECODE[coding](variant.body) == BODY
        assert variant.etag == strong_etag(variant.body)
    assert len({variant.etag for variant in variants.values()}) == len(variants)
    assert len(variants["gzip"].body) < len(BODY) and len(variants["br"].body) < len(BODY)


def test_compressed_bodies_do_not_depend_on_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    first = Representation(BODY, MIMETYPE, LAST_MODIFIED, 900)
    monkeypatch.setattr(gzip.time, "time", lambda: 2_000_000_000.0)
    second = Representation(BODY, MIMETYPE, LAST_MODIFIED, 900)
    for coding in DECODE:
        assert first.variant(coding).body == second.variant(coding).body
        assert first.variant(coding).etag == second.variant(coding).etag


def headers_of(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header list as a dict, asserting no name repeats."""
    listed = list(headers)
    found = {name: value for name, value in listed}
    assert len(found) == len(listed)
    return found


@pytest.mark.parametrize(("accept_encoding", "coding"), [(None, "identity"), ("gzip", "gzip"), ("br, gzip", "br")])
def test_200_headers(representation: Representation, accept_encoding: str | None, coding: str) -> None:
    request = {} if accept_encoding is None else {"Accept-Encoding": accept_encoding}
    status, headers, body = representation.respond(environ(request), CLOCK)
    found = headers_of(headers)
    assert status == "200 OK"
    assert body == representation.variant(coding).body
    assert found["Content-Length"] == str(len(body))
    assert found.get("Content-Encoding") == (None if coding == "identity" else coding)
    assert found["ETag"] == representation.variant(coding).etag
    assert found["Content-Type"] == MIMETYPE
    # HTTP dates have whole seconds: the microseconds are dropped, not rounded up into the future.
    assert found["Last-Modified"] == http_date(LAST_MODIFIED)
    directives = [d.strip() for d in found["Cache-Control"].split(",")]
    assert directives[:2] == ["public", "max-age=900"]
    assert any(d.startswith("stale-while-revalidate=") for d in directives)
    assert any(d.startswith("stale-if-error=") for d in directives)
    assert not {"no-cache", "no-store", "private"} & set(directives)
    assert "Expires" not in found
    assert found["Vary"] == "Accept-Encoding"
    assert found["X-Content-Type-Options"] == "nosniff"
    assert found["X-Extra"] == "yes"


@pytest.mark.parametrize("accept_encoding", ["identity", "gzip", "br"])
def test_304_headers(representation: Representation, accept_encoding: str) -> None:
    etag = representation.variant(negotiate_coding(accept_encoding)).etag
    request = {"Accept-Encoding": accept_encoding, INM: etag}
    status, headers, body = representation.respond(environ(request), CLOCK)
    ok = headers_of(representation.respond(environ({"Accept-Encoding": accept_encoding}), CLOCK)[1])
    found = headers_of(headers)
    assert (status, body) == ("304 Not Modified", b"")
    # RFC 9110 §15.4.5: what the 200 would carry for caches to update; no representation metadata.
    for name in ("ETag", "Last-Modified", "Cache-Control", "Vary", "X-Extra"):
        assert found[name] == ok[name]
    assert not {"Content-Length", "Content-Type", "Content-Encoding"} & set(found)


def test_each_coding_validates_only_its_own_etag(representation: Representation) -> None:
    identity, compressed = representation.variant("identity").etag, representation.variant("gzip").etag
    assert representation.respond(environ({"Accept-Encoding": "gzip", INM: compressed}), CLOCK)[0].startswith("304")
    assert representation.respond(environ({"Accept-Encoding": "gzip", INM: identity}), CLOCK)[0].startswith("200")
    assert representation.respond(environ({INM: compressed}), CLOCK)[0].startswith("200")


def test_412_is_short_plain_text_with_a_length(representation: Representation) -> None:
    status, headers, body = representation.respond(environ({IM: '"other"'}), CLOCK)
    found = headers_of(headers)
    assert status == "412 Precondition Failed"
    assert found["Content-Type"].startswith("text/plain")
    assert found["Content-Length"] == str(len(body))


def test_responses_do_not_share_header_lists(representation: Representation) -> None:
    first = representation.respond(environ({}), CLOCK)[1]
    first.append(("X-Mutated", "1"))
    assert ("X-Mutated", "1") not in representation.respond(environ({}), CLOCK)[1]


# -- the WSGI fast path ------------------------------------------------------------------------
class Recorder:
    """A start_response that remembers what it was given."""

    def __init__(self) -> None:
        self.status = ""
        self.headers: list[tuple[str, str]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]]) -> None:
        self.status, self.headers = status, headers


def fallback(env: dict[str, Any], start_response: Recorder) -> list[bytes]:
    """The application below the middleware."""
    start_response("404 NOT FOUND", [("Content-Type", "text/plain")])
    return [b"fallback"]


@pytest.fixture
def routes(make_app: Callable[..., Flask]) -> FastPath:
    """The fast path in front of a stand-in application, routing the bundled content."""
    router: Router = make_app().extensions["allforces"]
    return FastPath(fallback, router)


def test_get_and_head(routes: FastPath) -> None:
    get, head = Recorder(), Recorder()
    body = b"".join(routes(environ({}), get))
    assert b"".join(routes(environ({}, "HEAD"), head)) == b""
    assert get.status == head.status == "200 OK"
    assert get.headers == head.headers
    prepared = routes.router.resolve("/feed.xml")
    assert isinstance(prepared, Representation)
    assert body == prepared.body and headers_of(head.headers)["Content-Length"] == str(len(body))


@pytest.mark.parametrize("path", ["/other", "/healthz", "/embed/latest.json"])
def test_what_the_router_does_not_know_goes_to_the_application(routes: FastPath, path: str) -> None:
    recorder = Recorder()
    assert b"".join(routes(environ({}, "GET", path), recorder)) == b"fallback"
    assert recorder.status.startswith("404")


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT"])
def test_other_methods_on_a_routed_path_are_405(routes: FastPath, method: str) -> None:
    recorder = Recorder()
    body = b"".join(routes(environ({}, method, "/tags/ai/feed.xml"), recorder))
    assert recorder.status.startswith("405") and method.encode() in body
    assert headers_of(recorder.headers)["Allow"] == "GET, HEAD, OPTIONS"


def test_options_on_a_routed_path_lists_the_methods(routes: FastPath) -> None:
    recorder = Recorder()
    assert b"".join(routes(environ({}, "OPTIONS", "/feed.xml"), recorder)) == b""
    assert recorder.status.startswith("204") and headers_of(recorder.headers)["Allow"] == "GET, HEAD, OPTIONS"


def test_query_string_does_not_change_the_answer(routes: FastPath) -> None:
    plain, tracked = Recorder(), Recorder()
    body = b"".join(routes(environ({}), plain))
    assert b"".join(routes({**environ({}), "QUERY_STRING": "utm_source=x"}, tracked)) == body
    assert plain.headers == tracked.headers
