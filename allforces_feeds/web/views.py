"""Thin Flask views for what the router does not answer: errors as plain text, and /healthz."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..render import FORMATS
from .http import Answer, Representation
from .reload import EXTENSION, Reloader
from .routes import FAILURES_SHOWN, Router

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

bp = Blueprint("feeds", __name__)
# Problems listed on /healthz, at most: a broken corpus must not make the health check a megabyte.
PROBLEMS_SHOWN = 50


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
    # A 503 says when to come back (RFC 9110 §10.2.3).
    for name, value in error.get_headers():
        if name == "Retry-After":
            found.headers[name] = value
    return found


@bp.get("/healthz")
def healthz() -> Response:
    """What is served and how it got there; 503 (the last good content still served) when something is wrong."""
    found = router()
    reloader: Reloader = current_app.extensions[EXTENSION]
    state = found.state()
    content, snapshot = state.content, state.snapshot
    problems = content.problems
    failures = sorted(found.failures.items())
    # A load balancer reads the status code: 503 while the content cannot be read or a document cannot be built.
    status = "unreadable" if reloader.unreadable else "degraded" if failures else "ok"
    answer = jsonify(
        status=status,
        reason=reloader.unreadable or "; ".join(f"{key}: {reason}" for key, reason in failures[:FAILURES_SHOWN]),
        posts=len(snapshot.posts),
        scheduled=content.catalog.scheduled(found.clock()),
        feeds=len(list(snapshot.all_scopes())) * len(FORMATS),
        problems=len(problems),
        problem_list=[{"file": p.source, "field": p.field, "reason": p.reason} for p in problems[:PROBLEMS_SHOWN]],
        failures=[{"path": key, "reason": reason} for key, reason in failures[:FAILURES_SHOWN]],
        fingerprint=content.fingerprint,
        loaded_at=datetime.fromtimestamp(content.loaded_at, UTC).isoformat(timespec="seconds"),
        reloads=reloader.reloads,
        last_reload=reloader.last.as_json() if reloader.last else None,
        restart_needed=reloader.restart_needed,
        # WebSub (web/hubs.py): per hub, what was sent, the last ping and the last error.
        websub=reloader.publisher.hubs.status() if reloader.publisher else None,
        pid=os.getpid(),
    )
    answer.status_code = 200 if status == "ok" else 503
    answer.headers["Cache-Control"] = "no-store"
    return answer


def init_app(app: Flask) -> None:
    """Register the views."""
    app.register_blueprint(bp)
