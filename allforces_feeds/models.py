"""Plain, immutable data shared by every stage: scope kinds, posts, their bodies, scopes and problems."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

SITE = "site"


@dataclass(frozen=True)
class ScopeKind:
    """A kind of scope with feeds of its own: its URL segment, query name, Post field and Japanese name."""

    name: str
    singular: str
    field: str
    title: str


# The one table of scope kinds (CONTRACT.md, Feeds): URL segment -> kind, in the order pages list them.
SCOPE_KINDS: dict[str, ScopeKind] = {
    kind.name: kind
    for kind in (
        ScopeKind("tags", "tag", "tags", "タグ"),
        ScopeKind("categories", "category", "categories", "カテゴリー"),
        ScopeKind("authors", "author", "authors", "著者"),
    )
}


@dataclass(frozen=True)
class Problem:
    """A content problem: the file, the field and the reason."""

    source: str
    field: str
    reason: str

    def __str__(self) -> str:
        """file: field: reason, as logs and `feeds check` print it."""
        return f"{self.source}: {self.field}: {self.reason}"


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
    # Whether the body holds Liquid markup: its rendering then depends on the rest of the site too.
    liquid: bool = False

    @property
    def sort_key(self) -> tuple[float, str]:
        """Newest first, ties broken by URL (CONTRACT.md, Feeds)."""
        return (-self.published.timestamp(), self.url)

    @property
    def authors(self) -> tuple[str, ...]:
        """The post's author as a scope's labels."""
        return (self.author,)

    def labels(self, kind: str) -> tuple[str, ...]:
        """The post's labels in one scope kind; an unknown kind is a KeyError, never a guess."""
        labels: tuple[str, ...] = getattr(self, SCOPE_KINDS[kind].field)
        return labels


@dataclass(frozen=True)
class Body:
    """A post's body as sanitized HTML and its plain-text summary."""

    html: str
    summary: str


@dataclass(frozen=True)
class Scope:
    """The site or one tag, category or author: its slug, label and every post, newest first."""

    kind: str
    slug: str
    label: str
    posts: tuple[Post, ...]

    def latest(self, limit: int) -> tuple[Post, ...]:
        """The newest `limit` posts: what the scope's feeds hold."""
        return self.posts[:limit]


@dataclass(frozen=True)
class Parsed:
    """What one file's bytes give, but for the one check that depends on when it is loaded.

    A valid last_modified_at not before the post's date is kept as `modified`: it becomes the post's
    updated date unless it is in the future at load time; then the problem is reported at
    `modified_at` among the file's problems, where reading the file found it.
    """

    source: str
    post: Post | None
    problems: tuple[Problem, ...] = ()
    modified: datetime | None = None
    modified_at: int = 0

    def finish(self, now: datetime) -> tuple[Post | None, list[Problem]]:
        """The post as of `now` and the file's problems, in the order reading found them."""
        found = list(self.problems)
        if self.modified is None or self.post is None:
            return self.post, found
        if self.modified > now:
            found.insert(self.modified_at, Problem(self.source, "last_modified_at", "in the future; ignored"))
            return self.post, found
        return replace(self.post, updated=self.modified), found
