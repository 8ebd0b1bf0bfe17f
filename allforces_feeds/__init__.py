"""allforces-feeds: the ALLFORCES blog as RSS 2.0, Atom 1.0 and JSON Feed 1.1."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask

from .config import load_config
from .content import load_posts
from .errors import ConfigError
from .http import PreparedRoutes
from .index import Catalog
from .publisher import Publisher


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Load the settings and the content once, and return the WSGI application."""
    app = Flask(__name__)
    try:
        config = load_config(**dict(test_config or {}))
    except ConfigError as error:
        # One clear line naming the setting and the value, not a traceback.
        print(f"allforces-feeds: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    loaded = load_posts(config)
    for problem in loaded.problems:
        app.logger.warning("content problem: %s", problem)
    publisher = Publisher(config, Catalog(loaded.posts), loaded.problems)
    app.extensions["allforces"] = publisher
    # Redirects are ours to build from PUBLIC_URL; Werkzeug would build them from Host.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False

    from . import cli, embed, pages, views

    app.register_blueprint(views.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(embed.bp)
    cli.init_app(app)
    app.wsgi_app = PreparedRoutes(app.wsgi_app, publisher.lookup)  # type: ignore[method-assign]
    return app
