"""RFC 5005 paging as pure functions: every post on the subscription feed or an archive page, full pages fixed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allforces_feeds.archives import Archive, archive_of
from allforces_feeds.models import SITE, Post, Scope

START = datetime(2020, 1, 1, tzinfo=UTC)
TOTALS = st.integers(min_value=0, max_value=250)
LIMITS = st.integers(min_value=1, max_value=40)
SIZES = st.integers(min_value=1, max_value=40)


def post(n: int) -> Post:
    """The n-th post ever written (a higher n is newer)."""
    published = START + timedelta(hours=n)
    return Post(
        source=f"_posts/{n:05d}.md",
        id=f"tag:example.org,2020:{n}",
        url=f"https://example.org/{n:05d}.html",
        title=f"post {n}",
        published=published,
        updated=published,
        author="著者",
        tags=(),
        categories=(),
        excerpt=None,
        reading_time=1,
        image=None,
        digest=f"{n:064x}",
    )


def scope_of(total: int) -> Scope:
    """The site with `total` posts, newest first, as the index holds them."""
    return Scope(SITE, "", "site", tuple(post(n) for n in reversed(range(total))))


def pages(archive: Archive) -> list[tuple[Post, ...]]:
    """The posts of every archive page, page 1 (the oldest) first."""
    found = []
    for number in range(1, archive.count + 1):
        page = archive.page(number)
        assert page is not None and page.number == number
        found.append(page.posts)
    return found


@given(TOTALS, LIMITS, SIZES)
def test_the_subscription_feed_and_the_pages_hold_every_post_and_nothing_else(
    total: int, limit: int, size: int
) -> None:
    """The union of the newest `limit` posts and every page is the scope's posts; pages do not overlap."""
    scope = scope_of(total)
    archive = archive_of(scope, limit, size)
    on_pages = [p for page in pages(archive) for p in page]
    assert len(on_pages) == len(set(on_pages))
    assert set(scope.latest(limit)) | set(on_pages) == set(scope.posts)


@given(TOTALS, LIMITS, SIZES)
def test_pages_are_oldest_first_slices_and_all_but_the_newest_full(total: int, limit: int, size: int) -> None:
    """Page n holds posts (n-1)*size .. n*size-1 counted from the oldest, newest first; only the last may be short."""
    scope = scope_of(total)
    archive = archive_of(scope, limit, size)
    oldest_first = scope.posts[::-1]
    for number, posts in enumerate(pages(archive), start=1):
        assert posts == tuple(reversed(oldest_first[(number - 1) * size : number * size]))
        page = archive.page(number)
        assert page is not None and page.full == (len(posts) == size)
        if number < archive.count:
            assert page.full
        elif not page.full:
            # A partial newest page exists only for posts the subscription feed cannot hold.
            assert len(posts) > limit
    # What is on no page fits in the subscription feed.
    assert total - sum(map(len, pages(archive))) <= limit


@given(TOTALS, LIMITS, SIZES, st.integers(min_value=1, max_value=100))
def test_a_full_page_keeps_its_posts_when_newer_posts_arrive(total: int, limit: int, size: int, more: int) -> None:
    """Numbered from the oldest, a full page holds the same posts however many newer posts come later."""
    before = archive_of(scope_of(total), limit, size)
    after = archive_of(scope_of(total + more), limit, size)
    assert after.count >= before.count
    for number in range(1, before.count + 1):
        page = before.page(number)
        assert page is not None
        if page.full:
            assert after.page(number) == page


@given(TOTALS, LIMITS, SIZES)
def test_complete_exactly_when_the_subscription_feed_holds_every_post(total: int, limit: int, size: int) -> None:
    """fh:complete (no archive pages) iff total <= FEED_LIMIT; otherwise at least one page."""
    archive = archive_of(scope_of(total), limit, size)
    assert archive.complete == (total <= limit)
    assert (archive.count == 0) == archive.complete


@given(TOTALS, LIMITS, SIZES, st.integers(min_value=-5, max_value=5))
def test_no_page_outside_one_to_count(total: int, limit: int, size: int, offset: int) -> None:
    """page(0), page(count + 1) and any other number outside 1..count is None."""
    archive = archive_of(scope_of(total), limit, size)
    assert archive.page(0) is None and archive.page(archive.count + 1) is None
    outside = archive.count + 1 + abs(offset) if offset >= 0 else offset
    assert archive.page(outside) is None


@pytest.mark.parametrize(
    ("total", "limit", "size", "count", "sizes"),
    [
        (20, 20, 20, 0, []),  # fits: complete
        (21, 20, 20, 1, [20]),  # the newest post is only in the subscription feed
        (40, 20, 20, 2, [20, 20]),
        (7, 3, 3, 2, [3, 3]),
        (9, 2, 5, 2, [5, 4]),  # 4 left over > FEED_LIMIT 2: a partial page
        (7, 2, 5, 1, [5]),  # 2 left over fit in the subscription feed
        (4, 3, 10, 1, [4]),  # fewer than one page, more than the feed: one partial page
    ],
)
def test_known_shapes(total: int, limit: int, size: int, count: int, sizes: list[int]) -> None:
    """A few worked examples of the paging rule."""
    archive = archive_of(scope_of(total), limit, size)
    assert archive.count == count
    assert [len(page) for page in pages(archive)] == sizes
