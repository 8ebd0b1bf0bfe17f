"""The fast path: WSGI middleware that answers every path the router knows, below Flask."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .http import Answer, plain_text
from .routes import Router

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
ALLOW = ("Allow", "GET, HEAD, OPTIONS")


class FastPath:
    """GET and HEAD of a routed path are answered here; Flask gets only what the router does not know."""

    def __init__(self, app: WSGIApplication, router: Router) -> None:
        """Wrap the Flask application with the router in front."""
        self.app = app
        self.router = router

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve what the router resolves, or hand the request to the Flask application."""
        found = self.router.resolve(environ.get("PATH_INFO", ""))
        if found is None:
            return self.app(environ, start_response)
        method = environ["REQUEST_METHOD"]
        answer: Answer
        if method == "GET" or method == "HEAD":
            answer = found if isinstance(found, tuple) else found.respond(environ, self.router.clock)
        elif method == "OPTIONS":
            answer = ("204 No Content", [ALLOW], b"")
        else:
            answer = plain_text("405 Method Not Allowed", f"405 Method Not Allowed: {method} is not served here", ALLOW)
        status, headers, body = answer
        start_response(status, headers)
        return [] if method == "HEAD" else [body]
