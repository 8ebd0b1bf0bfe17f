"""The renderer registry: each feed format's renderer and content type, keyed by format name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .document import FeedDocument
from .jsonfeed import MIMETYPE as JSON_MIMETYPE
from .jsonfeed import render_json
from .xml import ATOM_MIMETYPE, RSS_MIMETYPE, render_atom, render_rss


@dataclass(frozen=True)
class FeedFormat:
    """A feed format: its name, content type and renderer."""

    name: str
    mimetype: str
    render: Callable[[FeedDocument], bytes]


FORMATS: dict[str, FeedFormat] = {
    "rss": FeedFormat("rss", RSS_MIMETYPE, render_rss),
    "atom": FeedFormat("atom", ATOM_MIMETYPE, render_atom),
    "json": FeedFormat("json", JSON_MIMETYPE, render_json),
}
