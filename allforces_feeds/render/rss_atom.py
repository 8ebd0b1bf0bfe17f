"""RSS 2.0 (https://www.rssboard.org/rss-specification) and Atom 1.0 (RFC 4287), written by feedgen.

This is the only module that uses feedgen. feedgen stamps "now" on every date it is not
given, so every feed-level date is set here, to the newest item's.
"""

from __future__ import annotations

from datetime import UTC
from html import escape
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from ..dates import rfc3339
from .document import FeedDocument, FeedFormat, History

DCTERMS = "http://purl.org/dc/terms/"
MEDIA = "http://search.yahoo.com/mrss/"
ATOM = "http://www.w3.org/2005/Atom"
# RFC 5005 §5: fh:complete and fh:archive.
HISTORY = "http://purl.org/syndication/history/1.0"


class _FeedExtension(BaseExtension):
    """What feedgen lacks on the feed: hub and RFC 5005 links in both formats, fh:archive or fh:complete."""

    def __init__(self) -> None:
        """No history until the feed sets it."""
        self.history: History | None = None
        self.link_type = ""
        self.fmt = ""

    def extend_ns(self) -> dict[str, str]:
        """dcterms and Media RSS prefixes, and fh where the feed has a history state."""
        history = {"fh": HISTORY} if self.history is not None and self.history.state else {}
        return {"dcterms": DCTERMS, "media": MEDIA, **history}

    def _links(self, parent: etree._Element, tag: str, after: int) -> None:
        """Insert the hub and history links, and the history state, at position `after` of parent."""
        history = self.history
        if history is None:
            return
        attributes = [{"href": hub, "rel": "hub"} for hub in history.hubs]
        attributes += [{"href": urls[self.fmt], "rel": rel, "type": self.link_type} for rel, urls in history.links]
        # Made in place, so that they take the document's own prefixes, then moved where they belong.
        added = [etree.SubElement(parent, tag, attrib) for attrib in attributes]
        if history.state:
            added.append(etree.SubElement(parent, f"{{{HISTORY}}}{history.state}"))
        for offset, element in enumerate(added):
            parent.insert(after + offset, element)

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        """Links after the feed's own links (RFC 4287 §4.2.7), then the history state."""
        # feedgen writes Atom's elements without a namespace and declares it as the xmlns attribute.
        own = feed.findall("link")
        self._links(feed, "link", feed.index(own[-1]) + 1 if own else len(feed))
        return feed

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        """atom:link elements after the channel's self link, as WebSub §4 and RFC 5005 §1 show for RSS 2.0."""
        channel = feed.find("channel")
        if channel is not None:
            own = channel.find(f"{{{ATOM}}}link")
            self._links(channel, f"{{{ATOM}}}link", channel.index(own) + 1 if own is not None else len(channel))
        return feed


class _ItemExtension(BaseEntryExtension):
    """What feedgen lacks: the image as one media:content, and dcterms:modified on RSS items."""

    def __init__(self) -> None:
        """No image and no modified date until the feed sets them."""
        self.modified: str | None = None
        self.image: str | None = None

    def _image(self, entry: etree._Element) -> etree._Element:
        """Append the image as one media:content and as media:thumbnail (what jekyll-feed writes)."""
        # feedgen's media extension wraps a lone media:content in a media:group, which the
        # W3C validator rejects ("media:group must have multiple media:content children").
        if self.image:
            etree.SubElement(entry, f"{{{MEDIA}}}thumbnail", url=self.image)
            etree.SubElement(entry, f"{{{MEDIA}}}content", url=self.image, medium="image")
        return entry

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        """Append the image."""
        return self._image(entry)

    def extend_rss(self, item: etree._Element) -> etree._Element:
        """Append the image and <dcterms:modified> (RSS 2.0 has no updated date; feedparser reads this)."""
        if self.modified:
            etree.SubElement(item, f"{{{DCTERMS}}}modified").text = self.modified
        return self._image(item)


def _generator(doc: FeedDocument, fmt: FeedFormat) -> FeedGenerator:
    """A FeedGenerator holding the whole document; fmt picks the self link and extensions."""
    fg = FeedGenerator()
    rss = fmt.name == "rss"
    if rss:
        # RSS's <author> must be an e-mail address; dc:creator carries a name (RSS Best Practices).
        fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("allforces", _FeedExtension, _ItemExtension)
    fg.allforces.history, fg.allforces.fmt, fg.allforces.link_type = doc.history, fmt.name, fmt.link_type
    updated = doc.updated.astimezone(UTC)
    fg.id(doc.history.id)
    fg.title(doc.title)
    fg.subtitle(doc.description)
    fg.description(doc.description)
    fg.language(doc.language)
    fg.author({"name": doc.author})
    fg.generator(doc.generator)
    # feedgen takes RSS's <link> from the last link given: the alternate goes last.
    fg.link(href=doc.self_urls[fmt.name], rel="self", type=fmt.link_type)
    fg.link(href=doc.home_url, rel="alternate", type="text/html")
    fg.updated(updated)
    fg.lastBuildDate(updated)
    if doc.ttl_minutes is not None:
        fg.ttl(doc.ttl_minutes)
    if doc.icon:
        fg.icon(doc.icon)
    if doc.logo:
        fg.logo(doc.logo)
    image = doc.logo or doc.icon
    # RSS 2.0 <image>: "a GIF, JPEG or PNG image", titled and linked as the channel (RSS Advisory Board).
    if rss and image and urlsplit(image).path.lower().endswith((".gif", ".jpg", ".jpeg", ".png")):
        fg.image(url=image, title=doc.title, link=doc.home_url)
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
        if rss:
            # RSS readers take <description> as HTML: the plain-text excerpt is escaped once
            # more so that "S&P" or "<AI>" stays text.
            entry.description(escape(item.summary, quote=False))
            entry.dc.dc_creator(post.author)
            entry.allforces.modified = rfc3339(post.updated)
        else:
            entry.summary(item.summary, type="text")
        entry.content(item.html, type="html")
        entry.allforces.image = post.image
    return fg


def render_xml(doc: FeedDocument, fmt: FeedFormat) -> bytes:
    """The feed as RSS 2.0 (content:encoded, dc:creator, an atom:link to itself) or as Atom 1.0."""
    generator = _generator(doc, fmt)
    written: bytes = generator.rss_str(pretty=True) if fmt.name == "rss" else generator.atom_str(pretty=True)
    return written
