"""Plain, immutable data: posts as loaded, their rendered form, and feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# URL segment of each scope that has its own feeds (CONTRACT.md, Feeds).
SCOPE_KINDS: tuple[str, ...] = ("tags", "categories", "authors")
SITE = "site"


@dataclass(frozen=True)
class Post:
    """One publishable post, as its file's front matter describes it (the body stays in the file)."""

    source: str
    id: str
    url: str
    title: str
    published: datetime
    updated: datetime
    author: str
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    excerpt: str | None
    reading_time: int
    image: str | None
    # SHA-256 of the file's bytes: the body is read back from the file when the post is rendered.
    digest: str

    @property
    def sort_key(self) -> tuple[float, str]:
        """Newest first, ties broken by URL (CONTRACT.md, Feeds)."""
        return (-self.published.timestamp(), self.url)

    def labels(self, kind: str) -> tuple[str, ...]:
        """The post's labels in one scope kind."""
        if kind == "tags":
            return self.tags
        if kind == "categories":
            return self.categories
        return (self.author,)


@dataclass(frozen=True)
class Rendered:
    """A post's body as sanitized HTML and its plain-text summary."""

    html: str
    summary: str


@dataclass(frozen=True)
class Problem:
    """A content problem: the file, the field and the reason."""

    source: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class Feed:
    """What one feed holds: its scope, label and newest posts."""

    kind: str
    slug: str
    label: str
    posts: tuple[Post, ...]
    total: int
