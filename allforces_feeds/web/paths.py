"""Reading a request path below a scope: which scope, which file, which archive page (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from ..models import SCOPE_KINDS, SITE
from ..render import FORMATS
from ..urls import Urls

# "archive/<n>/<file>" at the end of a scope's path; n in canonical decimal (no sign, no leading zero).
_ARCHIVE = re.compile(r"(?:^|/)archive/([1-9][0-9]{0,8})/([^/]+)$")
_FILES = {fmt.file for fmt in FORMATS.values()}


def wsgi_path(path: str) -> str:
    """A percent-encoded path as WSGI servers put it in PATH_INFO: decoded bytes as latin-1 (PEP 3333)."""
    return unquote(path).encode("utf-8").decode("latin-1")


@dataclass(frozen=True)
class ScopedPath:
    """A path below a scope: its kind, the label as requested, the file (None: the page), the archive page."""

    kind: str
    raw: str
    file: str | None = None
    archive: int | None = None

    def canonical(self, slug: str, urls: Urls) -> str:
        """The canonical path of the same resource of the scope with this slug."""
        if self.archive is not None and self.file is not None:
            return urls.archive_path(self.kind, slug, self.archive, self.file)
        if self.file is not None:
            return urls.feed_path(self.kind, slug, self.file)
        return urls.scope_path(self.kind, slug)


def parse_scoped(path_info: str) -> ScopedPath | None:
    """`/tags/<label>/`, `/tags/<label>/<file>`, `/tags/<label>/archive/<n>/<file>`, `/archive/<n>/<file>`."""
    # PATH_INFO holds the request's bytes as latin-1 (PEP 3333); undecodable bytes cannot name a scope.
    text = path_info.encode("latin-1", errors="replace").decode("utf-8", errors="replace")
    kind, _, rest = text[1:].partition("/")
    archive = _ARCHIVE.search(text)
    if archive is not None and archive.group(2) in _FILES:
        head, number, file = text[: archive.start()], int(archive.group(1)), archive.group(2)
        if not head:
            return ScopedPath(SITE, "", file, number)
        label = head[len(kind) + 2 :]
        return ScopedPath(kind, label, file, number) if kind in SCOPE_KINDS and label else None
    if kind not in SCOPE_KINDS or not rest and not text.endswith("/"):
        return None
    file = next((name for name in _FILES if rest.endswith("/" + name)), None)
    raw = rest[: -len(file) - 1] if file is not None else rest.removesuffix("/")
    return ScopedPath(kind, raw, file)
