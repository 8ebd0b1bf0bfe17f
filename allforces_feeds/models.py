"""Plain, immutable data: posts as loaded, their rendered form, and feeds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

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


class Parsed(NamedTuple):
    """What one file's bytes give, but for the one check that depends on when it is loaded.

    A valid last_modified_at not before the post's date is kept as `modified`: it becomes the post's
    updated date unless it is in the future when the post is loaded; then the problem is reported,
    at `modified_at` among the file's problems, where reading the file found it.
    """

    source: str
    post: Post | None
    problems: tuple[Problem, ...] = ()
    modified: datetime | None = None
    modified_at: int = 0
    published: datetime | None = None

    def finish(self, problems: list[Problem]) -> Post | None:
        """Report this file's problems into `problems`; return the post as of now, or None."""
        post = self.post
        if self.modified is None or self.published is None:
            problems.extend(self.problems)
            return post
        found = list(self.problems)
        if self.modified > datetime.now(self.published.tzinfo):
            found.insert(self.modified_at, Problem(self.source, "last_modified_at", "in the future; ignored"))
        elif post is not None:
            post = replace(post, updated=self.modified)
        problems.extend(found)
        return post
