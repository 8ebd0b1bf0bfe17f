"""`flask feeds check` and `flask feeds export`: the content's problems, and every feed as files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .publisher import Publisher
from .urls import FORMAT_FILES

feeds = AppGroup("feeds", help="Check the content and export the feeds.")


def _publisher() -> Publisher:
    return current_app.extensions["allforces"]


@feeds.command("check")
def check() -> None:
    """Print every content problem (file, field, reason); exit 1 if there is one."""
    pub = _publisher()
    problems = [*pub.problems, *pub.catalog.collisions()]
    for problem in problems:
        click.echo(str(problem))
    snapshot = pub.current()
    click.echo(
        f"{len(pub.catalog.posts)} posts loaded ({len(snapshot.posts)} published), {len(problems)} problem(s)",
        err=True,
    )
    if problems:
        raise SystemExit(1)


@feeds.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export(folder: Path) -> None:
    """Write every feed in every format under FOLDER, at its URL path."""
    pub = _publisher()
    count = 0
    for feed in pub.current().feeds(pub.config.feed_limit, pub.config.site_title):
        for fmt in FORMAT_FILES:
            # Files are named as a web server maps a request path to a file: decoded.
            target = folder / unquote(pub.urls.feed_path(feed.kind, feed.slug, fmt)).lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(pub.feed_body(feed, fmt))
            count += 1
    click.echo(f"wrote {count} feeds under {folder}")


def init_app(app: Flask) -> None:
    """Register the `feeds` command group."""
    app.cli.add_command(feeds)
