"""What every feed renderer is given: the feed's metadata and its items, all plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..config import Config
from ..models import SITE, Feed, Post
from ..urls import FORMAT_FILES, Urls

# The feed-level date of a feed with no items: a fixed instant, never "now".
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SCOPE_NAMES = {"tags": "タグ", "categories": "カテゴリー", "authors": "著者"}


@dataclass(frozen=True)
class Item:
    """A post with its rendered body and summary."""

    post: Post
    html: str
    summary: str


@dataclass(frozen=True)
class FeedDocument:
    """One feed, ready for any format."""

    feed: Feed
    title: str
    description: str
    language: str
    generator: str
    home_url: str
    self_urls: dict[str, str]
    tag_scheme: str
    category_scheme: str
    author: str
    ttl_minutes: int
    updated: datetime
    items: tuple[Item, ...]


def last_modified(posts: tuple[Post, ...]) -> datetime:
    """The newest published or updated date of the posts: the feed's date, never "now"."""
    return max((max(p.published, p.updated) for p in posts), default=EPOCH)


def feed_title(feed: Feed, config: Config) -> str:
    """ "ALLFORCES" for the site, "ALLFORCES: 投資分析" for a scope."""
    return config.site_title if feed.kind == SITE else f"{config.site_title}: {feed.label}"


def build_document(feed: Feed, items: list[Item], config: Config, urls: Urls) -> FeedDocument:
    """Assemble the document for one feed from its posts and their rendered bodies."""
    if feed.kind == SITE:
        description = config.site_description
    else:
        description = f"{config.site_title}の{SCOPE_NAMES[feed.kind]}「{feed.label}」の最新記事"
    return FeedDocument(
        feed=feed,
        title=feed_title(feed, config),
        description=description,
        language=config.site_language,
        generator="allforces-feeds",
        home_url=urls.blog_page(feed.kind, feed.slug),
        self_urls={fmt: urls.feed(feed.kind, feed.slug, fmt) for fmt in FORMAT_FILES},
        tag_scheme=urls.public("/tags/"),
        category_scheme=urls.public("/categories/"),
        author=config.site_author,
        ttl_minutes=max(1, config.feed_max_age // 60),
        updated=last_modified(feed.posts),
        items=tuple(items),
    )
