"""What every feed renderer is given: the feed's metadata and its items, all plain data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from html import escape
from typing import Any, TypeVar

from ..config import Config
from ..load.limits import xml_text
from ..models import SCOPE_KINDS, SITE, Post, Scope
from ..urls import Urls

# The feed-level date of a feed with no items: a fixed instant, never "now".
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Data = TypeVar("Data")


@dataclass(frozen=True)
class Item:
    """A post with its body's HTML and summary."""

    post: Post
    html: str
    summary: str


@dataclass(frozen=True)
class History:
    """Where a document stands in its logical feed: RFC 5005 links and state, and its WebSub hubs."""

    # The logical feed's id: the subscription feed's Atom URL, on its archive documents too.
    id: str
    # prev-archive, next-archive, current (RFC 5005 §4): rel and the target's URL in every format.
    links: tuple[tuple[str, dict[str, str]], ...] = ()
    # "complete" (§2: the document holds every post), "archive" (§4: an archive document) or "".
    state: str = ""
    # The WebSub hubs told of this document's changes (W3C WebSub §4, rel="hub"): subscription feeds only.
    hubs: tuple[str, ...] = ()

    def link(self, rel: str, fmt: str) -> str | None:
        """The URL of the `rel` link in one format, or None."""
        return next((targets[fmt] for name, targets in self.links if name == rel), None)


@dataclass(frozen=True)
class FeedDocument:
    """One feed, ready for any format."""

    scope: Scope
    title: str
    description: str
    language: str
    generator: str
    home_url: str
    self_urls: dict[str, str]
    tag_scheme: str
    category_scheme: str
    author: str
    # None on archive documents: they do not change, so there is no polling interval to advise.
    ttl_minutes: int | None
    updated: datetime
    items: tuple[Item, ...]
    history: History
    # The site's square icon and wide logo, absolute URLs (RSS <image>, Atom icon/logo, JSON Feed icon/favicon).
    icon: str | None = None
    logo: str | None = None


@dataclass(frozen=True)
class FeedFormat:
    """A feed format: its name, file name, media type, human label and renderer."""

    name: str
    file: str
    link_type: str
    label: str
    render: Callable[[FeedDocument, FeedFormat], bytes]

    @property
    def media_type(self) -> str:
        """The Content-Type served: the link type in UTF-8 (CONTRACT.md, Feeds)."""
        return f"{self.link_type}; charset=utf-8"


def last_modified(posts: tuple[Post, ...]) -> datetime:
    """The newest published or updated date of the posts: the feed's date, never "now"."""
    return max((max(p.published, p.updated) for p in posts), default=EPOCH)


def feed_title(scope: Scope, config: Config) -> str:
    """ "ALLFORCES" for the site, "ALLFORCES: 投資分析" for a scope."""
    return config.site_title if scope.kind == SITE else f"{config.site_title}: {scope.label}"


def build_document(
    scope: Scope, items: list[Item], self_urls: dict[str, str], history: History, config: Config, urls: Urls
) -> FeedDocument:
    """Assemble the document of one scope's feed, or of one of its archive pages, from its posts' items."""
    if scope.kind == SITE:
        description = config.site_description
    else:
        description = f"{config.site_title}の{SCOPE_KINDS[scope.kind].title}「{scope.label}」の最新記事"
    document = FeedDocument(
        scope=scope,
        title=feed_title(scope, config),
        description=description,
        language=config.site_language,
        generator="allforces-feeds",
        home_url=urls.blog_page(scope.kind, scope.slug),
        self_urls=self_urls,
        tag_scheme=urls.public("/tags/"),
        category_scheme=urls.public("/categories/"),
        author=config.site_author,
        ttl_minutes=None if history.state == "archive" else max(1, config.feed_max_age // 60),
        updated=last_modified(tuple(item.post for item in items)),
        items=tuple(with_image(item) for item in items),
        icon=urls.site_resource(config.site_icon or "/favicon.ico"),
        logo=urls.site_resource(config.site_logo) if config.site_logo else None,
        history=history,
    )
    return xml_safe(document)


def with_image(item: Item) -> Item:
    """The post's image at the top of its content when the body does not show it: most readers ignore media:*."""
    image = item.post.image
    if not image or image in item.html:
        return item
    return replace(item, html=f'<p><img src="{escape(image)}" alt=""></p>\n{item.html}')


def _clean(value: Any) -> Any:
    """A text, a tuple, an item or a post XML-clean; anything else (dates, numbers, URL tables) as it is."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, tuple):
        return tuple(_clean(part) for part in value)
    if isinstance(value, Item | Post):
        return xml_safe(value)
    return value


def xml_safe(data: Data) -> Data:
    """The document (its items and their posts) with no character XML 1.0 §2.2 forbids or discourages.

    The last step before any format writes text: the loader cleans what it reads, but HTML numeric
    references (&#1;) and entities in bodies and titles are unescaped later, by Markdown, nh3 or Jekyll's
    title filters, and lxml refuses the whole feed over one such character. Unchanged parts are kept as
    they are (no copy), so a clean document costs one scan of its text.
    """
    changes: dict[str, Any] = {}
    for field in fields(data):  # type: ignore[arg-type]
        # The scope holds every post of the scope; only its label is written, and the title carries it.
        if field.name != "scope":
            value = getattr(data, field.name)
            cleaned = _clean(value)
            if cleaned != value:
                changes[field.name] = cleaned
    return replace(data, **changes) if changes else data  # type: ignore[type-var]
