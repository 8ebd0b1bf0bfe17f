"""One log format for the whole service: time, process, level, logger, message, and the post being worked on.

gunicorn writes "[time] [pid] [LEVEL] message"; the service's own records use the same shape, so that one
log reads as one stream. A record made while a post is rendered names the post's file, traceback included,
even when the message does not (`with post_context(post.source): ...`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# gunicorn's own error log format (glogging.Logger), with the logger's name and the post added.
FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s%(post)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
LOGGER = "allforces_feeds"  # the package's logger, and Flask's app.logger (named after the app)
# The post whose body or feed is being made in this thread or greenlet, if any.
_CURRENT_POST: ContextVar[str | None] = ContextVar("allforces_post", default=None)


class PostFilter(logging.Filter):
    """Adds `post`: " (post _posts/x.md)" while a post is being worked on and the message does not name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Set record.post; never drops a record."""
        source = _CURRENT_POST.get()
        record.post = f" (post {source})" if source and source not in record.getMessage() else ""
        return True


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler to whatever sys.stderr is when a record is written (gunicorn and pytest replace it)."""

    @property
    def stream(self) -> object:
        """The current sys.stderr."""
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        """Ignored: the stream is always the current sys.stderr."""


@contextmanager
def post_context(source: str) -> Iterator[None]:
    """Name this post in every record logged inside the block (contextvars: per thread and per greenlet)."""
    token = _CURRENT_POST.set(source)
    try:
        yield
    finally:
        _CURRENT_POST.reset(token)


def configure(level: int = logging.INFO) -> logging.Handler:
    """Send the service's records to stderr in the one format; idempotent (one handler however often called)."""
    logger = logging.getLogger(LOGGER)
    for handler in logger.handlers:
        if getattr(handler, "allforces", False):
            return handler
    handler = StderrHandler()
    handler.allforces = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    handler.addFilter(PostFilter())
    logger.addHandler(handler)
    # Records still reach the root logger's handlers (pytest's caplog, an operator's own config).
    logger.setLevel(min(level, logger.level or level))
    return handler
