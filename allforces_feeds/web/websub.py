"""WebSub publishing (W3C Recommendation, 2018): after a reload, tell the hubs which feed URLs changed.

Runs where reloads run, the gunicorn master (or the one process without gunicorn), so each change is
announced once, not once per worker. A feed's bytes are a function of its scope's label, its archive paging,
its newest posts (every field, the file's SHA-256 among them) and, for a post with Liquid, the site it reads:
a feed whose inputs are unchanged is not announced. A feed whose inputs changed is built now (the workers
forked next inherit it) and announced when its ETag differs from the one this process last built, so an
edit that changes no byte of a feed (a comment in front matter) announces nothing once the feed was built.
"""

from __future__ import annotations

import logging
import time

from ..models import Scope
from ..render import FORMATS
from .http import Representation
from .hubs import Hubs
from .paths import wsgi_path
from .routes import Router

log = logging.getLogger(__name__)
# Building changed feeds to compare their bytes stops after this long; the rest are announced unbuilt.
CONFIRM_SECONDS = 2.0
Signature = tuple[object, ...]


class Publisher:
    """Finds the subscription feeds whose bytes changed since the last look, and announces them to the hubs."""

    def __init__(self, router: Router, hubs: Hubs) -> None:
        """What is served now is what subscribers have: remember it, announce nothing."""
        self.router = router
        self.hubs = hubs
        self._etags: dict[str, str] = {}
        self._signatures: dict[str, Signature] = {}
        self._signatures = self._look()[0]

    def _signature(self, scope: Scope) -> Signature:
        """Everything a scope's subscription feeds are made of, as comparable values."""
        latest = scope.latest(self.router.config.feed_limit)
        site = self.router.body_cache.site.fingerprint if any(post.liquid for post in latest) else ""
        return (scope.label, self.router.archive(scope).count, latest, site)

    def _look(self) -> tuple[dict[str, Signature], list[tuple[str, str]]]:
        """Every subscription feed's signature by URL, and the (URL, path) of those that differ from the last look."""
        urls = self.router.urls
        signatures: dict[str, Signature] = {}
        differ: list[tuple[str, str]] = []
        for scope in self.router.current().all_scopes():
            signature = self._signature(scope)
            for fmt in FORMATS.values():
                path = urls.feed_path(scope.kind, scope.slug, fmt.file)
                url = urls.public(path)
                signatures[url] = signature
                if self._signatures.get(url) != signature:
                    differ.append((url, path))
        return signatures, differ

    def changed(self) -> list[str]:
        """The subscription feed URLs whose bytes changed since the last call (removed feeds are not listed)."""
        self._signatures, differ = self._look()
        changed = []
        deadline = time.monotonic() + CONFIRM_SECONDS
        for url, path in differ:
            found = self.router.resolve(wsgi_path(path)) if time.monotonic() < deadline else None
            if isinstance(found, Representation):
                etag = found.variant("identity").etag
                if self._etags.get(url) == etag:
                    continue
                self._etags[url] = etag
            else:
                self._etags.pop(url, None)
            changed.append(url)
        return changed

    def publish(self) -> list[str]:
        """Announce every changed feed URL to every hub (in the background); the URLs announced."""
        changed = self.changed()
        if changed:
            log.info("websub: %d feed(s) changed; telling %d hub(s)", len(changed), len(self.hubs.clients))
            self.hubs.announce(changed, self.router.fingerprint)
        return changed
