"""Discovery: the index page, /feeds.json, /feeds.opml and a human page per scope (CONTRACT.md, Discovery)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pages", __name__)
