"""Embedding: /embed/latest.json (CORS), /embed/latest.html (iframe), /embed.js (CONTRACT.md, Embedding)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("embed", __name__)
