"""Dates as Jekyll prints them: Ruby Time semantics (Time#to_s, strftime flags) in the site's timezone.

Jekyll sets TZ from _config.yml's `timezone`, so front-matter times and the date filters all show that zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser
from liquid import is_undefined
from liquid.exceptions import LiquidError

from allforces_feeds.body.liquid_state import STATE


class RubyTime(datetime):
    """A datetime that prints as Ruby's Time#to_s, which is what `{{ page.date }}` shows in Jekyll."""

    def __str__(self) -> str:
        """'2025-09-12 10:00:00 +0900'."""
        return self.strftime("%Y-%m-%d %H:%M:%S %z")


def site_tz(site: Mapping[str, Any]) -> tzinfo:
    """The `timezone` from _config.yml (Jekyll exports it as TZ), else the machine's local zone."""
    name = site.get("timezone")
    if name:
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return datetime.now().astimezone().tzinfo or UTC


def to_ruby_time(value: datetime, tz: tzinfo) -> RubyTime:
    """Aware datetimes keep their zone shown in the site zone; naive ones are site-local."""
    value = value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)
    return RubyTime.fromtimestamp(value.timestamp(), tz)


def with_ruby_times(value: Any, tz: tzinfo) -> Any:
    """Front matter with datetimes that print as Ruby Time#to_s ("2025-09-12 10:00:00 +0900")."""
    if isinstance(value, datetime):
        return to_ruby_time(value, tz)
    if isinstance(value, Mapping):
        return {k: with_ruby_times(v, tz) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [with_ruby_times(v, tz) for v in value]
    return value


def to_time(value: Any, tz: tzinfo) -> RubyTime | None:
    """Liquid::Utils.to_date + Jekyll's time(): Time/Date/epoch/parsable string -> Time in the site zone."""
    if isinstance(value, datetime):
        return to_ruby_time(value, tz)
    if isinstance(value, date):
        return RubyTime(value.year, value.month, value.day, tzinfo=tz)
    if isinstance(value, int) and not isinstance(value, bool):
        return RubyTime.fromtimestamp(value, tz)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    if text in ("now", "today"):
        return RubyTime.now(tz)
    if text.isdigit():
        return RubyTime.fromtimestamp(int(text), tz)
    try:
        return to_ruby_time(dateparser.parse(value), tz)
    except (ValueError, OverflowError):
        return None


STRFTIME = re.compile(r"%([-_0^#]*)(\d*)(:{0,2})([a-zA-Z%+])")
COMPOSITE = {
    "c": "%a %b %e %H:%M:%S %Y", "D": "%m/%d/%y", "x": "%m/%d/%y", "F": "%Y-%m-%d", "T": "%H:%M:%S",
    "X": "%H:%M:%S", "R": "%H:%M", "r": "%I:%M:%S %p", "+": "%a %b %e %H:%M:%S %Z %Y", "v": "%e-%^b-%Y",
}  # fmt: skip


def _numbers(t: datetime) -> dict[str, tuple[int, int, str]]:
    """Ruby's numeric conversions: (value, default width, default padding)."""
    hour12, iso = t.hour % 12 or 12, t.isocalendar()
    return {
        "Y": (t.year, 1, "0"), "C": (t.year // 100, 2, "0"), "y": (t.year % 100, 2, "0"),
        "m": (t.month, 2, "0"), "d": (t.day, 2, "0"), "e": (t.day, 2, " "), "j": (t.timetuple().tm_yday, 3, "0"),
        "H": (t.hour, 2, "0"), "k": (t.hour, 2, " "), "I": (hour12, 2, "0"), "l": (hour12, 2, " "),
        "M": (t.minute, 2, "0"), "S": (t.second, 2, "0"), "s": (int(t.timestamp()), 1, "0"),
        "u": (iso[2], 1, "0"), "w": (iso[2] % 7, 1, "0"), "U": (int(t.strftime("%U")), 2, "0"),
        "W": (int(t.strftime("%W")), 2, "0"), "G": (iso[0], 4, "0"), "g": (iso[0] % 100, 2, "0"),
        "V": (iso[1], 2, "0"),
    }  # fmt: skip


def _words(t: datetime) -> dict[str, str]:
    """Ruby's textual conversions."""
    am = t.hour < 12
    return {
        "B": t.strftime("%B"), "b": t.strftime("%b"), "h": t.strftime("%b"), "A": t.strftime("%A"),
        "a": t.strftime("%a"), "p": "AM" if am else "PM", "P": "am" if am else "pm", "Z": t.tzname() or "",
        "n": "\n", "t": "\t", "%": "%",
    }  # fmt: skip


def ruby_strftime(t: datetime, fmt: str) -> str:
    """Ruby's Time#strftime, including the - _ 0 ^ # flags and widths (`%-d`, `%e`, `%P`, `%L`, `%:z`)."""

    def conv(m: re.Match[str]) -> str:
        """One conversion specification."""
        flags, width, colons, c = m.groups()
        if c in COMPOSITE:
            text = ruby_strftime(t, COMPOSITE[c])
            return text.upper() if "^" in flags else text
        numeric = _numbers(t)
        if c in numeric:
            number, default_width, pad = numeric[c]
            pad = "" if "-" in flags else " " if "_" in flags else "0" if "0" in flags else pad
            return str(number).rjust(int(width or default_width), pad or " ") if pad else str(number)
        if c in "LN":  # fractional seconds: width = digits (default 3 for L, 9 for N)
            return f"{t.microsecond:06d}000"[: int(width or (3 if c == "L" else 9))].ljust(int(width or 0), "0")
        if c == "z":
            offset = t.strftime("%z") or "+0000"
            text = offset if not colons else offset[:3] + ":" + offset[3:5] + (":00" if colons == "::" else "")
        else:
            text = _words(t).get(c, m.group())
        if "^" in flags:
            text = text.upper()
        elif "#" in flags:
            text = text.lower() if c == "p" else text.swapcase()
        return text.rjust(int(width), "0" if "0" in flags else " ") if width else text

    return STRFTIME.sub(conv, fmt)


# ---------------------------------------------------------------------------------------------------------------
# Liquid's date filter and Jekyll's date_to_* filters (lib/jekyll/filters/date_filters.rb).


def _is_empty(value: Any) -> bool:
    """Undefined, nil or "" (which the date filters return unchanged)."""
    return is_undefined(value) or value is None or str(value) == ""


def _site_time(value: Any) -> RubyTime | None:
    """The value as a Time in the zone of the site being rendered (None if it is no date)."""
    return to_time(None if is_undefined(value) else value, site_tz(STATE.get().site.site))


def _date_input(value: Any, name: str) -> RubyTime:
    """Jekyll's time(input) for the date_to_* filters, raising on what is no date."""
    t = _site_time(value)
    if t is None:
        raise LiquidError(f"Invalid Date: '{value}' is not a valid datetime ({name}).", token=None)
    return t


def _ordinal(day: int) -> str:
    """Jekyll's ordinal suffix."""
    return "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _stringify_date(value: Any, month: str, kind: Any = None, style: Any = None) -> Any:
    """Jekyll's stringify_date behind date_to_string / date_to_long_string."""
    if _is_empty(value):
        return value
    t = _date_input(value, "date_to_string")
    if kind == "ordinal":
        day = f"{t.day}{_ordinal(t.day)}"
        return ruby_strftime(t, f"{month} {day}, %Y" if style == "US" else f"{day} {month} %Y")
    return ruby_strftime(t, f"%d {month} %Y")


def _liquid_date(value: Any, fmt: Any = None) -> Any:
    """Liquid's date filter with Ruby strftime: unparsable input or empty format returns the input."""
    value = None if is_undefined(value) else value
    if _is_empty(fmt):
        return value
    t = _site_time(value)
    return value if t is None else ruby_strftime(t, str(fmt))


def _formatted(fmt: str) -> Callable[[Any], Any]:
    """A Jekyll date filter printing its input with a fixed format (empty input returned unchanged)."""
    return lambda v: v if _is_empty(v) else ruby_strftime(_date_input(v, "date"), fmt)


DATE_FILTERS: dict[str, Callable[..., Any]] = {
    "date": _liquid_date,
    "date_to_xmlschema": _formatted("%Y-%m-%dT%H:%M:%S%:z"),
    "date_to_rfc822": _formatted("%a, %d %b %Y %H:%M:%S %z"),
    "date_to_string": lambda v, kind=None, style=None: _stringify_date(v, "%b", kind, style),
    "date_to_long_string": lambda v, kind=None, style=None: _stringify_date(v, "%B", kind, style),
}
