"""gunicorn settings for `make run` and the Procfile; each can be overridden by GUNICORN_* variables."""

from __future__ import annotations

import os


def _setting(name: str, default: str) -> str:
    """The value of GUNICORN_<NAME>, or the default when it is unset."""
    return os.environ.get(f"GUNICORN_{name}", default)


def _number(name: str, default: int) -> int:
    """An integer setting from GUNICORN_<NAME>, or the default when it is unset."""
    return int(_setting(name, str(default)))


bind = _setting("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = _number("WORKERS", 2)
# gevent, not sync (issue 12): nothing stands in front of the service, and a sync worker reading the headers of a
# client that trickles them is lost to everyone else until `timeout` kills it, so two slow clients took /feed.xml
# down to 23 %. A gevent worker holds each connection in a greenlet, up to worker_connections of them, and gives
# up on headers that are not complete after `keepalive` seconds (below). `python -m bench.slow_clients` measures it.
worker_class = _setting("WORKER_CLASS", "gevent")
worker_connections = _number("WORKER_CONNECTIONS", 1000)
# Only used by gthread (the bench compares it); gevent and sync ignore it.
threads = _number("THREADS", 1)
# Load the content once in the master; the workers share its memory (copy-on-write). gevent patches the standard
# library in each worker after the fork; the locks the app made in the master stay real locks, which is safe
# because the app never waits for I/O while it holds one.
preload_app = True
# The gevent worker wraps the reading of every request's line and headers, the first one on a connection included,
# in a gevent.Timeout of `keepalive` seconds, and closes the connection when it fires: this is the header timeout,
# and also how long an idle keep-alive connection is kept. 2 s (gunicorn's default) is ample for headers, which come
# in one packet right after the connection, and lets a slow client hold a slot of worker_connections for 2 s at most.
keepalive = _number("KEEPALIVE", 2)
if worker_class == "gevent" and keepalive < 1:
    # keepalive 0 would turn the header timeout off and let slow clients hold connections forever.
    raise SystemExit("gunicorn.conf.py: GUNICORN_KEEPALIVE must be at least 1 with gevent (it is the header timeout)")
# A worker whose event loop has not come round for this long is stuck (a CPU-bound request) and is restarted.
timeout = _number("TIMEOUT", 30)
# Feeds are prepared in memory and answered in milliseconds; 10 s on a restart is ample for the slowest reader.
graceful_timeout = _number("GRACEFUL_TIMEOUT", 10)
# The longest route is under 100 bytes percent-encoded; 2048 leaves room for embed queries and tracking parameters.
limit_request_line = _number("LIMIT_REQUEST_LINE", 2048)
# Browsers and feed readers send about 20 fields; fewer allowed fields bound the headers buffered per connection.
limit_request_fields = _number("LIMIT_REQUEST_FIELDS", 50)
# Kept at gunicorn's default: a Cookie header set for the parent domain can be long.
limit_request_field_size = _number("LIMIT_REQUEST_FIELD_SIZE", 8190)
# Off: the app's memory is bounded by design (prepared representations and the render cache have caps), and a
# restarted worker would have to prepare every feed again.
max_requests = _number("MAX_REQUESTS", 0)
max_requests_jitter = _number("MAX_REQUESTS_JITTER", 0)
# Access log on stdout by default; GUNICORN_ACCESSLOG names another file, or is empty or "off" to turn it off.
_accesslog = _setting("ACCESSLOG", "-")
accesslog = None if _accesslog.strip().lower() in ("", "off") else _accesslog
# Live content (issue 11; allforces_feeds/web/reload.py). when_ready: the master writes its pid to
# GUNICORN_PIDFILE (default $ALLFORCES_CACHE_DIR/gunicorn.pid) for `flask feeds reload`, and watches CONTENT_DIR,
# turning each burst of changes into a SIGHUP to itself. on_reload, on every SIGHUP (the watcher's, `kill -HUP`,
# `feeds reload`): the master loads the changed files into the preloaded app before gunicorn forks fresh workers
# from it and stops the old ones gracefully. post_worker_init: an old gevent worker stops accepting at once.
# Not gunicorn's own `pidfile`: it refuses to start a server whose pid file names a live one.
from allforces_feeds.web.reload import on_exit, on_reload, post_worker_init, when_ready  # noqa: E402,F401

# worker_abort: a worker stuck past `timeout` logs the request it was answering (web/wsgi.py).
from allforces_feeds.web.wsgi import worker_abort  # noqa: E402,F401
