"""Every date form Jekyll posts use, read into aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from email.utils import format_datetime

# Jekyll's own form, "2025-09-12 16:42:31 +0000", which PyYAML leaves a string.
_JEKYLL = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


# What Ruby's Time.parse (Jekyll's Utils.parse_date) still reads when more follows the time, as in
# "2023-01-29 18:30:22 2023 -0800": the date and time, in the local zone; the rest is not a zone it takes.
_RUBY_LENIENT = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?()"
    r"(?=\s)(?!\s*(?:Z|[+-]\d{2}:?\d{2})$)"
)


def local_time(naive: datetime, zone: tzinfo) -> datetime:
    """A wall time in zone as Ruby's Time.local reads it across DST changes (Jekyll's dates).

    A time that happens twice (autumn) is the later one; a time that never happens (spring) is read
    with the offset before the change, so 02:30 in a 02:00-03:00 gap is 03:30 after it.
    """
    later = naive.replace(tzinfo=zone, fold=1)
    back = later.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return later if back == naive else naive.replace(tzinfo=zone, fold=0)


def parse_date(value: object, zone: tzinfo) -> datetime:
    """An aware datetime from a YAML value; a naive one or a bare date is read in zone."""
    if isinstance(value, datetime):
        return value if value.tzinfo else local_time(value, zone)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=zone)
    if not isinstance(value, str):
        raise ValueError(f"expected a date such as 2025-09-12 16:42:31 +0000, got {value!r}")
    stripped = value.strip()
    match = _JEKYLL.match(stripped) or _RUBY_LENIENT.match(stripped)
    if match is None:
        raise ValueError(f"expected a date such as 2025-09-12 16:42:31 +0000, got {value!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        parsed = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError as error:
        raise ValueError(f"impossible date {value!r} ({error})") from None
    if offset is None or offset == "":
        return local_time(parsed, zone)
    if offset == "Z":
        offset = "+00:00"
    written = offset[:3] + ":" + offset[-2:]
    fixed = _fixed_zone(written)
    if fixed is None:  # an offset of a day or more: fromisoformat says why
        return datetime.fromisoformat(parsed.isoformat() + written)
    return parsed.replace(tzinfo=fixed)


# "+09:00" -> the fixed zone fromisoformat gives it: a blog writes a handful of offsets on thousands of posts.
_FIXED_ZONES: dict[str, tzinfo] = {}


def _fixed_zone(offset: str) -> tzinfo | None:
    """The zone datetime.fromisoformat() reads from "+HH:MM", worked out once; None when it refuses the offset."""
    found = _FIXED_ZONES.get(offset)
    if found is None:
        try:
            found = datetime.fromisoformat("2000-01-01T00:00:00" + offset).tzinfo
        except ValueError:
            return None
        if found is not None:
            _FIXED_ZONES[offset] = found
    return found


def rfc3339(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, as JSON Feed and Atom want it; the same instant everywhere."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def http_date(moment: datetime) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7) for Last-Modified."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def japanese_date(moment: datetime, zone: tzinfo) -> str:
    """The date as a Japanese reader writes it, in zone: 2025年9月13日."""
    local = moment.astimezone(zone)
    return f"{local.year}年{local.month}月{local.day}日"
