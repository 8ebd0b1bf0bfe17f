"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), written by hand: no maintained library exists."""

from __future__ import annotations

import json
from typing import Any

from ..dates import rfc3339
from .document import FeedDocument, FeedFormat, Item

VERSION = "https://jsonfeed.org/version/1.1"


def _item(item: Item) -> dict[str, Any]:
    """One post as a JSON Feed item, keys in a fixed order."""
    post = item.post
    entry: dict[str, Any] = {
        # "id (required, string) is unique for that item for that feed over time."
        "id": post.id,
        "url": post.url,
        "title": post.title,
        # "content_html ... is the HTML of the item."
        "content_html": item.html,
        # "summary (optional, string) is a plain text sentence or two describing the item."
        "summary": item.summary,
        "date_published": rfc3339(post.published),
        "date_modified": rfc3339(post.updated),
        # "authors (optional, array of objects)"; 1.1 readers read it, "author" is for 1.0 readers.
        "authors": [{"name": post.author}],
        "author": {"name": post.author},
        # JSON Feed has one list of tags: the post's tags, then its categories.
        "tags": list(dict.fromkeys(post.tags + post.categories)),
    }
    if post.image:
        entry["image"] = post.image
    # Custom extensions start with an underscore (spec: "Extensions").
    entry["_allforces"] = {
        "reading_time": post.reading_time,
        "tags": list(post.tags),
        "categories": list(post.categories),
    }
    return entry


def render_json(doc: FeedDocument, fmt: FeedFormat) -> bytes:
    """The feed as JSON Feed 1.1, UTF-8, keys in a fixed order."""
    feed = {
        "version": VERSION,
        "title": doc.title,
        "home_page_url": doc.home_url,
        "feed_url": doc.self_urls[fmt.name],
        "description": doc.description,
        # "next_url ... is the URL of a feed that provides the next n items": the next older archive page.
        **({"next_url": next_url} if (next_url := doc.history.link("prev-archive", fmt.name)) else {}),
        "language": doc.language,
        # "icon ... suitable to be used in a timeline" and "favicon ... suitable to be used in a source
        # list" are both square: the site's icon serves both (JSON Feed has no wide logo).
        **({"icon": doc.icon, "favicon": doc.icon} if doc.icon else {}),
        "authors": [{"name": doc.author}],
        # "hubs ... describes endpoints that can be used to subscribe to real-time notifications".
        **({"hubs": [{"type": "WebSub", "url": hub} for hub in doc.history.hubs]} if doc.history.hubs else {}),
        "items": [_item(item) for item in doc.items],
    }
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")
