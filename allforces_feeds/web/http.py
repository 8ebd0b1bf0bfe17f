"""Prepared representations and conditional responses (RFC 9110 §8.8, §13, §15.4.5), I/O-free.

A request for a feed is a lookup of a Representation prepared once: its bodies per content
coding, each with its own strong ETag, and the header lists of its 200 and 304 responses.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import brotli
from werkzeug.http import parse_accept_header, parse_date, parse_etags, quote_etag
from werkzeug.sansio.http import is_resource_modified

from ..dates import http_date

CODINGS = ("br", "gzip", "identity")
# Suffixes that compressing proxies add inside our ETags and clients echo back in If-None-Match:
# Apache mod_deflate "-gzip", mod_brotli "-br", Jetty "--gzip"/"--br".
PROXY_ETAG_SUFFIXES = ("--gzip", "--br", "-gzip", "-br", ";gzip")
BROTLI_QUALITY = 9
Environ = Mapping[str, Any]
StartResponse = Callable[..., Any]
Clock = Callable[[], float]
# A whole answer that is not a prepared representation: status line, headers, body.
Answer = tuple[str, list[tuple[str, str]], bytes]


def strong_etag(body: bytes) -> str:
    """A strong ETag from the bytes alone, so every worker, restart and replica agrees."""
    return quote_etag(hashlib.sha256(body).hexdigest()[:32])


def _encode(body: bytes, coding: str) -> bytes:
    """The body in one content coding, the same bytes on every run."""
    # mtime=0: gzip otherwise stamps the time into the header, and so into the ETag.
    if coding == "gzip":
        return gzip.compress(body, compresslevel=9, mtime=0)
    if coding == "br":
        compressed: bytes = brotli.compress(body, quality=BROTLI_QUALITY)
        return compressed
    return body


class Variant:
    """One content coding of a representation: body, ETag, and the headers of its 200 and 304."""

    __slots__ = ("body", "etag", "ok_headers", "not_modified_headers")

    def __init__(self, body: bytes, coding: str, common: list[tuple[str, str]], mimetype: str) -> None:
        self.body = body
        self.etag = strong_etag(body)
        validators = [("ETag", self.etag), *common]
        encoding = [] if coding == "identity" else [("Content-Encoding", coding)]
        self.ok_headers = [
            ("Content-Type", mimetype),
            ("Content-Length", str(len(body))),
            *encoding,
            *validators,
        ]
        # RFC 9110 §15.4.5: a 304 carries the ETag, Cache-Control, Vary (and Date) a 200
        # would; Last-Modified too, or NetNewsWire and rss2email drop their stored validator.
        self.not_modified_headers = validators


class Representation:
    """A prepared resource: identity body now, compressed bodies on first request."""

    def __init__(
        self,
        body: bytes,
        mimetype: str,
        last_modified: datetime,
        max_age: int,
        extra_headers: Iterable[tuple[str, str]] = (),
        cache: str | None = None,
    ) -> None:
        self.mimetype = mimetype
        # HTTP dates have whole seconds (RFC 9110 §5.6.7).
        self.last_modified = last_modified.astimezone(UTC).replace(microsecond=0)
        self.max_age = max_age
        self.extra_headers = tuple(extra_headers)
        self.cache = cache or cache_control(max_age)
        self.common = [
            ("Last-Modified", http_date(self.last_modified)),
            ("Cache-Control", self.cache),
            ("Vary", "Accept-Encoding"),
            ("X-Content-Type-Options", "nosniff"),
            *self.extra_headers,
        ]
        self.variants: dict[str, Variant] = {"identity": Variant(body, "identity", self.common, mimetype)}

    def revised(self, last_modified: datetime | None = None, cache: str | None = None) -> Representation:
        """The same bytes with another Last-Modified or Cache-Control."""
        return Representation(
            self.body,
            self.mimetype,
            last_modified or self.last_modified,
            self.max_age,
            self.extra_headers,
            cache or self.cache,
        )

    @property
    def body(self) -> bytes:
        """The identity body."""
        return self.variants["identity"].body

    def variant(self, coding: str) -> Variant:
        """The variant for one content coding, compressed on first use."""
        found = self.variants.get(coding)
        if found is None:
            found = self.variants[coding] = Variant(_encode(self.body, coding), coding, self.common, self.mimetype)
        return found

    def respond(self, environ: Environ, clock: Clock) -> Answer:
        """Status, headers and body for a GET or HEAD, with content coding and preconditions."""
        variant = self.variant(negotiate_coding(environ.get("HTTP_ACCEPT_ENCODING")))
        status = evaluate_preconditions(environ, variant.etag, self.last_modified, clock)
        if status == 200:
            return "200 OK", list(variant.ok_headers), variant.body
        if status == 304:
            return "304 Not Modified", list(variant.not_modified_headers), b""
        return plain_text(
            "412 Precondition Failed", "412 Precondition Failed: If-Match or If-Unmodified-Since is false"
        )


def cache_control(max_age: int) -> str:
    """public, max-age, and the RFC 5861 extensions that let caches ride out a restart."""
    return f"public, max-age={max_age}, stale-while-revalidate={max_age}, stale-if-error=86400"


# A full archive page never changes (RFC 5005 §4): a year, the longest RFC 9111 §5.2.2.1 advises, and
# RFC 8246's immutable, so that browsers do not revalidate it on reload either.
IMMUTABLE = "public, max-age=31536000, immutable"


_coding_memo: dict[str | None, str] = {}


def negotiate_coding(accept_encoding: str | None) -> str:
    """br, then gzip, then identity, by the client's Accept-Encoding qualities (RFC 9110 §12.5.3)."""
    found = _coding_memo.get(accept_encoding)
    if found is None:
        found = _best_coding(accept_encoding)
        # Bounded: the header is client input, and a handful of spellings covers real clients.
        if len(_coding_memo) < 512:
            _coding_memo[accept_encoding] = found
    return found


def _best_coding(accept_encoding: str | None) -> str:
    """The negotiation behind negotiate_coding, without the memo."""
    listed: dict[str, float] = {}
    for value, quality in parse_accept_header(accept_encoding or ""):
        name = value.lower()
        listed[name] = max(quality, listed.get(name, 0))
    # §12.5.3: "*" matches any coding not explicitly listed, so a "gzip;q=0" beats a "*";
    # §8.4.1.3: a recipient ought to treat "x-gzip" as equivalent to "gzip".
    star = listed.get("*", 0)
    gzip_aliases = [listed[name] for name in ("gzip", "x-gzip") if name in listed]
    qualities = {"br": listed.get("br", star), "gzip": max(gzip_aliases) if gzip_aliases else star}
    best = max(("br", "gzip"), key=lambda coding: qualities[coding])  # br on a tie: it is smaller
    # Identity is acceptable unless excluded (§12.5.3), and we serve it even then rather than a 406.
    return best if qualities[best] > 0 else "identity"


def none_match(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match value matches the ETag by weak comparison (RFC 9110 §13.1.2)."""
    # Werkzeug's ETags does the parsing, "*" and the weak comparison (§8.8.3.2), leniently:
    # a malformed member is skipped. A tag a compressing proxy suffixed ("x-gzip") still names
    # our "x": its bytes are ours, coded on the way, so it matches too.
    tags = parse_etags(if_none_match)
    opaque = etag[1:-1]
    return tags.contains_weak(opaque) or any(tags.contains_weak(opaque + s) for s in PROXY_ETAG_SUFFIXES)


def evaluate_preconditions(environ: Environ, etag: str, last_modified: datetime, clock: Clock) -> int:
    """200, 304 or 412 for a GET or HEAD, in the order of RFC 9110 §13.2.2."""
    if_match = environ.get("HTTP_IF_MATCH")
    if if_match is not None:
        # Step 1, §13.1.1: If-Match uses the strong comparison; false means 412.
        if not parse_etags(if_match).contains(etag[1:-1]):
            return 412
    else:
        # Step 2, §13.1.4: only without If-Match; an unparsable date is ignored.
        unmodified_since = environ.get("HTTP_IF_UNMODIFIED_SINCE")
        if unmodified_since is not None:
            moment = parse_date(unmodified_since)
            if moment is not None and last_modified > moment:
                return 412
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        # Step 3, §13.1.2: when If-None-Match is present, If-Modified-Since is not evaluated.
        return 304 if none_match(if_none_match, etag) else 200
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since is None:
        return 200
    # Step 4, §13.1.3: a date that is unparsable, or later than the server's clock, is ignored.
    moment = parse_date(if_modified_since)
    if moment is None or moment.timestamp() > clock():
        return 200
    modified = is_resource_modified(http_if_modified_since=if_modified_since, last_modified=last_modified)
    return 200 if modified else 304


def plain_text(status: str, message: str, *headers: tuple[str, str]) -> Answer:
    """A short plain-text answer (errors, redirects): never an HTML page."""
    body = (message.rstrip("\n") + "\n").encode("utf-8")
    common = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("X-Content-Type-Options", "nosniff"),
    ]
    return status, [*common, *headers], body


def moved(location: str) -> Answer:
    """A permanent redirect (RFC 9110 §15.4.2) to an absolute URL built from PUBLIC_URL, in one hop."""
    return plain_text("301 Moved Permanently", f"moved to {location}", *REDIRECT_HEADERS, ("Location", location))


REDIRECT_HEADERS = (("Cache-Control", "public, max-age=86400"),)

# Fetch standard, CORS protocol: "*" lets any page read the embeds; ETag and Last-Modified are
# not CORS-safelisted response headers, so a script sees them only when they are exposed.
CORS_HEADERS: tuple[tuple[str, str], ...] = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Last-Modified"),
)
# Pages isolated with Cross-Origin-Embedder-Policy: require-corp load only resources that opt in.
CORP_HEADER = ("Cross-Origin-Resource-Policy", "cross-origin")
