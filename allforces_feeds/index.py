"""The immutable index: visible posts newest first and every scope; the one place that knows "now"."""

from __future__ import annotations

import bisect
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .models import SCOPE_KINDS, SITE, Post, Problem, Scope
from .slugs import slugify


def _label_for(spellings: Counter[str]) -> str:
    """The spelling most posts use; ties go to the first in code point order."""
    return min(spellings.items(), key=lambda item: (-item[1], item[0]))[0]


@dataclass(frozen=True)
class Snapshot:
    """Everything visible at one moment; built once per set of visible posts."""

    site: Scope
    scopes: dict[str, dict[str, Scope]]

    @property
    def posts(self) -> tuple[Post, ...]:
        """Every visible post, newest first."""
        return self.site.posts

    @classmethod
    def build(cls, posts: tuple[Post, ...], site_title: str) -> Snapshot:
        """Group posts (already newest first) into scopes, slugs in code point order."""
        scopes: dict[str, dict[str, Scope]] = {}
        for kind in SCOPE_KINDS:
            # By spelling first: a few hundred labels on thousands of posts, each slugged once.
            by_label: dict[str, list[Post]] = {}
            for post in posts:
                for label in post.labels(kind):
                    found = by_label.get(label)
                    if found is None:
                        by_label[label] = [post]
                    else:
                        found.append(post)
            spellings: dict[str, list[str]] = defaultdict(list)
            for label in by_label:
                spellings[slugify(label)].append(label)
            scopes[kind] = {}
            for slug in sorted(spellings):
                labels = spellings[slug]
                if len(labels) == 1:
                    label, members = labels[0], tuple(by_label[labels[0]])
                else:  # spellings that share a slug (reported as a collision): their posts in post order
                    label = _label_for(Counter({label: len(by_label[label]) for label in labels}))
                    members = tuple(post for post in posts for each in post.labels(kind) if slugify(each) == slug)
                scopes[kind][slug] = Scope(kind, slug, label, members)
        return cls(site=Scope(SITE, "", site_title, posts), scopes=scopes)

    def scope(self, kind: str, slug: str) -> Scope | None:
        """The site (kind SITE) or a tag, category or author scope by its canonical slug."""
        if kind == SITE:
            return self.site
        return self.scopes.get(kind, {}).get(slug)

    def all_scopes(self) -> Iterator[Scope]:
        """Every scope with feeds: the site first, then each scope kind in table order, slugs sorted."""
        yield self.site
        for kind in SCOPE_KINDS:
            yield from self.scopes[kind].values()


class Catalog:
    """All loaded posts; hands out the Snapshot of what is visible at a moment (scheduled posts appear)."""

    def __init__(self, posts: Iterable[Post], site_title: str) -> None:
        """Sort the posts newest first and index their publication instants."""
        self.posts: tuple[Post, ...] = tuple(sorted(posts, key=lambda p: p.sort_key))
        self.site_title = site_title
        # Publication instants, oldest first, to count how many posts are visible at a moment.
        self._instants = sorted(p.published.timestamp() for p in self.posts)
        self._lock = threading.Lock()
        # The snapshot in force, its post count, and the span [since, until) in which it is what is visible.
        self._cached: tuple[float, float, int, Snapshot] | None = None

    def snapshot(self, now: float) -> Snapshot:
        """The snapshot of posts published at `now`, built once per set of visible posts."""
        cached = self._cached
        if cached is not None and cached[0] <= now < cached[1]:
            return cached[3]
        with self._lock:
            count = bisect.bisect_right(self._instants, now)
            since = self._instants[count - 1] if count else float("-inf")
            until = self._instants[count] if count < len(self._instants) else float("inf")
            cached = self._cached
            if cached is None or cached[2] != count:
                # Newest first: the posts published by `now` are the last `count` (the instants are theirs).
                visible = self.posts[len(self.posts) - count :]
                cached = (since, until, count, Snapshot.build(visible, self.site_title))
            self._cached = (since, until, count, cached[3])
            return cached[3]

    def next_after(self, now: float) -> float | None:
        """The publication instant of the next post dated after `now`, or None."""
        index = bisect.bisect_right(self._instants, now)
        return self._instants[index] if index < len(self._instants) else None

    def scheduled(self, now: float) -> int:
        """How many posts are dated after `now`."""
        return len(self.posts) - bisect.bisect_right(self._instants, now)

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
