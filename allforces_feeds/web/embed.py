"""Embedding: /embed/latest.json (CORS), /embed/latest.html (iframe), /embed.js (CONTRACT.md, Embedding).

All three answer the same query, ?limit=N&tag=<slug>&category=<slug>&author=<slug>. A query
is normalized first (canonical slugs, filters in a fixed order, unknown parameters dropped),
and each normalized query is rendered once per snapshot through Publisher.prepared: the
same query spelled differently gets the same bytes, and so the same ETag.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from flask import Blueprint, Response, request
from markupsafe import Markup

from .config import Config
from .dates import japanese_date, rfc3339
from .http import Representation
from .index import Snapshot
from .models import Post
from .publisher import Publisher
from .render.html import HTML_MIMETYPE, render_page
from .slugs import slugify
from .urls import Urls
from .views import plain_error, publisher, serve

bp = Blueprint("embed", __name__)

DEFAULT_LIMIT = 5
MAX_LIMIT = 50
# Query parameter -> scope kind, in the order filters are applied and keyed.
FILTERS: dict[str, str] = {"tag": "tags", "category": "categories", "author": "authors"}
JSON_MIMETYPE = "application/json; charset=utf-8"
JS_MIMETYPE = "text/javascript; charset=utf-8"
PREFLIGHT_MAX_AGE = 86400

# Fetch standard, CORS protocol: "*" lets any page read the list; ETag and Last-Modified are
# not CORS-safelisted response headers, so a script sees them only when they are exposed.
CORS_HEADERS: tuple[tuple[str, str], ...] = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Last-Modified"),
)
# Pages isolated with Cross-Origin-Embedder-Policy: require-corp load only resources that opt in.
CORP_HEADER = ("Cross-Origin-Resource-Policy", "cross-origin")

_STYLE = (files("allforces_feeds") / "templates" / "embed" / "latest.css").read_text(encoding="utf-8")
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode("utf-8")).digest()).decode("ascii")
# The iframe page runs no script at all; its one style block is allowed by its hash; it
# may be framed by any site, and its links leave the frame (target="_top").
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; "
    f"style-src 'sha256-{_STYLE_HASH}'; img-src https:; "
    "frame-ancestors *; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Query:
    """A normalized embed query: how many posts, and the (kind, canonical slug) filters, all ANDed."""

    limit: int = DEFAULT_LIMIT
    filters: tuple[tuple[str, str], ...] = ()


class BadQuery(Exception):
    """A query the service cannot answer: the HTTP status and a short plain-text reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def parse_limit(values: Sequence[str]) -> int:
    """The limit parameter: a whole number from 1 to MAX_LIMIT, DEFAULT_LIMIT when absent."""
    if not values:
        return DEFAULT_LIMIT
    expected = f"limit must be a whole number from 1 to {MAX_LIMIT}"
    if len(values) > 1:
        raise BadQuery(400, "limit may be given once")
    value = values[0]
    # ASCII digits only: int() would also take "５", " 5" and "+5". A long run of digits is
    # out of range anyway (and int() refuses very long ones).
    if not (value.isascii() and value.isdigit()) or len(value.lstrip("0")) > 3 or not 1 <= int(value) <= MAX_LIMIT:
        raise BadQuery(400, f"{expected}, got {value[:40]!r}")
    return int(value)


def parse_query(args: Mapping[str, Sequence[str]], snapshot: Snapshot) -> Query:
    """Normalize the query parameters; BadQuery (400 or 404) when one cannot be answered."""
    limit = parse_limit(args.get("limit", ()))
    filters = []
    for name, kind in FILTERS.items():
        values = args.get(name, ())
        if not values:
            continue
        if len(values) > 1:
            raise BadQuery(400, f"{name} may be given once")
        raw = values[0]
        if not raw.strip():
            raise BadQuery(400, f"{name} must not be empty")
        slug = slugify(raw)
        # Any spelling that slugifies to a known slug is that slug (CONTRACT.md, Slugs).
        if not slug or snapshot.scope(kind, slug) is None:
            raise BadQuery(404, f"no {name} {raw[:100]!r}")
        filters.append((kind, slug))
    return Query(limit, tuple(filters))


def select(snapshot: Snapshot, query: Query) -> tuple[Post, ...]:
    """The newest `limit` posts that are in every filtered scope, newest first."""
    posts = snapshot.posts
    for kind, slug in query.filters:
        scope = snapshot.scope(kind, slug)
        members = {post.source for post in scope.posts} if scope is not None else set()
        posts = tuple(post for post in posts if post.source in members)
    return posts[: query.limit]


def describe(snapshot: Snapshot, query: Query, config: Config, urls: Urls) -> tuple[str, str]:
    """The list's title ("ALLFORCES: AI・投資分析") and the blog page it comes from."""
    scopes = [snapshot.scope(kind, slug) for kind, slug in query.filters]
    labels = [scope.label for scope in scopes if scope is not None]
    title = f"{config.site_title}: {'・'.join(labels)}" if labels else config.site_title
    if len(query.filters) == 1:
        return title, urls.blog_page(*query.filters[0])
    return title, urls.home()


def _items(pub: Publisher, posts: tuple[Post, ...]) -> list[dict[str, Any]]:
    """The list's entries as plain data, keys in a fixed order."""
    return [
        {
            "title": post.title,
            "url": post.url,
            "date_published": rfc3339(post.published),
            "summary": pub.rendered(post).summary,
            "tags": list(post.tags),
            "categories": list(post.categories),
            "author": post.author,
            "image": post.image,  # content.py keeps only http(s) images
            "reading_time": post.reading_time,
        }
        for post in posts
    ]


def render_json(title: str, home_url: str, items: list[dict[str, Any]]) -> bytes:
    """The list as compact UTF-8 JSON; <, > and & escaped so the text is inert even if inlined in HTML."""
    text = json.dumps(
        {"title": title, "home_page_url": home_url, "items": items}, ensure_ascii=False, separators=(",", ":")
    )
    # These characters occur only inside JSON strings, where \\u escapes mean the same.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode("utf-8")


def render_html(
    title: str, home_url: str, items: list[dict[str, Any]], dates: list[str], config: Config, urls: Urls
) -> bytes:
    """The list as a small page for an iframe: every value escaped by Jinja2, no script."""
    entries = [
        {
            **item,
            # The CSP allows https images only; an http image would only be blocked.
            "image": item["image"] if item["image"] and item["image"].startswith("https://") else None,
            "date": date,
        }
        for item, date in zip(items, dates, strict=True)
    ]
    return render_page(
        "embed/latest.html",
        language=config.site_language,
        title=title,
        home_url=home_url,
        site_title=config.site_title,
        site_url=urls.home(),
        items=entries,
        style=Markup(_STYLE),  # our own file, hashed into the CSP
    )


def build(pub: Publisher, snapshot: Snapshot, query: Query, fmt: str) -> Representation:
    """The representation of one normalized query in one format ("json" or "html")."""
    posts = select(snapshot, query)
    title, home_url = describe(snapshot, query, pub.config, pub.urls)
    items = _items(pub, posts)
    if fmt == "json":
        body = render_json(title, home_url, items)
        return pub.representation(body, JSON_MIMETYPE, posts, (*CORS_HEADERS, CORP_HEADER))
    dates = [japanese_date(post.published, pub.config.site_timezone) for post in posts]
    body = render_html(title, home_url, items, dates, pub.config, pub.urls)
    headers = (("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("Referrer-Policy", "no-referrer"), CORP_HEADER)
    return pub.representation(body, HTML_MIMETYPE, posts, headers)


def _with_cors(response: Response) -> Response:
    """A response a cross-origin script may read (errors too, so a widget can tell why)."""
    for name, value in CORS_HEADERS:
        response.headers[name] = value
    return response


def preflight() -> Response:
    """The answer to a CORS preflight (OPTIONS): GET and HEAD, with the conditional request headers."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    response.headers["Allow"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
    # Not CORS-safelisted request headers: a script that revalidates itself sends them.
    response.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
    response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


@bp.route("/embed/latest.<any(json,html):fmt>", methods=["GET", "HEAD", "OPTIONS"])
def latest(fmt: str) -> Response:
    """The newest posts, optionally filtered, as JSON (for scripts) or as an HTML page (for iframes)."""
    if request.method == "OPTIONS":
        return preflight()
    pub = publisher()
    args = {name: request.args.getlist(name) for name in ("limit", *FILTERS)}
    try:
        query = parse_query(args, pub.current())
    except BadQuery as error:
        response = plain_error(error.status, error.reason)
        return _with_cors(response) if fmt == "json" else response
    return serve(pub.prepared(("embed", fmt, query), lambda snapshot: build(pub, snapshot, query, fmt)))


def _script(pub: Publisher, snapshot: Snapshot) -> Representation:
    """/embed.js: our static script; its Last-Modified is the content's, like everything served here."""
    body = (files("allforces_feeds") / "static" / "embed.js").read_bytes()
    return pub.representation(body, JS_MIMETYPE, snapshot.posts, (*CORS_HEADERS, CORP_HEADER))


@bp.get("/embed.js")
def script() -> Response:
    """The widget script for <div data-allforces-latest>; it asks the origin it was loaded from."""
    pub = publisher()
    return serve(pub.prepared(("embed.js",), lambda snapshot: _script(pub, snapshot)))
