"""The web layer: the router, pure RFC 9110 logic, the WSGI fast path, thin Flask views, the CLI."""

from __future__ import annotations

from flask import Flask

from . import cli, embed, openapi, views
from .routes import Router
from .wsgi import FastPath

__all__ = ["Router", "init_app"]


def init_app(app: Flask, router: Router) -> None:
    """Register the router, the Flask views and the CLI, and put the fast path in front of Flask."""
    app.extensions["allforces"] = router
    views.init_app(app)
    embed.init_app(app)
    openapi.init_app(app)
    cli.init_app(app)
    app.wsgi_app = FastPath(app.wsgi_app, router)  # type: ignore[method-assign]
