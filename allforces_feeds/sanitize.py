"""Sanitize the HTML that feeds carry with nh3: allowlisted tags, safe URL schemes, absolute links."""

from __future__ import annotations

from urllib.parse import urljoin

import nh3

ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br caption code dd del div dl dt em figcaption figure h1 h2 h3 h4 h5 h6 "
    "hr i img ins kbd li mark ol p pre q s small span strong sub sup table tbody td tfoot th "
    "thead tr u ul".split()
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "*": {"id"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitize(html: str, base_url: str) -> str:
    """Allowlisted tags, http/https/mailto URLs only, relative links made absolute against base_url."""

    def absolutize(element: str, attribute: str, value: str) -> str | None:
        if attribute in ("href", "src"):
            return urljoin(base_url + "/", value.strip())
        return value

    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=absolutize,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
