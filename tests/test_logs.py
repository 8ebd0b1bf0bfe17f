"""The one log format: time, process, level, logger, message, and the post being worked on."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from allforces_feeds import logs


@pytest.fixture
def handler(capsys: pytest.CaptureFixture[str]) -> Iterator[logging.Handler]:
    """logs.configure() for one test, undone after it (its stream is this test's captured stderr)."""
    logger = logging.getLogger(logs.LOGGER)
    level = logger.level
    handler = logs.configure()
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_records_carry_time_level_and_the_post(handler: logging.Handler, capsys: pytest.CaptureFixture[str]) -> None:
    assert logs.configure() is handler  # idempotent
    log = logging.getLogger("allforces_feeds.body.cache")
    with logs.post_context("_posts/2025-01-01-x.md"):
        log.warning("rendering failed")
        log.warning("_posts/2025-01-01-x.md cannot be read")  # already named: not twice
    log.warning("no post here")
    err = capsys.readouterr().err
    lines = err.splitlines()[-3:]
    stamp = r"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}\] \[\d+\] \[WARNING\] allforces_feeds\.body\.cache: "
    assert all(re.match(stamp, line) for line in lines), lines
    assert lines[0].endswith("rendering failed (post _posts/2025-01-01-x.md)")
    assert lines[1].endswith("_posts/2025-01-01-x.md cannot be read")
    assert lines[2].endswith("no post here")
