"""`flask feeds check|config|export|reload`: problems, the settings in force, feeds as files, a reload."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from urllib.parse import unquote

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..config import SETTINGS
from ..models import Problem
from ..render import FORMATS
from .reload import EXTENSION, pid_file
from .routes import Router

feeds = AppGroup("feeds", help="Check the content, export the feeds, reload the running server.")


def _router() -> Router:
    """The application's router."""
    router: Router = current_app.extensions["allforces"]
    return router


@feeds.command("check")
def check() -> None:
    """Print every content problem (file, field, reason), rendering every post and document; exit 1 on one."""
    router = _router()
    problems = [*router.problems, *router.catalog.collisions()]
    for problem in problems:
        click.echo(str(problem))
    # Bodies are made on first use when serving: here every one is, so Liquid's problems show too.
    for post in router.catalog.posts:
        router.body(post)
        for line, reason in router.body_cache.problems.get(post.source, ()):
            problems.append(Problem(post.source, f"line {line}", f"Liquid: {reason}; left out"))
            click.echo(str(problems[-1]))
    # And every document of the snapshot is built, by every renderer: a failure is a problem too.
    for path in list(router.state().routes):
        router.resolve(path)
    for path, reason in sorted(router.failures.items()):
        problems.append(Problem(str(path), "render", reason))
        click.echo(str(problems[-1]))
    unreadable = current_app.extensions[EXTENSION].unreadable
    if unreadable:
        click.echo(f"content: {unreadable}")
        raise SystemExit(1)
    snapshot = router.current()
    click.echo(
        f"{len(router.catalog.posts)} posts loaded ({len(snapshot.posts)} published), {len(problems)} problem(s)",
        err=True,
    )
    if problems:
        raise SystemExit(1)


@feeds.command("config")
def config() -> None:
    """Print every setting in force and where it came from: the environment, the site's config, or the default."""
    router = _router()
    values = router.config.as_dict()
    for setting in SETTINGS:
        value = values.get(setting.name.lower(), setting.default)
        source = router.config.sources.get(setting.name, "default")
        click.echo(f"ALLFORCES_{setting.name}={value}  ({source})")


@feeds.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export(folder: Path) -> None:
    """Write every feed in every format under FOLDER, at its URL path."""
    router = _router()
    count = 0
    for scope in router.current().all_scopes():
        for fmt in FORMATS.values():
            # Files are named as a web server maps a request path to a file: decoded.
            target = folder / unquote(router.urls.feed_path(scope.kind, scope.slug, fmt.file)).lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(router.feed_body(scope, fmt))
            count += 1
    click.echo(f"wrote {count} feeds under {folder}")


@feeds.command("reload")
@click.option("--pidfile", type=click.Path(dir_okay=False, path_type=Path), help="The master's pid file.")
def reload(pidfile: Path | None) -> None:
    """Tell the running gunicorn master to load the changed content (SIGHUP); its pid is in the pid file."""
    path = pidfile or pid_file()
    try:
        pid = int(path.read_text().strip())
        # SIGHUP: gunicorn's on_reload hook loads the changes, then fresh workers fork (web/reload.py).
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as error:
        click.echo(f"no running server found through {path}: {error}", err=True)
        raise SystemExit(1) from None
    click.echo(f"asked the server (pid {pid}) to reload its content")


def init_app(app: Flask) -> None:
    """Register the `feeds` command group."""
    app.cli.add_command(feeds)
