"""When each representation's current bytes were first served: the floor of its Last-Modified (issue 11).

RFC 9110 §8.8.2 asks Last-Modified to be "the date and time at which the origin server believes the selected
representation was last modified". The newest item's date misses a backdated post and an edit, so a client that
sends only If-Modified-Since would get 304 for new bytes (§13.1.3). So Last-Modified is the later of that date
and the moment these bytes were first served at this URL. A URL's first bytes ever are dated by their items
alone (an unchanged service restarted on an empty cache keeps its dates); each later ETag by its first serving.

One small file per (URL, ETag) under CACHE_DIR/served/, created by link(2) so that the first writer wins in
every worker and replica sharing the folder: they all send the same Last-Modified for the same bytes.
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)
ORIGIN = "origin"
# ETags remembered per URL; the oldest are removed (a URL reverted to one of them gets back its date).
KEPT_PER_URL = 8


class ServedSince:
    """(URL key, ETag) -> when first served, in CACHE_DIR/served; without CACHE_DIR, nothing is dated."""

    def __init__(self, cache_dir: Path | None) -> None:
        """Keep the folder: CACHE_DIR/served."""
        self.folder = None if cache_dir is None else cache_dir / "served"

    def since(self, key: str, etag: str, now: float) -> datetime | None:
        """When these bytes were first served at this key; None for its first bytes ever, or without CACHE_DIR."""
        if self.folder is None:
            return None
        folder = self.folder / hashlib.sha256(key.encode()).hexdigest()[:32]
        entry = folder / etag.strip('"')
        try:
            return _moment(entry.read_text())
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("served record %s cannot be read: %s", entry, error)
            return None
        try:
            earlier = [name for name in os.listdir(folder) if not name.startswith(".")]
        except FileNotFoundError:
            earlier = []
        try:
            _create(entry, repr(now) if earlier else ORIGIN)
            if len(earlier) >= KEPT_PER_URL:
                _prune(folder, entry.name)
            return _moment(entry.read_text())
        except OSError as error:
            # Only dates are lost: Last-Modified falls back to the newest item's date.
            log.warning("served record %s cannot be written: %s", entry, error)
            return None


def _moment(text: str) -> datetime | None:
    """The time a record holds; None for ORIGIN or a damaged record."""
    try:
        return None if text == ORIGIN else datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError):
        return None


def _create(entry: Path, text: str) -> None:
    """Write the record unless another process did first (link(2) fails on an existing name)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    temporary = entry.with_name(f".{entry.name}.{os.getpid()}.{os.urandom(4).hex()}")
    temporary.write_text(text)
    try:
        os.link(temporary, entry)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


def _prune(folder: Path, keep: str) -> None:
    """Remove the oldest records of a URL beyond KEPT_PER_URL."""
    entries = []
    for name in os.listdir(folder):
        if not name.startswith(".") and name != keep:
            try:
                entries.append((os.stat(folder / name).st_mtime_ns, name))
            except OSError:
                continue
    for _, name in sorted(entries)[: max(0, len(entries) - KEPT_PER_URL + 1)]:
        (folder / name).unlink(missing_ok=True)
