"""Embedding: /embed/latest.json (CORS) and /embed/latest.html (iframe), a thin blueprint (CONTRACT.md, Embedding).

Both answer ?limit=N&tag=<slug>&category=<slug>&author=<slug>. The query is normalized here (canonical
slugs, filters in table order, unknown parameters dropped) and each normalized query is prepared once per
snapshot by the router: the same query spelled differently gets the same bytes, and so the same ETag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import Blueprint, Flask, Response, request

from ..index import Snapshot
from ..models import SCOPE_KINDS
from ..render.embed import (
    CONTENT_SECURITY_POLICY,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Query,
    describe,
    entries,
    render_html,
    render_json,
    select,
)
from ..render.html import HTML_MIMETYPE
from ..slugs import slugify
from .http import CORP_HEADER, CORS_HEADERS, Representation, plain_text
from .offload import off_the_loop
from .routes import Router
from .views import response, router, serve

bp = Blueprint("embed", __name__)
JSON_MIMETYPE = "application/json; charset=utf-8"
PREFLIGHT_MAX_AGE = 86400
HTML_HEADERS = (("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("Referrer-Policy", "no-referrer"), CORP_HEADER)


class BadQuery(Exception):
    """A query the service cannot answer: the HTTP status line and a short plain-text reason."""

    def __init__(self, status: str, reason: str) -> None:
        """Keep the status line and the reason."""
        super().__init__(reason)
        self.status = status
        self.reason = reason


def parse_limit(values: Sequence[str]) -> int:
    """The limit parameter: a whole number from 1 to MAX_LIMIT, DEFAULT_LIMIT when absent."""
    if not values:
        return DEFAULT_LIMIT
    if len(values) > 1:
        raise BadQuery("400 Bad Request", "limit may be given once")
    value = values[0]
    # ASCII digits only: int() would also take "５", " 5" and "+5". A long run of digits is
    # out of range anyway (and int() refuses very long ones).
    if not (value.isascii() and value.isdigit()) or len(value.lstrip("0")) > 3 or not 1 <= int(value) <= MAX_LIMIT:
        raise BadQuery("400 Bad Request", f"limit must be a whole number from 1 to {MAX_LIMIT}, got {value[:40]!r}")
    return int(value)


def parse_query(args: Mapping[str, Sequence[str]], snapshot: Snapshot) -> Query:
    """Normalize the query parameters; BadQuery (400 or 404) when one cannot be answered."""
    limit = parse_limit(args.get("limit", ()))
    filters = []
    for kind in SCOPE_KINDS.values():
        name = kind.singular
        values = args.get(name, ())
        if not values:
            continue
        if len(values) > 1:
            raise BadQuery("400 Bad Request", f"{name} may be given once")
        raw = values[0]
        if not raw.strip():
            raise BadQuery("400 Bad Request", f"{name} must not be empty")
        slug = slugify(raw)
        # Any spelling that slugifies to a known slug is that slug (CONTRACT.md, Slugs).
        if not slug or snapshot.scope(kind.name, slug) is None:
            raise BadQuery("404 Not Found", f"no {name} {raw[:100]!r}")
        filters.append((kind.name, slug))
    return Query(limit, tuple(filters))


def build(found: Router, snapshot: Snapshot, query: Query, fmt: str) -> Representation:
    """The representation of one normalized query in one format ("json" or "html")."""
    posts = select(snapshot, query)
    title, home_url = describe(snapshot, query, found.config, found.urls)
    items = entries(posts, lambda post: found.body(post).summary)
    if fmt == "json":
        return found.representation(
            render_json(title, home_url, items), JSON_MIMETYPE, posts, (*CORS_HEADERS, CORP_HEADER)
        )
    body = render_html(title, home_url, items, posts, found.config, found.urls)
    return found.representation(body, HTML_MIMETYPE, posts, HTML_HEADERS)


def preflight() -> Response:
    """The answer to a CORS preflight (OPTIONS): GET and HEAD, with the conditional request headers."""
    answer = Response(status=204)
    del answer.headers["Content-Type"]
    answer.headers["Allow"] = "GET, HEAD, OPTIONS"
    answer.headers["Access-Control-Allow-Origin"] = "*"
    answer.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
    # Not CORS-safelisted request headers: a script that revalidates itself sends them.
    answer.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
    answer.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return answer


@bp.route("/embed/latest.<any(json,html):fmt>", methods=["GET", "HEAD", "OPTIONS"])
def latest(fmt: str) -> Response:
    """The newest posts, optionally filtered, as JSON (for scripts) or as an HTML page (for iframes)."""
    if request.method == "OPTIONS":
        return preflight()
    found = router()
    args = {name: request.args.getlist(name) for name in ("limit", *(k.singular for k in SCOPE_KINDS.values()))}
    try:
        query = parse_query(args, found.current())
    except BadQuery as error:
        # Errors are readable cross-origin too, so a widget can tell why.
        cors = CORS_HEADERS if fmt == "json" else ()
        return response(plain_text(error.status, error.reason, *cors))
    key = ("embed", fmt, query)
    return serve(found.prepared(key, lambda snapshot: off_the_loop(lambda: build(found, snapshot, query, fmt))))


def init_app(app: Flask) -> None:
    """Register the embed views."""
    app.register_blueprint(bp)
