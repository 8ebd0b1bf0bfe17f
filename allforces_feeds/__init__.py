"""allforces-feeds: the ALLFORCES blog as RSS 2.0, Atom 1.0 and JSON Feed 1.1."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from .config import load_config
from .errors import ConfigError
from .logs import configure as configure_logs


def create_app(test_config: Mapping[str, Any] | None = None, clock: Callable[[], float] = time.time) -> Flask:
    """Load the settings and the content once, and return the WSGI application; `clock` is "now"."""
    configure_logs()
    app = Flask(__name__)
    try:
        config = load_config(**dict(test_config or {}))
    except ConfigError as error:
        # One clear line naming the setting and the value, not a traceback.
        print(f"allforces-feeds: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    from .web import init_app
    from .web.reload import EXTENSION, Reloader

    # The content is loaded here, and again on each change (web/reload.py: a watcher, SIGHUP, `feeds reload`).
    reloader = Reloader(config, clock, test_config)
    # Redirects are ours to build from PUBLIC_URL; Werkzeug would build them from Host.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.extensions[EXTENSION] = reloader
    init_app(app, reloader.router)
    return app
