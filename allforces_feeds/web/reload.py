"""Live content (issue 11): reload CONTENT_DIR on a change or on SIGHUP, and switch to it in one step.

Under gunicorn with preload_app (`make run`, the Procfile) the master holds the content and the workers fork
from it. A watcher thread in the master turns a change under CONTENT_DIR into a SIGHUP to the master; on any
SIGHUP, gunicorn calls on_reload() below in the master's main thread, which loads the changed files and swaps
the router's content; gunicorn then forks new workers from the master and stops the old ones gracefully (they
finish the requests they hold). The listening socket stays open throughout, so no connection is refused, and
every worker serves one load for its whole life, so no response mixes two. `flask feeds reload` sends the
SIGHUP to the master whose pid on_starting() wrote to the pid file (pid_file() says where).
Without gunicorn (`flask run`, tests), start_watching() reloads in the process itself.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Config, load_config
from ..errors import ConfigError
from ..index import Catalog
from ..load.loader import ContentUnreadable, Loaded, Loader
from ..sealed import write_atomic
from .hubs import Hubs
from .routes import Router
from .websub import Publisher

log = logging.getLogger(__name__)
# watchfiles groups the events of a burst (a `git pull` of 300 files, an rsync) into one: it waits until no
# event came for STEP_MS, and never longer than DEBOUNCE_MS. Polling (network and container file systems
# without inotify) looks every POLL_MS.
STEP_MS = 100
DEBOUNCE_MS = 1000
POLL_MS = 300
# While CONTENT_DIR cannot be read, it is tried again this often (ms).
RETRY_MS = 5000
EXTENSION = "allforces_reloader"


@dataclass(frozen=True)
class Outcome:
    """What one reload did: when, how long (wall and CPU), how many files it read, and how it ended."""

    at: float
    seconds: float
    cpu_seconds: float
    files_read: int
    ok: bool
    reason: str

    def as_json(self) -> dict[str, Any]:
        """The outcome as /healthz shows it."""
        return {
            "at": datetime.fromtimestamp(self.at, UTC).isoformat(timespec="seconds"),
            "duration_ms": round(self.seconds * 1000, 1),
            "cpu_ms": round(self.cpu_seconds * 1000, 1),
            "files_read": self.files_read,
            "outcome": "ok" if self.ok else "failed",
            "reason": self.reason,
        }


class Reloader:
    """Loads CONTENT_DIR into the router, first at startup and again on each change; keeps the last good load."""

    def __init__(self, config: Config, clock: Callable[[], float], overrides: Mapping[str, Any] | None = None) -> None:
        """Load the content once (an unreadable CONTENT_DIR starts empty and reported)."""
        self.config = config
        self.clock = clock
        self.overrides = dict(overrides or {})
        # Why the settings read now (the site's _config.yml) differ from those in force, or None.
        self.restart_needed: str | None = None
        self.loader = Loader(config)
        self.reloads = 0
        self.last: Outcome | None = None
        # Why the content cannot be read now, or None: the last good load is served meanwhile.
        self.unreadable: str | None = None
        self._lock = threading.Lock()
        self.router = Router(config, Catalog((), config.site_title), [], clock)
        loaded = self._load()
        self.router.swap(Catalog(loaded.posts, config.site_title), loaded.problems)
        # With preload_app this runs in the gunicorn master: every worker inherits the snapshot and its routes.
        self.router.state()
        # WebSub: announced from where reloads run (the gunicorn master), once per change (web/websub.py).
        self.publisher = Publisher(self.router, Hubs(config.websub_hubs)) if config.websub_hubs else None

    def _load(self) -> Loaded:
        """One load as of now; an unreadable CONTENT_DIR gives no posts and is remembered."""
        try:
            loaded = self.loader.load(datetime.fromtimestamp(self.clock(), UTC))
        except ContentUnreadable as error:
            self.unreadable = str(error)
            log.error("content cannot be read: %s", error)
            return Loaded()
        self.unreadable = None
        for problem in loaded.problems:
            log.warning("content problem: %s", problem)
        return loaded

    def reload(self) -> Outcome:
        """Load what changed and switch the router to it in one step; on failure keep serving the last good load."""
        with self._lock:
            started, cpu = time.perf_counter(), time.process_time()
            ok, reason = True, ""
            try:
                loaded = self.loader.load(datetime.fromtimestamp(self.clock(), UTC))
            except ContentUnreadable as error:
                ok, reason = False, str(error)
                self.unreadable = reason
            except Exception as error:  # a bug while loading must never take the served content down
                ok, reason = False, f"{type(error).__name__}: {error}"
                log.exception("reload failed")
            else:
                self.unreadable = None
                self.router.swap(Catalog(loaded.posts, self.config.site_title), loaded.problems)
                # Built here once, so that the workers forked next inherit it instead of each building it.
                self.router.state()
                if self.publisher is not None:
                    self.publisher.publish()
                for problem in loaded.problems:
                    log.warning("content problem: %s", problem)
            self._check_settings()
            self.reloads += 1
            outcome = Outcome(
                time.time(), time.perf_counter() - started, time.process_time() - cpu, self.loader.read, ok, reason
            )
            self.last = outcome
        level = logging.INFO if ok else logging.ERROR
        log.log(level, "reload %d: %s", self.reloads, outcome.as_json())
        return outcome

    def _check_settings(self) -> None:
        """Note when _config.yml now gives other settings: they shape every URL and body, and apply at a restart."""
        try:
            changed = load_config(**self.overrides) != self.config
            reason = "the settings (_config.yml) changed; restart the service to apply them"
        except ConfigError as error:
            changed, reason = True, f"the settings (_config.yml) are invalid now: {error}"
        if changed and reason != self.restart_needed:
            log.warning("%s", reason)
        self.restart_needed = reason if changed else None

    def start_schedule(self, due: Callable[[], object] | None = None) -> threading.Event:
        """With WebSub: call `due` (default: reload here) when a scheduled post's time comes, so hubs learn of it."""
        stop = threading.Event()

        def wait() -> None:
            """Sleep until the next post's publication instant (at most a minute at a time), then call `due`."""
            while not stop.is_set():
                upcoming = self.router.catalog.next_after(self.clock())
                pause = 60.0 if upcoming is None else min(60.0, max(0.0, upcoming - self.clock()) + 0.5)
                if stop.wait(pause):
                    return
                if upcoming is not None and self.clock() >= upcoming:
                    (due or self.reload)()

        if self.publisher is not None:
            threading.Thread(target=wait, name="schedule", daemon=True).start()
        return stop

    def start_watching(self, changed: Callable[[], object] | None = None) -> threading.Event:
        """Watch CONTENT_DIR in a daemon thread; each burst of changes calls `changed` (default: reload here)."""
        stop = threading.Event()
        thread = threading.Thread(
            target=watch,
            args=(self.config.content_dir, changed or self.reload, stop, lambda: self.unreadable is not None),
            name="content-watcher",
        )
        thread.daemon = True
        thread.start()
        return stop


def watch(folder: Path, changed: Callable[[], object], stop: threading.Event, failing: Callable[[], bool]) -> None:
    """Call `changed` after each burst of changes below folder until `stop` is set; inotify, else polling.

    While `failing()` (the content could not be read), `changed` is called every RETRY_MS too, and the watch
    starts afresh: a volume mounted again is a new folder, which the old inotify watch does not see.
    """
    try:
        import watchfiles
    except ImportError:
        log.error("watchfiles is not installed (requirements.txt): changes are loaded on SIGHUP only")
        return
    polling: bool | None = None  # watchfiles decides: inotify, or polling where WATCHFILES_FORCE_POLLING is set
    while not stop.is_set():
        try:
            for changes in watchfiles.watch(
                folder,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=stop,
                rust_timeout=RETRY_MS,
                yield_on_timeout=True,
                force_polling=polling,
                poll_delay_ms=POLL_MS,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                if changes or failing():
                    changed()
                if not changes and failing():
                    break
        except Exception as error:  # no inotify (limit reached, a file system without events), or the folder is gone
            log.warning("watching %s: %s; polling instead", folder, error)
            polling = True
            if stop.wait(RETRY_MS / 1000):
                return
            changed()


# -- gunicorn (gunicorn.conf.py names these hooks) ------------------------------------------------------------
def pid_file(environ: dict[str, str] | None = None) -> Path:
    """Where the master's pid is kept: GUNICORN_PIDFILE, else CACHE_DIR/gunicorn.pid, else the temp folder."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get("GUNICORN_PIDFILE"):
        return Path(environ["GUNICORN_PIDFILE"])
    cache = environ.get("ALLFORCES_CACHE_DIR", ".cache")
    return Path(cache) / "gunicorn.pid" if cache else Path(f"/tmp/allforces-feeds-{os.getuid()}.pid")


def _reloader(server: Any) -> Reloader | None:
    """The preloaded app's reloader in the gunicorn master (None without preload_app: workers load anew)."""
    app = getattr(server.app, "callable", None)
    extensions = getattr(app, "extensions", {})
    found = extensions.get(EXTENSION)
    return found if isinstance(found, Reloader) else None


def when_ready(server: Any) -> None:
    """gunicorn hook, in the master: record its pid and watch CONTENT_DIR (a change is a SIGHUP to the master)."""
    path = pid_file()
    try:
        write_atomic(path, f"{os.getpid()}\n".encode())
    except OSError as error:
        log.warning("pid file %s cannot be written (%s): `feeds reload` will not find this server", path, error)
    if "gevent" in str(getattr(server.cfg, "worker_class_str", "")):
        _remember_gevent_plugins()
    reloader = _reloader(server)
    if reloader is not None and reloader.publisher is not None:
        # Hubs are told from a child forked now, before any worker; a hub fetches a topic as soon as it is told,
        # so each batch waits until the new workers answer (/healthz on loopback) with the new content.
        reloader.publisher.hubs.start_process(_loopback_url(server), getattr(server, "LISTENERS", []))
    if reloader is not None and os.environ.get("ALLFORCES_WATCH", "on") != "off":
        master = os.getpid()
        # The reload itself runs in the master's main thread (on_reload), never beside a fork.
        reloader.start_watching(lambda: os.kill(master, signal.SIGHUP))
        reloader.start_schedule(lambda: os.kill(master, signal.SIGHUP))


def _loopback_url(server: Any) -> str | None:
    """http://<loopback>:<port> of gunicorn's first TCP listener, or None (a Unix socket)."""
    for listener in getattr(server, "LISTENERS", []):
        address = getattr(listener, "cfg_addr", None)
        if isinstance(address, tuple) and len(address) >= 2:
            host = str(address[0])
            host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
            return f"http://[{host}]:{address[1]}" if ":" in host else f"http://{host}:{address[1]}"
    return None


def on_reload(server: Any) -> None:
    """gunicorn hook on SIGHUP, in the master before new workers fork: load the changes into the content."""
    reloader = _reloader(server)
    if reloader is not None:
        reloader.reload()


def _remember_gevent_plugins() -> None:
    """In the master, look gevent's plugin entry points up once for every worker it will fork.

    monkey.patch_all(), the first thing a gevent worker does, asks importlib.metadata for the plugins of each of
    its 25 events, and each ask reads the metadata of every installed distribution: 0.13-0.44 s of CPU per worker
    measured here, the largest part of the time from a change to its being served. The installed distributions
    do not change under a running server, so one look-up before forking serves every worker.
    """
    import importlib
    from importlib import metadata

    events = importlib.import_module("gevent.events")
    every = metadata.entry_points()
    plugins = {group: tuple(every.select(group=group)) for group in every.groups if group.startswith("gevent")}

    def notify_and_call_entry_points(event: Any) -> None:
        """gevent's own function (gevent/events.py), with the entry points looked up already."""
        events.notify(event)
        for plugin in plugins.get(event.ENTRY_POINT_NAME, ()):
            plugin.load()(event)

    events.__dict__["notify_and_call_entry_points"] = notify_and_call_entry_points


def post_worker_init(worker: Any) -> None:
    """gunicorn hook in each gevent worker: on SIGTERM (a rollover) stop accepting at once.

    gunicorn's gevent worker looks at its `alive` flag once a second, and accepts connections until then: after
    a reload an old worker would go on answering from the previous load for up to a second, beside the new ones.
    """
    if type(worker).__name__ != "GeventWorker":
        return
    import gc
    import importlib

    # Imported by name: gevent is there only under the gevent worker, and ships no type information.
    gevent = importlib.import_module("gevent")
    stream_server = importlib.import_module("gevent.server").StreamServer

    def stop_accepting() -> None:
        """Stop this worker's servers accepting; the socket stays open (a request in hand still asks its name)."""
        for server in [found for found in gc.get_objects() if isinstance(found, stream_server)]:
            server.stop_accepting()

    def handle_exit(signum: int, frame: Any) -> None:
        """gunicorn's graceful exit, and no new connection taken meanwhile."""
        worker.alive = False
        gevent.spawn(stop_accepting)

    signal.signal(signal.SIGTERM, handle_exit)


def on_exit(server: Any) -> None:
    """gunicorn hook, in the master at shutdown: remove the pid file if it is still ours."""
    path = pid_file()
    try:
        if path.read_text().strip() == str(os.getpid()):
            path.unlink()
    except OSError:
        pass
