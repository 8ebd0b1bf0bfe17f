"""HTML pages from Jinja2 templates in allforces_feeds/templates, escaped by default; no Flask needed."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..dates import japanese_date, rfc3339

HTML_MIMETYPE = "text/html; charset=utf-8"

_environment = Environment(
    loader=PackageLoader("allforces_feeds", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_environment.filters["rfc3339"] = rfc3339
_environment.filters["ymd"] = japanese_date


def render_page(template: str, **context: Any) -> bytes:
    """A template rendered to UTF-8 bytes; every value is HTML-escaped unless marked safe."""
    return _environment.get_template(template).render(**context).encode("utf-8")
