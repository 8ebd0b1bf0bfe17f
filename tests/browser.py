"""Headless Chromium (Debian's `chromium`) for page tests: dump the DOM after scripts ran, or a screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

# The flags that work on this machine's closed network (see the env notes): no background
# connections, no sandbox as root, a fresh profile each run.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=ja",
)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def chromium_path() -> str:
    """The Chromium binary, or a skip (a failure where ALLFORCES_REQUIRE_BROWSER=1, as in CI)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "Chromium is not installed (apt-get install chromium); browser tests skipped"
    if os.environ.get("ALLFORCES_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    print(reason)
    pytest.skip(reason)


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        command = [chromium_path(), *FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def dump_dom(url: str, budget_ms: int = 5000) -> str:
    """The serialized DOM after the page's scripts (and their fetches) had budget_ms of virtual time."""
    result = _run([f"--virtual-time-budget={budget_ms}", "--dump-dom", url])
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def screenshot(url: str, name: str, size: str = "1200,1600") -> Path:
    """A PNG of the page in tests/artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    result = _run(["--virtual-time-budget=3000", f"--window-size={size}", f"--screenshot={target}", url])
    assert result.returncode == 0 and target.exists(), result.stderr[-2000:]
    return target
