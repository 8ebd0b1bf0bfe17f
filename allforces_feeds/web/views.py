"""Thin Flask views for what the router does not answer: errors as plain text, and /healthz."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..render import FORMATS
from .http import Answer, Representation
from .routes import Router

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

bp = Blueprint("feeds", __name__)


def router() -> Router:
    """The application's router."""
    router: Router = current_app.extensions["allforces"]
    return router


class AnswerResponse(Response):
    """A Response sent with the headers the HTTP layer prepared, a 304's Last-Modified included."""

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        """Werkzeug's headers, but a 304 keeps Last-Modified: readers store it as their validator (RFC 9110 §15.4.5)."""
        headers = super().get_wsgi_headers(environ)
        modified = self.headers.get("Last-Modified")
        if self.status_code == 304 and modified is not None:
            headers["Last-Modified"] = modified
        return headers


def response(answer: Answer) -> Response:
    """A Flask response for an answer built by the pure HTTP layer."""
    status, headers, body = answer
    return AnswerResponse(body, status=status, headers=headers)


def serve(representation: Representation) -> Response:
    """A Flask response for a prepared representation, with content coding and preconditions."""
    return response(representation.respond(request.environ, router().clock))


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Every HTTP error as short plain text, not an HTML page."""
    found = Response(
        f"{error.code} {error.name}: {error.description}\n", status=error.code or 500, mimetype="text/plain"
    )
    found.headers["X-Content-Type-Options"] = "nosniff"
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        found.headers["Allow"] = ", ".join(error.valid_methods)
    return found


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness and what is loaded: post and feed counts, problems, and the content fingerprint."""
    found = router()
    snapshot = found.current()
    return jsonify(
        status="ok",
        posts=len(snapshot.posts),
        scheduled=found.catalog.scheduled(found.clock()),
        feeds=len(list(snapshot.all_scopes())) * len(FORMATS),
        problems=len(found.problems),
        fingerprint=found.fingerprint,
    )


def init_app(app: Flask) -> None:
    """Register the views."""
    app.register_blueprint(bp)
