"""`flask feeds check` and `flask feeds export`: the content's problems, and every feed as files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..render import FORMATS
from .routes import Router

feeds = AppGroup("feeds", help="Check the content and export the feeds.")


def _router() -> Router:
    """The application's router."""
    router: Router = current_app.extensions["allforces"]
    return router


@feeds.command("check")
def check() -> None:
    """Print every content problem (file, field, reason); exit 1 if there is one."""
    router = _router()
    problems = [*router.problems, *router.catalog.collisions()]
    for problem in problems:
        click.echo(str(problem))
    snapshot = router.current()
    click.echo(
        f"{len(router.catalog.posts)} posts loaded ({len(snapshot.posts)} published), {len(problems)} problem(s)",
        err=True,
    )
    if problems:
        raise SystemExit(1)


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


def init_app(app: Flask) -> None:
    """Register the `feeds` command group."""
    app.cli.add_command(feeds)
