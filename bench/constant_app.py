"""The honest baseline: Flask serving /feed.xml as a constant, with an ETag and make_conditional.

`gunicorn 'bench.constant_app:create_app()'` serves the very bytes (identity and gzip) and ETags the
service would, taken once at startup, so the benchmark compares only the cost of serving them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

import allforces_feeds
from allforces_feeds.web.http import Representation
from allforces_feeds.web.routes import Router

PATH = "/feed.xml"


def create_app() -> Flask:
    """A Flask app with one route that answers a constant body, 304 through Werkzeug's make_conditional."""
    service = allforces_feeds.create_app()
    router: Router = service.extensions["allforces"]
    representation = router.resolve(PATH)
    assert isinstance(representation, Representation), f"the service has no {PATH}"
    constants = {coding: representation.variant(coding) for coding in ("identity", "gzip")}
    mimetype, last_modified = representation.mimetype, representation.last_modified
    cache_control = dict(representation.common)["Cache-Control"]

    app = Flask(__name__)

    @app.get(PATH)
    def feed() -> Any:
        """The constant body in the coding asked for."""
        coding = "gzip" if "gzip" in request.headers.get("Accept-Encoding", "") else "identity"
        variant = constants[coding]
        response = Response(variant.body, content_type=mimetype)
        response.set_etag(variant.etag[1:-1])
        response.last_modified = last_modified
        response.headers["Cache-Control"] = cache_control
        response.headers["Vary"] = "Accept-Encoding"
        if coding != "identity":
            response.headers["Content-Encoding"] = coding
        return response.make_conditional(request)

    return app
