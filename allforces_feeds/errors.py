"""Errors that name what is wrong and where: the setting or file, the field, the value."""

from __future__ import annotations

from .models import Problem


class ConfigError(Exception):
    """A setting has a value the service cannot run with."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        """Name the setting, the value and what was expected."""
        super().__init__(f"ALLFORCES_{name}={value!r}: expected {expected}")
        self.name = name
        self.value = value
        self.expected = expected


class ContentError(Exception):
    """A post cannot be served: carries the Problem (file, field, reason) that says why."""

    def __init__(self, source: str, field: str, reason: str) -> None:
        """Name the setting, the value and what was expected."""
        self.problem = Problem(source, field, reason)
        super().__init__(str(self.problem))
