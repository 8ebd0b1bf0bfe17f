"""Errors that name what is wrong and where: the setting or file, the field, the value."""

from __future__ import annotations


class ConfigError(Exception):
    """A setting has a value the service cannot run with."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"ALLFORCES_{name}={value!r}: expected {expected}")
        self.name = name
        self.value = value
        self.expected = expected


class ContentError(Exception):
    """A post cannot be served; the message names the file, the field and the reason."""

    def __init__(self, source: str, field: str, reason: str) -> None:
        super().__init__(f"{source}: {field}: {reason}")
        self.source = source
        self.field = field
        self.reason = reason
