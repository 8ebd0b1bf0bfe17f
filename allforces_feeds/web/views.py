"""Thin routes: find the prepared representation, or answer 301 to the canonical URL, or 404."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, NotFound

from .http import Representation
from .publisher import Publisher, wsgi_path
from .slugs import slugify
from .urls import FORMAT_FILES

bp = Blueprint("feeds", __name__)
FORMAT_BY_FILE = {name: fmt for fmt, name in FORMAT_FILES.items()}
SCOPE_SINGULAR = {"tags": "tag", "categories": "category", "authors": "author"}


def publisher() -> Publisher:
    """The application's publisher."""
    return current_app.extensions["allforces"]


def serve(representation: Representation) -> Response:
    """A Flask response for a prepared representation (the fast path answers most requests)."""
    status, headers, body = representation.respond(request.environ)
    return Response(body, status=status, headers=headers)


def moved(location: str) -> Response:
    """A permanent redirect to an absolute URL built from PUBLIC_URL, in one hop."""
    response = Response(f"moved to {location}\n", status=301, mimetype="text/plain")
    response.headers["Location"] = location
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def plain_error(status: int, message: str) -> Response:
    """A short plain-text error."""
    response = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Every HTTP error as short plain text, not an HTML page."""
    response = plain_error(error.code or 500, f"{error.code} {error.name}: {error.description}")
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@bp.get("/")
@bp.get("/<any(feed.xml,atom.xml,feed.json,feeds.json,feeds.opml):filename>")
def prepared(filename: str = "") -> Response:
    """The fixed paths: site feeds and discovery (normally answered by the fast path)."""
    found = publisher().lookup(f"/{filename}")
    if found is None:
        raise NotFound()
    return serve(found)


def _unknown(kind: str, raw: str) -> Response:
    return plain_error(404, f"no {SCOPE_SINGULAR[kind]} {raw[:100]!r}")


@bp.get("/<any(tags,categories,authors):kind>/<path:raw>/<any(feed.xml,atom.xml,feed.json):filename>")
def scope_feed(kind: str, raw: str, filename: str) -> Response:
    """A scope's feed; a non-canonical spelling of a known slug is 301 to the canonical URL."""
    return _canonical(kind, raw, lambda slug: publisher().urls.feed_path(kind, slug, FORMAT_BY_FILE[filename]))


@bp.get("/<any(tags,categories,authors):kind>/<path:raw>/")
def scope_page(kind: str, raw: str) -> Response:
    """A scope's human page; /tags/ai (no slash) and other spellings are 301 to /tags/ai/."""
    return _canonical(kind, raw, lambda slug: publisher().urls.scope_path(kind, slug))


def _canonical(kind: str, raw: str, path_of: Callable[[str], str]) -> Response:
    """Serve the canonical path, 301 a non-canonical spelling of a known slug there, 404 the rest."""
    pub = publisher()
    slug = slugify(raw)
    if not slug or pub.current().scope(kind, slug) is None:
        return _unknown(kind, raw)
    path = path_of(slug)
    current = request.environ.get("PATH_INFO", "")
    found = pub.lookup(current) if wsgi_path(path) == current else None
    return serve(found) if found is not None else moved(pub.urls.public(path))


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness and what is loaded: post and feed counts, problems, and the content fingerprint."""
    pub = publisher()
    snapshot = pub.current()
    feeds = snapshot.feeds(pub.config.feed_limit, pub.config.site_title)
    return jsonify(
        status="ok",
        posts=len(snapshot.posts),
        scheduled=len(pub.catalog.posts) - len(snapshot.posts),
        feeds=len(feeds) * len(FORMAT_FILES),
        problems=len(pub.problems),
        fingerprint=pub.fingerprint,
    )
