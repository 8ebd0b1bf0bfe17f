"""Cache files that are either whole or ignored: a checksum header, and atomic replacement."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

# Every cache file is sealed: a header naming the format and the SHA-256 of what follows, so that a
# truncated, corrupted or half-written file is recognised and never used.
_SEAL = b"allforces-cache 1 "


def seal(payload: bytes) -> bytes:
    """The payload behind a header that carries its checksum."""
    return _SEAL + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def unseal(data: bytes) -> bytes | None:
    """The payload of a sealed file, or None when the file is not whole."""
    header, _, payload = data.partition(b"\n")
    if not header.startswith(_SEAL) or header[len(_SEAL) :] != hashlib.sha256(payload).hexdigest().encode():
        return None
    return payload


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old file or the whole new one, never a part (POSIX rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
