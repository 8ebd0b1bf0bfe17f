"""Real Jekyll 4.3 + jekyll-feed 0.17 as a test oracle: build a site, read its feed, compare with the service's.

The parser lives in bench/jekyll_compare.py (shared with `python -m bench.jekyll_compare SITE_DIR`); this module
re-exports it and adds what tests need: the fixture sites and the skip-or-fail rule when Jekyll is missing.
Nothing here imports allforces_feeds: the service is reached only through its CLI.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.jekyll_compare import (
    FIELDS,
    Difference,
    ExportError,
    FieldResult,
    Item,
    JekyllError,
    Report,
    compare,
    header_ids,
    jekyll_available,
    jekyll_build,
    jekyll_items,
    parse_atom,
    read_config,
    service_env,
    service_export,
    service_items,
    utc,
    visible_text,
)

__all__ = [
    "FIELDS",
    "FIXTURES",
    "SITES",
    "Difference",
    "ExportError",
    "FieldResult",
    "Item",
    "JekyllError",
    "Report",
    "compare",
    "header_ids",
    "jekyll_available",
    "jekyll_build",
    "jekyll_items",
    "parse_atom",
    "read_config",
    "require_jekyll",
    "service_env",
    "service_export",
    "service_items",
    "utc",
    "visible_text",
]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "jekyll"
SITES = ("ja", "multi", "en")
REQUIRE = "ALLFORCES_REQUIRE_JEKYLL"


def require_jekyll() -> str:
    """The jekyll command's path; skip the test when it is missing, or fail when ALLFORCES_REQUIRE_JEKYLL=1."""
    path = jekyll_available()
    if path is None:
        reason = "jekyll is not installed (Debian: apt-get install jekyll ruby-jekyll-feed)"
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{reason}, and {REQUIRE}=1 requires it")
        pytest.skip(reason)
    return path
