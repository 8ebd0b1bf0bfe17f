"""When the service first saw each version of each post: the updated date of a post edited without last_modified_at.

A post's first version is dated by its front matter (updated = published: a new post is new, not edited); each
later version is dated by the moment a load first read its bytes. Never the file's mtime, which `git checkout`,
`git pull` and rsync without --times set to the moment of the copy. The record is one sealed JSON file in
CACHE_DIR (whole or ignored, replaced atomically), so restarts and replicas sharing the folder agree; without
CACHE_DIR it lives in this process only.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from ..sealed import seal, unseal, write_atomic

log = logging.getLogger(__name__)
# The first version of a post: dated by its front matter, not by when it was seen.
ORIGIN = 0.0
# Versions remembered per post: an edit reverted to one of these gets back the date it was first seen with.
VERSIONS_KEPT = 16
Versions = dict[str, float]


class FirstSeen:
    """source -> {SHA-256 of the file's bytes: when first seen (Unix time), or ORIGIN for the first version}."""

    def __init__(self, cache_dir: Path | None) -> None:
        """Read the record kept in CACHE_DIR/seen/posts.json, if any."""
        self.path = None if cache_dir is None else cache_dir / "seen" / "posts.json"
        self._seen: dict[str, Versions] = {}
        self._added: dict[str, Versions] = {}
        self._stamp: tuple[int, int] | None = None

    def refresh(self) -> None:
        """Take in what other processes sharing CACHE_DIR recorded since the last read (cheap when nothing did)."""
        if self.path is None:
            return
        stamp = _stamp(self.path)
        if stamp is not None and stamp != self._stamp:
            self._merge(self._read())
            self._stamp = stamp

    def updated(self, source: str, digest: str, now: datetime) -> datetime | None:
        """When these bytes of this post were first seen; None for the post's first version."""
        versions = self._seen.setdefault(source, {})
        moment = versions.get(digest)
        if moment is None:
            # A post never seen before is new (its own dates say when); a new version of a known one is an edit.
            moment = ORIGIN if not versions else now.timestamp()
            versions[digest] = moment
            self._added.setdefault(source, {})[digest] = moment
        return None if moment == ORIGIN else datetime.fromtimestamp(moment, UTC)

    def save(self) -> None:
        """Write what this load added, merged with what is on disk (the first writer's time wins)."""
        if self.path is None or not self._added:
            self._added = {}
            return
        on_disk = self._seen
        if self._stamp is None or self._stamp != _stamp(self.path):
            # Another process wrote since this one read: merge, so that nobody's record is lost.
            self._merge(self._read())
        for source, versions in self._added.items():
            for digest, moment in versions.items():
                on_disk.setdefault(source, {}).setdefault(digest, moment)
        self._added = {}
        for source, versions in on_disk.items():
            if len(versions) > VERSIONS_KEPT:
                on_disk[source] = dict(sorted(versions.items(), key=lambda item: item[1])[-VERSIONS_KEPT:])
        self._seen = on_disk
        payload = json.dumps(on_disk, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        try:
            write_atomic(self.path, seal(payload.encode()))
            self._stamp = _stamp(self.path)
        except OSError as error:
            # Kept in memory: dates stay right until a restart.
            log.warning("first-seen record %s cannot be written: %s", self.path, error)

    def _merge(self, other: dict[str, Versions]) -> None:
        """Take in another process's record; the earliest time of a version wins."""
        for source, versions in other.items():
            mine = self._seen.setdefault(source, {})
            for digest, moment in versions.items():
                mine[digest] = min(moment, mine.get(digest, moment))

    def _read(self) -> dict[str, Versions]:
        """The record on disk, or nothing when it is missing or not whole."""
        assert self.path is not None
        try:
            payload = unseal(self.path.read_bytes())
        except OSError:
            return {}
        try:
            found = json.loads(payload) if payload is not None else None
        except ValueError:
            found = None
        if not isinstance(found, dict):
            if payload is not None or self.path.exists():
                log.warning("first-seen record %s is damaged; edits are dated from now on", self.path)
            return {}
        return {
            source: {digest: float(moment) for digest, moment in versions.items()}
            for source, versions in found.items()
            if isinstance(versions, dict)
        }


def _stamp(path: Path) -> tuple[int, int] | None:
    """What changes when a file is replaced: its modification time and inode (None when it is missing)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_ino)
