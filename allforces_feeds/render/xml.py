"""RSS 2.0 (https://www.rssboard.org/rss-specification) and Atom 1.0 (RFC 4287), written by feedgen.

This is the only module that uses feedgen. feedgen stamps "now" on every date it is not
given, so every feed-level date is set here, to the newest item's.
"""

from __future__ import annotations

from datetime import UTC

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from ..dates import rfc3339
from .document import FeedDocument

RSS_MIMETYPE = "application/rss+xml; charset=utf-8"
ATOM_MIMETYPE = "application/atom+xml; charset=utf-8"
FORMAT_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


DCTERMS = "http://purl.org/dc/terms/"


class _DctermsExtension(BaseExtension):
    """Declares the DCMI terms namespace on the RSS channel."""

    def extend_ns(self) -> dict[str, str]:
        """The dcterms prefix."""
        return {"dcterms": DCTERMS}


class _DctermsEntryExtension(BaseEntryExtension):
    """dcterms:modified on RSS items: RSS 2.0 has no updated date of its own, feedparser reads this one."""

    def __init__(self) -> None:
        self.modified: str | None = None

    def extend_rss(self, item: etree._Element) -> etree._Element:
        """Append <dcterms:modified> (W3C-DTF) to the item."""
        if self.modified:
            etree.SubElement(item, f"{{{DCTERMS}}}modified").text = self.modified
        return item


def _generator(doc: FeedDocument, fmt: str) -> FeedGenerator:
    """A FeedGenerator holding the whole document; fmt picks the self link and extensions."""
    fg = FeedGenerator()
    if fmt == "rss":
        # RSS's <author> must be an e-mail address; dc:creator carries a name (RSS Best Practices).
        fg.load_extension("dc", atom=False, rss=True)
        fg.register_extension("dcterms", _DctermsExtension, _DctermsEntryExtension, atom=False, rss=True)
    fg.load_extension("media", atom=True, rss=True)
    updated = doc.updated.astimezone(UTC)
    fg.id(doc.self_urls["atom"])
    fg.title(doc.title)
    fg.subtitle(doc.description)
    fg.description(doc.description)
    fg.language(doc.language)
    fg.author({"name": doc.author})
    fg.generator(doc.generator)
    # feedgen takes RSS's <link> from the last link given: the alternate goes last.
    fg.link(href=doc.self_urls[fmt], rel="self", type=FORMAT_TYPES[fmt])
    fg.link(href=doc.home_url, rel="alternate", type="text/html")
    fg.updated(updated)
    fg.lastBuildDate(updated)
    fg.ttl(doc.ttl_minutes)
    for item in doc.items:
        post = item.post
        entry = fg.add_entry(order="append")
        entry.id(post.id)
        entry.guid(post.id, permalink=False)
        entry.title(post.title)
        entry.link(href=post.url, rel="alternate", type="text/html")
        entry.published(post.published.astimezone(UTC))
        entry.updated(post.updated.astimezone(UTC))
        entry.author({"name": post.author})
        for scheme, labels in ((doc.tag_scheme, post.tags), (doc.category_scheme, post.categories)):
            for label in labels:
                entry.category(term=label, scheme=scheme, label=label)
        entry.summary(item.summary, type="text")
        entry.content(item.html, type="html")
        if post.image:
            entry.media.thumbnail(url=post.image)
            entry.media.content(url=post.image, medium="image")
        if fmt == "rss":
            entry.dc.dc_creator(post.author)
            entry.dcterms.modified = rfc3339(post.updated)
    return fg


def render_rss(doc: FeedDocument) -> bytes:
    """The feed as RSS 2.0 with content:encoded, dc:creator and an atom:link to itself."""
    return _generator(doc, "rss").rss_str(pretty=True)


def render_atom(doc: FeedDocument) -> bytes:
    """The feed as Atom 1.0."""
    return _generator(doc, "atom").atom_str(pretty=True)
