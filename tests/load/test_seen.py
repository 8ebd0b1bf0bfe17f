"""The first-seen record: a post's first version is dated by itself, each later version by its first sight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from allforces_feeds.load.seen import FirstSeen
from allforces_feeds.web.served import ServedSince

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_first_version_is_not_an_edit_and_later_versions_are_dated(tmp_path: Path) -> None:
    """A new post is None (its own dates), an edit the moment it was first seen, the same on every later look."""
    seen = FirstSeen(tmp_path)
    assert seen.updated("_posts/a.md", "v1", T0) is None
    assert seen.updated("_posts/a.md", "v2", T0 + timedelta(hours=1)) == T0 + timedelta(hours=1)
    assert seen.updated("_posts/a.md", "v2", T0 + timedelta(hours=5)) == T0 + timedelta(hours=1)
    assert seen.updated("_posts/a.md", "v1", T0 + timedelta(hours=6)) is None


def test_the_record_outlives_the_process_and_is_shared(tmp_path: Path) -> None:
    """Another process (a restart, a replica) sharing CACHE_DIR gets the same dates; the first writer wins."""
    first = FirstSeen(tmp_path)
    first.refresh()
    first.updated("_posts/a.md", "v1", T0)
    first.updated("_posts/a.md", "v2", T0 + timedelta(minutes=3))
    first.save()
    other = FirstSeen(tmp_path)
    other.refresh()
    assert other.updated("_posts/a.md", "v2", T0 + timedelta(days=1)) == T0 + timedelta(minutes=3)
    assert other.updated("_posts/a.md", "v1", T0 + timedelta(days=1)) is None


def test_a_damaged_record_is_ignored(tmp_path: Path) -> None:
    """A torn file is never read as dates: edits are dated from now on."""
    first = FirstSeen(tmp_path)
    first.updated("_posts/a.md", "v1", T0)
    first.save()
    assert first.path is not None
    first.path.write_bytes(first.path.read_bytes()[:-3])
    again = FirstSeen(tmp_path)
    again.refresh()
    assert again.updated("_posts/a.md", "v1", T0) is None


def test_served_since_dates_every_etag_but_a_urls_first(tmp_path: Path) -> None:
    """A URL's first bytes are undated; each new ETag gets its first serving, the same in every process."""
    served = ServedSince(tmp_path)
    now = T0.timestamp()
    assert served.since("/feed.xml", '"e1"', now) is None
    assert served.since("/feed.xml", '"e2"', now + 60) == T0 + timedelta(seconds=60)
    assert ServedSince(tmp_path).since("/feed.xml", '"e2"', now + 999) == T0 + timedelta(seconds=60)
    assert ServedSince(tmp_path).since("/other.xml", '"e2"', now + 999) is None
    assert ServedSince(None).since("/feed.xml", '"e3"', now) is None
