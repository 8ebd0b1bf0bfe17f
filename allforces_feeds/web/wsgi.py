"""The fast path: WSGI middleware that answers every path the router knows, below Flask."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .http import Answer, plain_text
from .routes import Router

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
ALLOW = ("Allow", "GET, HEAD, OPTIONS")
# The requests this process is answering now, oldest first: what a worker stuck past gunicorn's timeout was
# doing, so that the log names the request instead of gunicorn's "Perhaps out of memory?".
IN_FLIGHT: dict[int, str] = {}


class FastPath:
    """GET and HEAD of a routed path are answered here; Flask gets only what the router does not know."""

    def __init__(self, app: WSGIApplication, router: Router) -> None:
        """Wrap the Flask application with the router in front."""
        self.app = app
        self.router = router

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve what the router resolves, or hand the request to the Flask application."""
        key = id(environ)
        query = environ.get("QUERY_STRING")
        IN_FLIGHT[key] = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}{'?' + query if query else ''}"
        try:
            return self._answer(environ, start_response)
        finally:
            IN_FLIGHT.pop(key, None)

    def _answer(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The answer itself: prepared, 301/404/405, or Flask's."""
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


def worker_abort(worker: Any) -> None:
    """gunicorn's hook when the master aborts a worker stuck past `timeout`: log what it was answering."""
    stuck = ", ".join(IN_FLIGHT.values()) or "no request (stuck outside a request)"
    worker.log.critical("worker %s timed out after %s s while answering: %s", worker.pid, worker.cfg.timeout, stuck)
