"""Server configs for an export, made from its manifest: nginx, and `_headers`/`_redirects` for Netlify-style hosts.

nginx (`nginx_configs`) gets two snippets. `allforces-map.conf` goes in the `http` block: the map of request
path -> canonical URL for the non-canonical slug spellings. `allforces-locations.conf` goes in the `server`
block whose `root` holds the export: one exact location per file with its content type and headers,
`gzip_static` (and `brotli_static` where the module is loaded), and the 301s. nginx sends its own ETag
("<mtime>-<size>" in hex, per file and so per coding), not the manifest's; its Last-Modified is the
file's mtime, which the export sets to the service's Last-Modified.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

MAP_VARIABLE = "$allforces_moved"
MOVED_LOCATION = "@allforces_moved"


def prefix(manifest: dict[str, Any]) -> str:
    """The path of PUBLIC_URL, where the export is served ("" at the root of its host)."""
    return str(urlsplit(manifest["public_url"]).path).rstrip("/")


def quoted(text: str) -> str:
    """A double-quoted nginx string, backslash and quote escaped; a `$` would name a variable, so none may be."""
    if "$" in text:
        raise ValueError(f"{text!r}: nginx would read the $ as a variable")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def nginx_has_brotli(nginx: str | None = None) -> bool:
    """Whether this nginx has brotli_static built in (`nginx -V`) or as the Debian dynamic module."""
    binary = nginx or shutil.which("nginx") or "/usr/sbin/nginx"
    try:
        built = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=10, check=False).stderr
    except OSError:
        return False
    # Debian's libnginx-mod-http-brotli-static loads it from modules-enabled; a built-in one shows in -V.
    return "brotli" in built or Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so").exists()


def nginx_map(manifest: dict[str, Any]) -> str:
    """The `http`-level snippet: request path (decoded, as nginx's $uri) -> canonical URL of the 301."""
    keys = [(prefix(manifest) + r["from"]).encode() for r in manifest["redirects"]]
    # Japanese paths are long keys: nginx refuses a map whose bucket cannot hold its longest key (plus a pointer).
    bucket = 64
    while bucket < max((len(k) + 16 for k in keys), default=0):
        bucket *= 2
    lines = [
        "# allforces-feeds export: include in the http block. Request path -> where the service sends it (301).",
        "# nginx matches map strings without regard to ASCII case; the export lists each path once that way.",
        "# (Drop the two sizes if your http block sets them already; keep them at least this large.)",
        f"map_hash_bucket_size {bucket};",
        f"map_hash_max_size {max(2048, 4 * len(keys))};",
        f"map $uri {MAP_VARIABLE} {{",
        '    default "";',
    ]
    lines += [f"    {quoted(prefix(manifest) + r['from'])} {quoted(r['to'])};" for r in manifest["redirects"]]
    return "\n".join([*lines, "}", ""])


def nginx_locations(manifest: dict[str, Any], brotli: bool) -> str:
    """The `server`-level snippet: each file's content type and headers, precompressed siblings, the 301s."""
    base = prefix(manifest)
    lines = [
        "# allforces-feeds export: include in the server block whose root holds the export.",
        "gzip_static on;",
        "brotli_static on;" if brotli else "# brotli_static: this nginx has no brotli module; br clients get gzip.",
        f"location {base}/ {{",
        # A file or a folder (its index.html); anything else may be another spelling of a scope.
        f"    try_files $uri $uri/ {MOVED_LOCATION};",
        "}",
        f"location {MOVED_LOCATION} {{",
        f"    if ({MAP_VARIABLE}) {{ return 301 {MAP_VARIABLE}; }}",
        "    return 404;",
        "}",
    ]
    for item in manifest["files"]:
        path = unquote(base + item["path"])
        if path.endswith("/"):
            if path != "/":
                # The service answers a folder without its slash with a 301 to its canonical URL, not nginx's own.
                moved = quoted(manifest["public_url"] + item["path"])
                lines.append(f"location = {quoted(path[:-1])} {{ return 301 {moved}; }}")
            path += "index.html"
        lines.append(f"location = {quoted(path)} {{")
        lines.append("    types { }")
        lines.append(f"    default_type {quoted(item['content_type'])};")
        for name, value in item["headers"]:
            lines.append(f"    add_header {name} {quoted(value)};")
        lines.append("}")
    return "\n".join([*lines, ""])


def nginx_configs(manifest: dict[str, Any], folder: Path, brotli: bool | None = None) -> list[Path]:
    """Write allforces-map.conf and allforces-locations.conf into `folder`; their paths."""
    if manifest.get("percent_encoded"):
        raise ValueError("nginx maps request paths to decoded file names: export without --percent-encoded")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("allforces-map.conf", nginx_map(manifest)),
        ("allforces-locations.conf", nginx_locations(manifest, nginx_has_brotli() if brotli is None else brotli)),
    ):
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def netlify_path(path: str) -> str:
    """A decoded path as `_headers`/`_redirects` lines hold it: percent-encoded, since a space ends a field there."""
    return quote(path, safe="/")


def netlify_headers(manifest: dict[str, Any]) -> str:
    """`_headers`: each path's content type and headers (the host compresses and makes ETags itself)."""
    base, blocks = prefix(manifest), []
    for item in manifest["files"]:
        headers = [("Content-Type", item["content_type"]), *map(tuple, item["headers"])]
        blocks.append("\n".join([netlify_path(unquote(base + item["path"])), *(f"  {n}: {v}" for n, v in headers)]))
    return "\n".join(blocks) + "\n"


def netlify_redirects(manifest: dict[str, Any]) -> str:
    """`_redirects`: each non-canonical spelling -> its canonical URL, 301 (a rule without "!" never shadows a file)."""
    base = prefix(manifest)
    return "".join(f"{netlify_path(base + r['from'])} {r['to']} 301\n" for r in manifest["redirects"])


def netlify_files(manifest: dict[str, Any], folder: Path) -> list[Path]:
    """Write `_headers` and `_redirects` into the export folder (Netlify reads them from the publish root)."""
    written = []
    for name, text in (("_headers", netlify_headers(manifest)), ("_redirects", netlify_redirects(manifest))):
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written
