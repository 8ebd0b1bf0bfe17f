"""Rendered post bodies, kept in memory and keyed by everything that shapes them."""

from __future__ import annotations

import hashlib

from .config import Config
from .markup import RENDERER_VERSION, render
from .models import Post, Rendered


class RenderCache:
    """Renders each post once: key = renderer version, settings that shape the HTML, file bytes."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._salt = f"{RENDERER_VERSION}\0{config.site_url}\0{config.excerpt_length}"
        self._memory: dict[str, Rendered] = {}

    def key(self, post: Post) -> str:
        """The cache key of one post's rendering."""
        return hashlib.sha256(f"{self._salt}\0{post.digest}".encode()).hexdigest()

    def rendered(self, post: Post) -> Rendered:
        """The post's HTML and summary, rendered on first use."""
        key = self.key(post)
        found = self._memory.get(key)
        if found is None:
            found = self._memory[key] = render(post, self.config.site_url, self.config.excerpt_length)
        return found
