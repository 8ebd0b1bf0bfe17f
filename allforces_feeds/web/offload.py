"""Work that must not hold a gevent worker's event loop: run in a native thread, waited for a bounded time.

Under gevent (gunicorn.conf.py) every connection of a worker shares one event loop: a feed whose first build
renders a large post takes the CPU for seconds, and every other request of that worker, /feed.xml included,
would wait behind it. gevent's own thread pool runs it in a native thread instead, sharing the GIL, which
Python hands over every few milliseconds (sys.getswitchinterval). Without gevent (tests, `flask run`, sync
workers) the work runs in the caller, as before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar

Result = TypeVar("Result")


class Pending(Generic[Result]):
    """Work started in a native thread; wait() for its result, for a bounded time."""

    def __init__(self, handle: Any) -> None:
        """Keep gevent's AsyncResult."""
        self._handle = handle

    def wait(self, seconds: float | None) -> Result | None:
        """The result, or None when it is not ready within `seconds` (the work goes on)."""
        import gevent

        try:
            result: Result = self._handle.get(timeout=seconds)
        except gevent.Timeout:
            return None
        return result


def under_gevent() -> bool:
    """Whether this process's threading is gevent's (a gevent worker after its monkey-patching)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def start(work: Callable[[], Result]) -> Pending[Result] | None:
    """Start the work in gevent's thread pool; None without gevent (then the caller runs it)."""
    if not under_gevent():
        return None
    import gevent

    return Pending(gevent.get_hub().threadpool.spawn(work))


def off_the_loop(work: Callable[[], Result]) -> Result:
    """Run the work in a native thread under gevent (the loop keeps serving meanwhile), else here."""
    pending = start(work)
    if pending is None:
        return work()
    result = pending.wait(None)
    assert result is not None
    return result
