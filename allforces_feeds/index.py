"""The immutable index: visible posts newest first, and every tag, category and author scope."""

from __future__ import annotations

import bisect
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .models import SCOPE_KINDS, SITE, Feed, Post, Problem
from .slugs import slugify


@dataclass(frozen=True)
class Scope:
    """One tag, category or author: its slug, its label and its posts, newest first."""

    kind: str
    slug: str
    label: str
    posts: tuple[Post, ...]


def _label_for(spellings: Counter[str]) -> str:
    """The spelling most posts use; ties go to the first in code point order."""
    return min(spellings.items(), key=lambda item: (-item[1], item[0]))[0]


@dataclass(frozen=True)
class Snapshot:
    """Everything visible at one moment; built once per set of visible posts."""

    posts: tuple[Post, ...]
    scopes: dict[str, dict[str, Scope]]

    @classmethod
    def build(cls, posts: tuple[Post, ...]) -> Snapshot:
        """Group posts (already newest first) into scopes, slugs in code point order."""
        scopes: dict[str, dict[str, Scope]] = {}
        for kind in SCOPE_KINDS:
            members: dict[str, list[Post]] = defaultdict(list)
            spellings: dict[str, Counter[str]] = defaultdict(Counter)
            for post in posts:
                for label in post.labels(kind):
                    slug = slugify(label)
                    members[slug].append(post)
                    spellings[slug][label] += 1
            scopes[kind] = {
                slug: Scope(kind, slug, _label_for(spellings[slug]), tuple(members[slug])) for slug in sorted(members)
            }
        return cls(posts=posts, scopes=scopes)

    def scope(self, kind: str, slug: str) -> Scope | None:
        """A tag, category or author scope by its canonical slug."""
        return self.scopes.get(kind, {}).get(slug)

    def feed(self, kind: str, slug: str, limit: int, site_title: str) -> Feed | None:
        """The newest `limit` posts of the site or of one scope; None for an unknown scope."""
        if kind == SITE:
            return Feed(SITE, "", site_title, self.posts[:limit], len(self.posts))
        scope = self.scope(kind, slug)
        if scope is None:
            return None
        return Feed(kind, slug, scope.label, scope.posts[:limit], len(scope.posts))

    def feeds(self, limit: int, site_title: str) -> list[Feed]:
        """Every feed the service offers: the site's first, then each scope kind in order."""
        feeds = [self.feed(SITE, "", limit, site_title)]
        for kind in SCOPE_KINDS:
            feeds.extend(self.feed(kind, slug, limit, site_title) for slug in self.scopes[kind])
        return [f for f in feeds if f is not None]


class Catalog:
    """All loaded posts; hands out the Snapshot of what is visible now (scheduled posts appear)."""

    def __init__(self, posts: Iterable[Post]) -> None:
        self.posts: tuple[Post, ...] = tuple(sorted(posts, key=lambda p: p.sort_key))
        # Publication instants, oldest first, to count how many posts are visible at a moment.
        self._instants = sorted(p.published.timestamp() for p in self.posts)
        self._lock = threading.Lock()
        self._cached: tuple[int, Snapshot] | None = None

    def generation(self, now: float) -> int:
        """How many posts are published at `now`; it changes exactly when a scheduled post appears."""
        return bisect.bisect_right(self._instants, now)

    def next_release(self, now: float) -> float | None:
        """When the next scheduled post appears, or None."""
        position = bisect.bisect_right(self._instants, now)
        return self._instants[position] if position < len(self._instants) else None

    def snapshot(self, now: float) -> Snapshot:
        """The snapshot of posts published at `now`, built once per generation."""
        generation = self.generation(now)
        cached = self._cached
        if cached is not None and cached[0] == generation:
            return cached[1]
        with self._lock:
            visible = tuple(p for p in self.posts if p.published.timestamp() <= now)
            snapshot = Snapshot.build(visible)
            self._cached = (generation, snapshot)
            return snapshot

    def collisions(self) -> list[Problem]:
        """Labels written differently that share one slug, and so one feed."""
        problems = []
        for kind in SCOPE_KINDS:
            spellings: dict[str, dict[str, str]] = defaultdict(dict)
            for post in reversed(self.posts):
                for label in post.labels(kind):
                    spellings[slugify(label)].setdefault(label, post.source)
            for slug, by_label in sorted(spellings.items()):
                if len(by_label) > 1:
                    listed = ", ".join(f"{label!r} ({source})" for label, source in sorted(by_label.items()))
                    problems.append(Problem(kind, slug, f"{listed} share the slug and are served as one feed"))
        return problems
