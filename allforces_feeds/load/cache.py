"""The load cache: what each post file's bytes gave (post and problems), kept in CACHE_DIR between starts.

A restart over unchanged files reads and hashes them but parses nothing. The cache file is named by a
hash of the loader's code, library versions and settings, so a change to any of them starts a new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from operator import attrgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from ..config import Config
from ..models import Parsed, Post, Problem
from ..sealed import seal, unseal, write_atomic

log = logging.getLogger(__name__)

# Bump when what a file's bytes give changes in a way the code fingerprint below would miss.
LOADER_VERSION = "3"
# A load cache that no start has written for this long (seconds) belongs to settings or code gone by.
STALE_AFTER = 86400
# The modules whose code shapes a loaded post (relative to the package): their bytes name the load cache.
_PACKAGE = Path(__file__).resolve().parent.parent
_LOADER_MODULES = (
    "load/parse.py", "load/fields.py", "load/jekyll.py", "load/limits.py", "load/simple_yaml.py", "typography.py",
    "dates.py", "errors.py", "models.py", "slugs.py", "text.py", "urls.py",
)  # fmt: skip


class LoadCache:
    """What each post file gave, by source and digest: one sealed JSON file per configuration and code."""

    def __init__(self, config: Config) -> None:
        """Name the cache file by code and settings (none without CACHE_DIR)."""
        self.path = None if config.cache_dir is None else config.cache_dir / "posts" / f"{_loader_salt(config)}.json"

    def read(self) -> dict[str, Any]:
        """The records of the last load, or nothing when there is no whole cache file."""
        if self.path is None:
            return {}
        try:
            payload = unseal(self.path.read_bytes())
            if payload is None:
                log.warning("load cache %s is damaged; every post is parsed again", self.path)
                return {}
            records = json.loads(payload)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("load cache %s cannot be read (%s); every post is parsed again", self.path, error)
            return {}
        return records if isinstance(records, dict) else {}

    def write(self, records: dict[str, Any]) -> None:
        """Keep these records for the next load; a cache that cannot be written is only a slower restart."""
        if self.path is None:
            return
        payload = json.dumps(records, ensure_ascii=False, separators=(",", ":"))
        try:
            write_atomic(self.path, seal(payload.encode()))
        except OSError as error:
            log.warning("load cache %s cannot be written: %s", self.path, error)
            return
        self._prune()

    def _prune(self) -> None:
        """Remove the load caches of other settings or code that no start has written for a day."""
        assert self.path is not None
        # Another replica may still run the other code: a day leaves it its cache through a rolling deploy.
        limit = time.time() - STALE_AFTER
        for other in self.path.parent.glob("*.json"):
            try:
                if other != self.path and other.stat().st_mtime < limit:
                    other.unlink()
            except OSError:
                continue


def _loader_salt(config: Config) -> str:
    """A hash of the loader's code and versions, and of every setting: any change starts a new cache file."""
    salt = hashlib.sha256(f"{LOADER_VERSION}\0{sys.version}\0{yaml.__version__}\0".encode())
    settings = {k: v for k, v in config.as_dict().items() if k not in ("cache_dir", "content_dir")}
    salt.update(json.dumps(settings, sort_keys=True).encode())
    for name in _LOADER_MODULES:
        try:
            salt.update((_PACKAGE / name).read_bytes())
        except OSError:
            salt.update(name.encode())
    return salt.hexdigest()[:32]


def _moment(value: datetime | None) -> list[Any] | None:
    """A datetime as JSON: naive ISO text and its zone (an IANA name, or a fixed offset in microseconds)."""
    if value is None:
        return None
    zone = value.tzinfo
    if not value.fold:
        if isinstance(zone, timezone):
            return [value.replace(tzinfo=None).isoformat(), zone.utcoffset(None) // _MICROSECOND]
        if isinstance(zone, ZoneInfo) and zone.key:
            return [value.replace(tzinfo=None).isoformat(), zone.key]
    raise ValueError(f"cannot keep {value!r}")


_MICROSECOND = timedelta(microseconds=1)
_ZONES: dict[str | int, Any] = {}


def _unmoment(data: list[Any] | None) -> datetime | None:
    """The datetime a _moment() list holds."""
    if data is None:
        return None
    naive, key = data
    zone = _ZONES.get(key)
    if zone is None:
        zone = _ZONES[key] = ZoneInfo(key) if isinstance(key, str) else timezone(timedelta(microseconds=key))
    return datetime.fromisoformat(naive).replace(tzinfo=zone)


# A record holds a Post's fields in the dataclass's order, but for those the loader knows otherwise:
# the file's source and digest are the record's key, and a parsed post's updated date is its published one.
_RECORDED = tuple(f.name for f in fields(Post) if f.name not in ("source", "digest", "updated"))
_recorded = attrgetter(*_RECORDED)


def encode_parsed(parsed: Parsed) -> Any:
    """A Parsed as JSON data; None (not kept) when it holds something JSON cannot carry exactly."""
    post = parsed.post
    try:
        values = None
        if post is not None:
            # finish() sets the updated date at load time; a parsed post's is its published date.
            assert post.updated is post.published
            values = [_encode_value(value) for value in _recorded(post)]
        modified = None if parsed.modified is None else [_moment(parsed.modified), parsed.modified_at]
        return [values, [[p.source, p.field, p.reason] for p in parsed.problems], modified]
    except ValueError:
        return None


def _encode_value(value: Any) -> Any:
    """One Post field as JSON data: dates as _moment(), label tuples as lists."""
    if isinstance(value, datetime):
        return _moment(value)
    return list(value) if isinstance(value, tuple) else value


def decode_parsed(record: Any, source: str, digest: str) -> Parsed | None:
    """The Parsed a record holds, or None when it does not hold one."""
    try:
        values, problems, modified = record
        post = None
        if values is not None:
            data = dict(zip(_RECORDED, values, strict=True))
            data["published"] = _unmoment(data["published"])
            data["tags"], data["categories"] = _shared(data["tags"]), _shared(data["categories"])
            post = Post(source=source, digest=digest, updated=data["published"], **data)
        found = tuple(Problem(*problem) for problem in problems) if problems else ()
        if modified is None:
            return Parsed(source, post, found)
        return Parsed(source, post, found, _unmoment(modified[0]), modified[1])
    except (KeyError, TypeError, ValueError):
        return None


_LABELS: dict[str, str] = {}


def _shared(labels: list[str]) -> tuple[str, ...]:
    """One string object per label spelling across all posts (JSON gives each occurrence its own)."""
    return tuple([_LABELS.setdefault(label, label) for label in labels])
