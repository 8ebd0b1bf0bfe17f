"""Jekyll's URL filters (lib/jekyll/filters/url_filters.rb) and the escaping filters, with Addressable's rules."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

from allforces_feeds.body.liquid_state import STATE


def _ensure_leading_slash(part: str) -> str:
    """Jekyll's ensure_leading_slash."""
    return part if not part or part.startswith("/") else "/" + part


def _normalize_url(url: str) -> str:
    """Addressable::URI#normalize as far as it shows here: percent-encode non-ASCII/space, drop dot segments."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    if "/." in path:
        out: list[str] = []
        for segment in path.split("/"):
            if segment == ".." and len(out) > 1:
                out.pop()
            elif segment not in (".", ".."):
                out.append(segment)
        path = "/".join(out) + ("/" if path.endswith(("/.", "/..")) else "")
    safe = "/:@!$&'()*+,;=~%-._"
    return urlunsplit((scheme.lower(), netloc.lower(), quote(path, safe), quote(query, safe + "?"), fragment))


def is_absolute(url: str) -> bool:
    """Addressable's absolute?: the URL has a scheme."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url))


def relative_url(url: object) -> str:
    """Jekyll's relative_url: baseurl + input, each with a leading slash, normalized (Jekyll docs: Filters)."""
    text = "" if url is None else str(url)
    if is_absolute(text):
        return text
    baseurl = STATE.get().site.site.get("baseurl") or ""
    return _normalize_url(_ensure_leading_slash(str(baseurl)) + _ensure_leading_slash(text))


def absolute_url(url: object) -> str:
    """Jekyll's absolute_url: site.url + relative_url(input); plain relative_url when site.url is empty."""
    text = "" if url is None else str(url)
    if is_absolute(text):
        return text
    site_url = STATE.get().site.site.get("url") or ""
    if not site_url:
        return relative_url(text)
    return _normalize_url(str(site_url) + relative_url(text))


def _percent_encode(match: re.Match[str]) -> str:
    """The matched characters as %XX escapes of their UTF-8 bytes."""
    return "".join(f"%{b:02X}" for b in match.group().encode())


def uri_escape(text: str) -> str:
    """Addressable::URI.normalize_component: escape what is neither reserved nor unreserved; keep valid %XX."""
    text = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", text)
    return re.sub(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]", _percent_encode, text)


def cgi_escape(text: str) -> str:
    """Ruby's CGI.escape: form encoding, space as +."""
    return re.sub(r"[^ A-Za-z0-9_.\-~]", _percent_encode, text).replace(" ", "+")


def xml_escape(text: str) -> str:
    """Jekyll's xml_escape: & < > and double quotes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
