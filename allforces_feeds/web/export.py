"""Every representation the router serves, written as files for a static host (issue 14).

Each file holds the bytes the service sends for its path, with `.gz` and `.br` siblings holding the bytes
it sends for those codings. Files are named as a web server maps a request path to a file: the path
percent-decoded to UTF-8 (`tags/投資/feed.xml`), or left percent-encoded for hosts that store names that way.
A file whose bytes did not change is not written again, so its mtime and inode stay. A changed file gets its
representation's Last-Modified as its mtime: a static server sends Last-Modified from the mtime, so it
sends the service's. Every archive page of every feed (RFC 5005 §4) is written too, with its Cache-Control
(a full page's is immutable). `manifest.json` lists each path with its content type, ETags, Last-Modified and
headers, and the 301s of the slug spellings a reader would try; the server configs are made from it.
"""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from ..index import Snapshot
from ..models import SITE
from ..render import FORMATS
from ..render.embed import Query
from . import embed
from .http import Representation
from .paths import wsgi_path
from .routes import Router

MANIFEST = "manifest.json"
# Sibling suffix per content coding: nginx's gzip_static and brotli_static look for these names.
SIBLINGS = {"identity": "", "gzip": ".gz", "br": ".br"}
# Headers a static server sets itself (or from the file); every other header of a 200 goes in the manifest.
OWN_HEADERS = {"content-type", "content-length", "content-encoding", "etag", "last-modified"}
# The embeds' default views (no query): a static host ignores the query string, so it serves these.
EMBEDS = {"/embed/latest.json": "json", "/embed/latest.html": "html"}
# ASCII letters only: nginx's map lowercases its keys and the looked-up value with ngx_strlow (ASCII).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# A spelling with one of these cannot be a map key or a request path that reaches the router unchanged.
_UNSAFE = set('"\\/%?#$') | {chr(c) for c in range(0x20)} | {"\x7f"}


class ExportError(Exception):
    """A representation could not be built: nothing half-made is written."""


@dataclass
class Result:
    """What one export did: the manifest it wrote and which files it (re)wrote or removed."""

    manifest: dict[str, Any]
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    bytes_total: int = 0


def url_path(path_info: str) -> str:
    """The canonical URL path of a route given as PATH_INFO (UTF-8 bytes held as latin-1)."""
    return quote(path_info.encode("latin-1").decode("utf-8"), safe="/")


def file_name(path: str, percent_encoded: bool = False) -> str:
    """The file, relative to the export folder, that a static server maps this URL path to."""
    name = path if percent_encoded else unquote(path)
    return (name + "index.html" if name.endswith("/") else name).lstrip("/")


def archive_paths(router: Router, snapshot: Snapshot) -> list[str]:
    """Every archive page (RFC 5005 §4) of every scope's feed in every format, as PATH_INFO."""
    return [
        wsgi_path(router.urls.archive_path(scope.kind, scope.slug, number, fmt.file))
        for scope in snapshot.all_scopes()
        for number in range(1, router.archive(scope).count + 1)
        for fmt in FORMATS.values()
    ]


def representations(router: Router) -> Iterator[tuple[str, Representation]]:
    """(URL path, representation) for every route and archive page of the current snapshot, and the embeds."""
    state = router.state()
    snapshot = state.snapshot
    # Archive pages are built on request, not routes: resolved as a request for them is, with their Cache-Control.
    for path_info in sorted([*state.routes, *archive_paths(router, snapshot)]):
        found = router.resolve(path_info)
        if not isinstance(found, Representation):
            raise ExportError(f"{url_path(path_info)} cannot be built: {router.failures.get(path_info, found)}")
        yield url_path(path_info), found
    # The same normalized query and cache key the embed view uses, so the same bytes and Last-Modified.
    query = embed.parse_query({}, snapshot)
    for path, fmt in EMBEDS.items():
        yield path, router.prepared(("embed", fmt, query), partial(embed_view, router, query=query, fmt=fmt))


def embed_view(router: Router, snapshot: Snapshot, query: Query, fmt: str) -> Representation:
    """One embed view of a snapshot, built as the embed blueprint builds it."""
    return embed.build(router, snapshot, query, fmt)


def entry(path: str, found: Representation, percent_encoded: bool) -> dict[str, Any]:
    """The manifest entry of one path."""
    ok = found.variant("identity").ok_headers
    return {
        "path": path,
        "file": file_name(path, percent_encoded),
        "content_type": found.mimetype,
        "etag": {coding: found.variant(coding).etag for coding in SIBLINGS},
        "last_modified": dict(found.common)["Last-Modified"],
        "cache_control": dict(found.common)["Cache-Control"],
        "headers": [[name, value] for name, value in ok if name.lower() not in OWN_HEADERS],
    }


def spellings(label: str, slug: str) -> list[str]:
    """The other spellings a reader would type for a scope: as labelled, upper case, full width, NFD."""
    found = []
    for text in (label, slug):
        found += [text, text.upper(), text.lower(), full_width(text), unicodedata.normalize("NFD", text)]
    return list(dict.fromkeys(s for s in found if s and not _UNSAFE & set(s) and s.strip() == s))


def full_width(text: str) -> str:
    """ASCII as the full-width forms a Japanese input method types (U+FF01-U+FF5E, U+3000 for space)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


def redirects(router: Router) -> list[dict[str, str]]:
    """The service's 301s for other spellings of each scope's paths: {"from": decoded path, "to": Location}."""
    tails = ["", "/", *("/" + fmt.file for fmt in FORMATS.values())]
    found: dict[str, dict[str, str]] = {}
    for scope in router.current().all_scopes():
        if scope.kind == SITE:
            continue
        for spelling in spellings(scope.label, scope.slug):
            for tail in tails:
                path = f"/{scope.kind}/{spelling}{tail}"
                key = path.translate(_ASCII_LOWER)
                answer = router.resolve(wsgi_path(path))
                # Spellings equal but for ASCII case are one nginx map key; they all lead to the same place.
                if key in found or not isinstance(answer, tuple) or not answer[0].startswith("301"):
                    continue
                found[key] = {"from": path, "to": dict(answer[1])["Location"]}
    return sorted(found.values(), key=lambda r: r["from"])


def write_if_changed(target: Path, data: bytes, mtime: float) -> bool:
    """Write the bytes unless the file holds them already (then keep it, mtime and inode); True if written."""
    # Same bytes keep their file even when the service's Last-Modified moved (embed.js dates by the newest
    # post): an older Last-Modified for unchanged bytes still validates right, and rsync and CDNs see no change.
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed into place: a server reading it meanwhile sees the old or the new bytes.
    handle, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.utime(temporary, (mtime, mtime))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def previous_files(folder: Path) -> set[str]:
    """Every file the last export into this folder wrote, by its manifest (none without one)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
        return {e["file"] + suffix for e in manifest["files"] for suffix in SIBLINGS.values()}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def export(router: Router, folder: Path, percent_encoded: bool = False) -> Result:
    """Write every representation of the current snapshot under `folder`, only the files that changed."""
    built = list(representations(router))  # all of it first: a failure writes nothing
    config = router.config
    manifest: dict[str, Any] = {
        "public_url": config.public_url,
        "percent_encoded": percent_encoded,
        "files": [entry(path, found, percent_encoded) for path, found in built],
        "redirects": redirects(router),
    }
    result = Result(manifest)
    before = previous_files(folder)
    for (_, found), item in zip(built, manifest["files"], strict=True):
        mtime = found.last_modified.timestamp()
        for coding, suffix in SIBLINGS.items():
            name = item["file"] + suffix
            before.discard(name)
            data = found.variant(coding).body
            result.bytes_total += len(data)
            if write_if_changed(folder / name, data, mtime):
                result.written.append(name)
            else:
                result.unchanged += 1
    # What the last export wrote and this one did not (a scope whose last post went): gone, as on the service.
    for name in sorted(before):
        (folder / name).unlink(missing_ok=True)
        result.removed.append(name)
        # Its folder too once empty (a gone tag's), never the export folder or what others put there.
        parent = (folder / name).parent
        while parent != folder and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    data = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    if write_if_changed(folder / MANIFEST, data, max((f.last_modified.timestamp() for _, f in built), default=0)):
        result.written.append(MANIFEST)
    return result
