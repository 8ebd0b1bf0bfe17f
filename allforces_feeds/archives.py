"""RFC 5005 archived feeds: a scope's posts cut into archive documents of fixed size, numbered from the oldest.

Numbering from the oldest post keeps a full page's posts fixed while new posts arrive, so a full page never
changes (§4: archive documents "SHOULD NOT change"). The subscription feed holds the newest FEED_LIMIT posts; a
scope that fits in it is complete (§2, fh:complete) and has no archive. The newest posts not on a full page
are in the subscription feed, unless there are more of them than it holds: then they form one partial page,
the newest, which fills up in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Post, Scope


@dataclass(frozen=True)
class ArchivePage:
    """One archive document: its number (1 is the oldest), its posts newest first, and whether it is full."""

    number: int
    posts: tuple[Post, ...]
    full: bool


@dataclass(frozen=True)
class Archive:
    """How a scope's posts are paged: how many archive pages, of what size, or none when it is complete."""

    scope: Scope
    size: int
    count: int

    @property
    def complete(self) -> bool:
        """Whether the subscription feed holds every post of the scope (§2)."""
        return self.count == 0

    def page(self, number: int) -> ArchivePage | None:
        """Archive page `number` (1 to count), or None."""
        if not 1 <= number <= self.count:
            return None
        total = len(self.scope.posts)
        # scope.posts is newest first: the oldest-first chunk [start, end) is a slice from the end.
        start, end = (number - 1) * self.size, min(number * self.size, total)
        return ArchivePage(number, self.scope.posts[total - end : total - start], end - start == self.size)


def archive_of(scope: Scope, feed_limit: int, size: int) -> Archive:
    """The archive pages of a scope whose subscription feed holds its newest `feed_limit` posts."""
    total = len(scope.posts)
    if total <= feed_limit:
        return Archive(scope, size, 0)
    full, rest = divmod(total, size)
    # The `rest` newest posts are on no full page: a partial page holds them unless the subscription feed does.
    return Archive(scope, size, full + (1 if rest > feed_limit else 0))
