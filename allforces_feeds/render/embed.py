"""The embeds' bodies: the newest posts for other sites, as JSON (for scripts) and as an iframe page.

A query is normalized by the web layer first (canonical slugs, filters in a fixed order), so the same
query spelled differently gives the same bytes here, and so the same ETag.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from ..config import Config
from ..dates import japanese_date, rfc3339
from ..index import Snapshot
from ..models import Post
from ..urls import Urls
from .html import render_page

DEFAULT_LIMIT = 5
MAX_LIMIT = 50
STYLE = (files("allforces_feeds") / "templates" / "embed" / "latest.css").read_text(encoding="utf-8")
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")
# The iframe page runs no script at all; its one style block is allowed by its hash; it
# may be framed by any site, and its links leave the frame (target="_top").
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; "
    f"style-src 'sha256-{_STYLE_HASH}'; img-src https:; "
    "frame-ancestors *; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Query:
    """A normalized embed query: how many posts, and the (kind, canonical slug) filters, all ANDed."""

    limit: int = DEFAULT_LIMIT
    filters: tuple[tuple[str, str], ...] = ()


def select(snapshot: Snapshot, query: Query) -> tuple[Post, ...]:
    """The newest `limit` posts that are in every filtered scope, newest first."""
    scopes = [snapshot.scope(kind, slug) for kind, slug in query.filters]
    members = sorted((scope.posts for scope in scopes if scope is not None), key=len)
    if len(members) < len(scopes):
        return ()
    if not members:
        return snapshot.posts[: query.limit]
    # Walk the smallest scope (newest first) and keep what every other scope holds too.
    others = [frozenset(post.source for post in posts) for posts in members[1:]]
    found: list[Post] = []
    for post in members[0]:
        if all(post.source in other for other in others):
            found.append(post)
            if len(found) == query.limit:
                break
    return tuple(found)


def describe(snapshot: Snapshot, query: Query, config: Config, urls: Urls) -> tuple[str, str]:
    """The list's title ("ALLFORCES: AI・投資分析") and the blog page it comes from."""
    scopes = [snapshot.scope(kind, slug) for kind, slug in query.filters]
    labels = [scope.label for scope in scopes if scope is not None]
    title = f"{config.site_title}: {'・'.join(labels)}" if labels else config.site_title
    if len(query.filters) == 1:
        return title, urls.blog_page(*query.filters[0])
    return title, urls.home()


def entries(posts: tuple[Post, ...], summary_of: Callable[[Post], str]) -> list[dict[str, Any]]:
    """The list's entries as plain data, keys in a fixed order."""
    return [
        {
            "title": post.title,
            "url": post.url,
            "date_published": rfc3339(post.published),
            "summary": summary_of(post),
            "tags": list(post.tags),
            "categories": list(post.categories),
            "author": post.author,
            "image": post.image,  # the loader keeps only http(s) images
            "reading_time": post.reading_time,
        }
        for post in posts
    ]


def render_json(title: str, home_url: str, items: list[dict[str, Any]]) -> bytes:
    """The list as compact UTF-8 JSON; <, >, & and ' escaped so the text is inert even if inlined in HTML."""
    document = {"title": title, "home_page_url": home_url, "items": items}
    return str(htmlsafe_json_dumps(document, ensure_ascii=False, separators=(",", ":"))).encode("utf-8")


def render_html(
    title: str, home_url: str, items: list[dict[str, Any]], posts: tuple[Post, ...], config: Config, urls: Urls
) -> bytes:
    """The list as a small page for an iframe: every value escaped by Jinja2, no script."""
    shown = [
        {
            **item,
            # The CSP allows https images only; an http image would only be blocked.
            "image": item["image"] if item["image"] and item["image"].startswith("https://") else None,
            "date": japanese_date(post.published, config.site_timezone),
        }
        for item, post in zip(items, posts, strict=True)
    ]
    return render_page(
        "embed/latest.html",
        language=config.site_language,
        title=title,
        home_url=home_url,
        site_title=config.site_title,
        site_url=urls.home(),
        items=shown,
        style=Markup(STYLE),  # our own file, hashed into the CSP
    )
