"""Settings: defaults, overrides from ALLFORCES_* variables, and bad values that stop startup."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from allforces_feeds.config import SETTINGS, load_config
from allforces_feeds.errors import ConfigError

from .conftest import CONTENT, ROOT


def test_defaults() -> None:
    config = load_config({}, CONTENT_DIR=str(CONTENT))
    assert config.site_url == "https://allforces.jp"
    assert config.public_url == config.site_url
    assert config.feed_limit == 20
    assert config.feed_max_age == 900
    assert config.site_language == "ja"
    assert str(config.site_timezone) == "Asia/Tokyo"
    assert config.tag_authority == "allforces.jp"


def test_environment_overrides() -> None:
    environ = {
        "ALLFORCES_CONTENT_DIR": str(CONTENT),
        "ALLFORCES_FEED_LIMIT": "5",
        "ALLFORCES_SITE_URL": "https://b.example/",
    }
    config = load_config(environ)
    assert config.feed_limit == 5
    assert config.site_url == "https://b.example"
    assert config.tag_authority == "b.example"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SITE_URL", "allforces.jp/blog"),
        ("PUBLIC_URL", "/feeds"),
        ("FEED_LIMIT", "0"),
        ("FEED_LIMIT", "many"),
        ("FEED_MAX_AGE", "-1"),
        ("SITE_TIMEZONE", "Mars/Olympus"),
        ("CONTENT_DIR", "/no/such/folder"),
        ("TAG_AUTHORITY", "a,b"),
    ],
)
def test_bad_values_name_the_setting_and_the_value(name: str, value: str) -> None:
    settings = {"CONTENT_DIR": str(CONTENT), name: value}
    with pytest.raises(ConfigError) as raised:
        load_config({}, **settings)
    assert f"ALLFORCES_{name}={value!r}" in str(raised.value)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`ALLFORCES_{setting.name}`" in readme


def test_bad_value_stops_startup_with_one_line() -> None:
    env = {**os.environ, "ALLFORCES_FEED_LIMIT": "0"}
    flask = [sys.executable, "-m", "flask", "--app", "app", "feeds", "check"]
    result = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "allforces-feeds: configuration error: ALLFORCES_FEED_LIMIT='0': expected a whole number from 1 to 1000"
    )
