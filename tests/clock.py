"""A clock the tests move by hand: "now" is whatever the test says."""

from __future__ import annotations

# 2026-01-01 00:00 UTC
NEW_YEAR = 1_767_225_600.0


class Clock:
    """Now, as the test set it; edits and scheduled posts are seen when the test moves it."""

    def __init__(self, now: float = NEW_YEAR) -> None:
        """Start at `now`."""
        self.now = now

    def __call__(self) -> float:
        """Now, as the test set it."""
        return self.now
