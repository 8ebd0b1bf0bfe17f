"""Fixtures: apps over the bundled content or a folder of posts, their clients, and a CLI runner."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from allforces_feeds import create_app

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SITE_URL = "https://allforces.jp"
PUBLIC_URL = "https://feeds.allforces.jp"


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Flask]:
    """Build an app over a content folder with settings overridden."""

    def make(content_dir: Path = CONTENT, clock: Callable[[], float] = time.time, **settings: Any) -> Flask:
        config = {
            "CONTENT_DIR": str(content_dir),
            "CACHE_DIR": str(tmp_path / "cache"),
            "SITE_URL": SITE_URL,
            "PUBLIC_URL": PUBLIC_URL,
            **settings,
        }
        # A setting given as None is left unset: the site's _config.yml or the default decides it.
        app = create_app({name: value for name, value in config.items() if value is not None}, clock)
        app.config["TESTING"] = True
        return app

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app over the bundled content."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the bundled-content app."""
    return app.test_client()


@pytest.fixture
def posts_dir(tmp_path: Path) -> Callable[..., Path]:
    """Write posts into a fresh _posts folder: write(name, front_matter_yaml, body)."""
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)

    def write(name: str, front_matter: str, body: str = "本文です。") -> Path:
        path = root / "_posts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{textwrap.dedent(front_matter).strip()}\n---\n{body}\n", encoding="utf-8")
        return root

    return write


@pytest.fixture
def parsed_sources(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The source of every post file parsed from now on (not taken from the load cache)."""
    from allforces_feeds.load import loader

    parsed: list[str] = []
    original = loader.parse_post

    def counting(raw: bytes, digest: str, source: str, *args: Any) -> Any:
        parsed.append(source)
        return original(raw, digest, source, *args)

    monkeypatch.setattr(loader, "parse_post", counting)
    return parsed


def settings(cache: Path | str, content_dir: Path = CONTENT, **more: str) -> dict[str, str]:
    """Settings over a content folder with a cache folder ("" for none)."""
    return {
        "CONTENT_DIR": str(content_dir),
        "CACHE_DIR": str(cache),
        "SITE_URL": SITE_URL,
        "PUBLIC_URL": PUBLIC_URL,
        **more,
    }


def damage_truncate(data: bytes, other: bytes) -> bytes:
    return data[: len(data) // 2]


def damage_flip(data: bytes, other: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x20]) + data[middle + 1 :]


def damage_empty(data: bytes, other: bytes) -> bytes:
    return b""
