"""`flask feeds check|config|export|reload|ping`: problems, settings in force, feeds as files, a reload, WebSub."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..config import SETTINGS
from ..models import Problem
from ..render import feed_urls
from .export import ExportError
from .export import export as write_export
from .export_servers import netlify_files, nginx_configs
from .hubs import ping as ping_hub
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
@click.option("--percent-encoded", is_flag=True, help="Name files by their percent-encoded URL paths.")
@click.option(
    "--nginx",
    "nginx_folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write allforces-map.conf (http block) and allforces-locations.conf (server block) here.",
)
@click.option("--netlify", is_flag=True, help="Also write _headers and _redirects into FOLDER.")
def export(folder: Path, percent_encoded: bool, nginx_folder: Path | None, netlify: bool) -> None:
    """Write every representation the service serves under FOLDER, with .gz/.br siblings and manifest.json."""
    if nginx_folder is not None and percent_encoded:
        raise click.UsageError("nginx maps request paths to decoded file names: drop --percent-encoded for --nginx")
    try:
        result = write_export(_router(), folder, percent_encoded=percent_encoded)
    except ExportError as error:
        click.echo(f"nothing written: {error}", err=True)
        raise SystemExit(1) from None
    written = [
        *(nginx_configs(result.manifest, nginx_folder) if nginx_folder else []),
        *(netlify_files(result.manifest, folder) if netlify else []),
    ]
    click.echo(
        f"{len(result.manifest['files'])} representations under {folder}: {len(result.written)} files written, "
        f"{result.unchanged} unchanged, {len(result.removed)} removed; {len(result.manifest['redirects'])} redirects"
    )
    for path in written:
        click.echo(f"wrote {path}")


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


@feeds.command("ping")
@click.argument("feeds_changed", nargs=-1, metavar="[URL_OR_PATH]...")
def ping(feeds_changed: tuple[str, ...]) -> None:
    """Tell every hub of ALLFORCES_WEBSUB_HUB that these feeds changed (default: every feed); exit 1 on a failure."""
    router = _router()
    if not router.config.websub_hubs:
        click.echo("no hub: set ALLFORCES_WEBSUB_HUB", err=True)
        raise SystemExit(2)
    urls = [router.urls.public(f) if f.startswith("/") else f for f in feeds_changed] or [
        url for scope in router.current().all_scopes() for url in feed_urls(scope, router.urls).values()
    ]
    failed = 0
    for hub in router.config.websub_hubs:
        for url in urls:
            delivered, _, outcome = ping_hub(hub, url)
            failed += not delivered
            click.echo(f"{hub}: {url}: {outcome}")
    click.echo(f"{len(urls)} feed(s), {len(router.config.websub_hubs)} hub(s), {failed} failure(s)", err=True)
    if failed:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    """Register the `feeds` command group."""
    app.cli.add_command(feeds)
