"""Sanitize the HTML that feeds carry with nh3: allowlisted tags, safe URL schemes, absolute links.

nh3 (ammonia) parses like a browser (html5ever), so what survives is what a reader would
see: no script, style, iframe, form, SVG or MathML; no event handler (on*) or style
attribute; and a URL only when its scheme is http, https or mailto.
"""

from __future__ import annotations

from urllib.parse import urljoin

import nh3

ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br caption cite code dd del details dfn div dl dt em figcaption figure "
    "h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q rp rt ruby s samp small span strong "
    "sub summary sup table tbody td tfoot th thead time tr u ul var".split()
)
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "abbr": frozenset({"title"}),
    "dfn": frozenset({"title"}),
    "ol": frozenset({"start", "reversed"}),
    "li": frozenset({"value"}),
    "td": frozenset({"align", "colspan", "rowspan"}),
    "th": frozenset({"align", "colspan", "rowspan", "scope"}),
    "time": frozenset({"datetime"}),
    "code": frozenset({"data-lang"}),
    # Header ids (kramdown's auto_ids) and footnotes link within the post; classes carry the code
    # highlighting (Rouge's class names) and the site's IALs, which readers with styles show.
    "*": frozenset({"id", "class", "role"}),
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES = frozenset({"href", "src"})
LINK_REL = "noopener noreferrer"


def absolute_url(reference: str, base_url: str) -> str | None:
    """reference made absolute against base_url; None when it cannot be read as a URL.

    A reference to a fragment alone ("#fn:1", a footnote) stays as it is: it points into
    the post itself, wherever the post is shown, not to the blog's home page.
    """
    reference = reference.strip()
    if reference.startswith("#"):
        return reference
    try:
        return urljoin(base_url + "/", reference)
    except ValueError:
        # urllib rejects some references ("http://[::1"): dropping the attribute is safe.
        return None


def sanitize(html: str, base_url: str) -> str:
    """Allowlisted tags, http/https/mailto URLs only, relative links made absolute against base_url."""

    def absolutize(element: str, attribute: str, value: str) -> str | None:
        """An attribute's URL made absolute, or None to drop the attribute."""
        # nh3 checks the scheme after this filter: "javascript:..." stays as it is here
        # (urljoin keeps a reference with its own scheme) and is then dropped by url_schemes.
        return absolute_url(value, base_url) if attribute in URL_ATTRIBUTES else value

    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=absolutize,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
