"""/openapi.json: an OpenAPI 3.1 description of every URL of CONTRACT.md, as the service really answers it.

Statuses are the ones that happen: 200, 304 and 412 from the preconditions of RFC 9110 §13.2.2, 301 for
another spelling of a known slug, 404 for an unknown one or an archive page that does not exist, 400 for a bad
embed parameter; a method not listed is 405 with Allow. Archive pages (RFC 5005 §4) are described per format
and scope kind like the feeds. The document is built once per application from its settings (servers: PUBLIC_URL).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app

from ..models import SCOPE_KINDS
from ..render import FORMATS
from ..render.embed import MAX_LIMIT

bp = Blueprint("openapi", __name__)
OPENAPI_MIMETYPE = "application/json; charset=utf-8"
Json = dict[str, Any]


def _header(description: str, pattern: str | None = None) -> Json:
    """A response header, a string (with a pattern when its form is fixed)."""
    schema: Json = {"type": "string"} if pattern is None else {"type": "string", "pattern": pattern}
    return {"description": description, "schema": schema, "required": True}


# RFC 9110 §8.8.3 (strong ETag), §8.8.2 and §5.6.7 (IMF-fixdate), RFC 9111 §5.2 (Cache-Control), §12.5.5 (Vary).
HEADERS: Json = {
    "ETag": _header("Strong validator from the body's bytes, one per content coding.", r'^"[0-9a-f]+"$'),
    "Last-Modified": _header(
        "The newest shown post's published or updated date.",
        r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} [0-9:]{8} GMT$",
    ),
    "Cache-Control": _header("public, max-age, stale-while-revalidate, stale-if-error.", r"^public, max-age=\d+"),
    "Vary": _header("Bodies differ by content coding.", r"Accept-Encoding"),
}
CORS: Json = {"Access-Control-Allow-Origin": _header("Any site may read embeds.", r"^\*$")}
CONDITIONAL = [
    {"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": what}
    for name, what in (
        ("If-None-Match", "ETags (a list, *, weak or with a proxy's -gzip suffix): 304 when one matches."),
        ("If-Modified-Since", "An HTTP date: 304 when nothing is newer; ignored with If-None-Match."),
        ("If-Match", "ETags: 412 when none matches (RFC 9110 §13.1.1)."),
        ("If-Unmodified-Since", "An HTTP date: 412 when the representation is newer."),
    )
]
TEXT = {"text/plain": {"schema": {"type": "string"}}}
STRING = {"type": "string"}
# gunicorn answers a request line longer than its limit_request_line itself, before the application.
TOO_LONG = {"description": "URI Too Long: the request line is over gunicorn's limit.", "content": {"text/html": {}}}


def _json_object(required: tuple[str, ...], properties: Json) -> Json:
    """A JSON object schema with these required keys (more keys allowed: readers ignore what they do not know)."""
    return {"type": "object", "required": list(required), "properties": properties}


JSON_FEED = _json_object(
    ("version", "title", "items"),
    {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": STRING,
        "items": {"type": "array", "items": _json_object(("id", "url", "title", "content_html"), {"id": STRING})},
    },
)
EMBED_JSON = _json_object(
    ("title", "home_page_url", "items"),
    {
        "items": {
            "type": "array",
            "maxItems": MAX_LIMIT,
            "items": _json_object(
                ("title", "url", "date_published", "summary", "tags", "categories", "author", "reading_time"),
                {"tags": {"type": "array", "items": STRING}, "reading_time": {"type": "integer", "minimum": 1}},
            ),
        }
    },
)
FEEDS_JSON = _json_object(("feeds",), {"feeds": {"type": "array", "items": _json_object(("scope", "urls"), {})}})
HEALTH = _json_object(("status", "posts", "problems"), {"posts": {"type": "integer", "minimum": 0}})


# An archive page's number: 1 is the oldest; canonical decimal only ("03" is a 404).
ARCHIVE_NUMBER: Json = {
    "name": "number",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
    "description": "Archive page, 1 the oldest, up to the newest the subscription feed links as prev-archive.",
}
# RFC 8246: a full archive page does not change; one whose post was edited or deleted is revalidated again.
ARCHIVE_HEADERS: Json = {
    "Cache-Control": _header(
        "A full page: public, max-age=31536000, immutable; a partial or revised page: as a feed.",
        r"^public, max-age=\d+",
    )
}


def _ok(mimetype: str, schema: Json, headers: Json) -> Json:
    """A 200 with its body's media type and schema, and the caching headers."""
    return {"description": "OK", "headers": headers, "content": {mimetype: {"schema": schema}}}


def _representation(
    mimetype: str, schema: Json, summary: str, cors: bool = False, scoped: bool = False, archive: bool = False
) -> Json:
    """GET and HEAD of a prepared representation: 200, 304, 412 (and 301, 404 for a scope or archive path)."""
    headers = {**HEADERS, **(ARCHIVE_HEADERS if archive else {}), **(CORS if cors else {})}
    responses: Json = {
        "200": _ok(mimetype, schema, headers),
        "304": {"description": "Not Modified (RFC 9110 §15.4.5): the validators, no body.", "headers": headers},
        "412": {"description": "Precondition Failed: If-Match or If-Unmodified-Since is false.", "content": TEXT},
    }
    parameters = list(CONDITIONAL)
    if scoped:
        slug = {"type": "string", "minLength": 1}
        parameters.insert(0, {"name": "slug", "in": "path", "required": True, "schema": slug})
        responses["301"] = {
            "description": "Another spelling of a known slug (raw label, case, width, NFD): its canonical URL.",
            "headers": {"Location": _header("The canonical URL, under PUBLIC_URL.", r"^https?://")},
        }
        responses["404"] = {"description": "No such tag, category or author.", "content": TEXT}
    if archive:
        parameters.insert(1 if scoped else 0, ARCHIVE_NUMBER)
        missing = "No such tag, category or author, or no such archive page" if scoped else "No such archive page"
        responses["404"] = {"description": f"{missing} (RFC 5005 §4: 1 to the newest).", "content": TEXT}
    if scoped or archive:
        responses["414"] = TOO_LONG
    get = {"summary": summary, "parameters": parameters, "responses": responses}
    head = {**get, "summary": f"{summary} (headers only)"}
    return {"get": get, "head": head}


def _embed(mimetype: str, schema: Json, summary: str) -> Json:
    """An embed URL: its query parameters, 400 and 404, and the CORS preflight."""
    # The JSON is read by scripts on other sites (CORS); the page is only framed.
    operations = _representation(mimetype, schema, summary, cors=mimetype == "application/json")
    query = [
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 50}},
        *(
            {"name": kind.singular, "in": "query", "required": False, "schema": {"type": "string", "minLength": 1}}
            for kind in SCOPE_KINDS.values()
        ),
    ]
    for method in ("get", "head"):
        operation = operations[method] = {**operations[method], "parameters": [*query, *CONDITIONAL]}
        operation["responses"] = {
            **operation["responses"],
            "400": {"description": "A bad limit, or a parameter given twice or empty.", "content": TEXT},
            "404": {"description": "No such tag, category or author.", "content": TEXT},
            "414": TOO_LONG,
        }
    operations["options"] = {
        "summary": "CORS preflight",
        "responses": {"204": {"description": "GET and HEAD allowed from any origin.", "headers": CORS}},
    }
    return operations


def describe(public_url: str) -> Json:
    """The OpenAPI 3.1 document of the service served at public_url."""
    paths: Json = {
        "/": _representation("text/html", STRING, "Every feed, as a Japanese page"),
        "/feeds.json": _representation("application/json", FEEDS_JSON, "Every feed, as JSON"),
        "/feeds.opml": _representation("text/x-opml", STRING, "Every feed's RSS URL, as OPML 2.0"),
        "/embed.js": _representation("text/javascript", STRING, "The embed widget script", cors=True),
        "/embed/latest.json": _embed("application/json", EMBED_JSON, "The newest posts, for scripts"),
        "/embed/latest.html": _embed("text/html", STRING, "The newest posts, as a page for an iframe"),
        "/healthz": {
            "get": {
                "summary": "What is loaded and served; 503 while the last good content is served",
                "responses": {
                    code: {"description": what, "content": {"application/json": {"schema": HEALTH}}}
                    for code, what in (("200", "Serving"), ("503", "Degraded: serving the last good content"))
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {}}}}},
            }
        },
    }
    for fmt in FORMATS.values():
        schema = JSON_FEED if fmt.name == "json" else STRING
        paths[f"/{fmt.file}"] = _representation(fmt.link_type, schema, f"The whole site as {fmt.label}")
        for kind in SCOPE_KINDS.values():
            summary = f"One {kind.singular} as {fmt.label}"
            paths[f"/{kind.name}/{{slug}}/{fmt.file}"] = _representation(fmt.link_type, schema, summary, scoped=True)
        # RFC 5005 §4 archive documents of every feed, in the same three formats.
        summary = f"One archive page of the whole site's feed as {fmt.label}"
        paths[f"/archive/{{number}}/{fmt.file}"] = _representation(fmt.link_type, schema, summary, archive=True)
        for kind in SCOPE_KINDS.values():
            summary = f"One archive page of a {kind.singular}'s feed as {fmt.label}"
            paths[f"/{kind.name}/{{slug}}/archive/{{number}}/{fmt.file}"] = _representation(
                fmt.link_type, schema, summary, scoped=True, archive=True
            )
    for kind in SCOPE_KINDS.values():
        summary = f"One {kind.singular}'s latest posts and feeds, as a Japanese page"
        paths[f"/{kind.name}/{{slug}}/"] = _representation("text/html", STRING, summary, scoped=True)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "allforces-feeds",
            "version": "1",
            "description": "RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the ALLFORCES blog. Any method not listed is 405.",
        },
        "servers": [{"url": public_url}],
        "paths": dict(sorted(paths.items())),
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document, built once per application."""
    body = current_app.extensions.get("allforces.openapi")
    if body is None:
        public_url = current_app.extensions["allforces"].config.public_url
        body = current_app.extensions["allforces.openapi"] = json.dumps(describe(public_url), ensure_ascii=False)
    answer = Response(body, mimetype="application/json")
    answer.headers["Access-Control-Allow-Origin"] = "*"
    answer.headers["X-Content-Type-Options"] = "nosniff"
    return answer


def init_app(app: Flask) -> None:
    """Register /openapi.json."""
    app.register_blueprint(bp)
