"""The service against real Jekyll 4.3 + jekyll-feed 0.17, item by item, on the fixture sites.

Each site is read the way a Jekyll user points the service at it: CONTENT_DIR is the site root and the
settings come from its _config.yml. Every field of every item must equal what jekyll-feed writes, but for
the deviations listed in KNOWN, each with the reason the service differs on purpose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from bench.jekyll_compare import link_key

from .jekyll import FIXTURES, SITES, Item, jekyll_build, jekyll_items, require_jekyll, service_items

# Fields compared; the summary is the service's own plain-text excerpt (CONTRACT.md, Feeds) and is not.
FIELDS = ("link", "id", "published", "updated", "title", "categories", "tags", "header_ids", "text")
KNOWN: dict[tuple[str, str], str] = {
    # CONTRACT.md: a naive YAML datetime is read in SITE_TIMEZONE; Ruby's YAML reads an unquoted one as UTC.
    ("naive-date.html", "published"): "contract",
    ("naive-date.html", "updated"): "contract",
    # CONTRACT.md: a "<" in a title is a character; jekyll-feed strips "<AI>" as if it were a tag.
    ("title-escapes.html", "title"): "contract",
    # CONTRACT.md: titles are plain text; jekyll-feed strips "<b>" from this one, the service keeps it.
    ("smart-title/", "title"): "titles as written",
    # Ruby's YAML 1.1 reads 38,500 in _data as the integer 38500; PyYAML keeps the string.
    ("liquid.html", "text"): "YAML 1.1 integers with commas",
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Item]]:
    """Every fixture site as real Jekyll + jekyll-feed build it."""
    require_jekyll()
    return {site: jekyll_items(jekyll_build(FIXTURES / site, tmp_path_factory.mktemp(site))) for site in SITES}


def known(link: str, field: str) -> bool:
    """Whether this item's field is one of the documented deviations."""
    return any(link.endswith(suffix) and field == name for suffix, name in KNOWN)


@pytest.mark.parametrize("site", SITES)
def test_every_item_is_as_jekyll_feed_writes_it(
    site: str, reference: dict[str, list[Item]], make_app: Callable[..., Flask]
) -> None:
    app = make_app(FIXTURES / site, SITE_URL=None, PUBLIC_URL=None, FEED_LIMIT="1000")
    served = {link_key(item.link): item for item in service_items(app.test_client().get("/atom.xml").data)}
    expected = reference[site]
    assert sorted(served) == sorted(link_key(item.link) for item in expected)
    differences = []
    for item in expected:
        actual = served[link_key(item.link)]
        for field in FIELDS:
            mine, theirs = getattr(actual, field), getattr(item, field)
            if field == "text":  # the visible text, white space aside (no-break spaces included)
                mine, theirs = "".join(mine.split()), "".join(theirs.split())
            if mine != theirs and not known(item.link, field):
                differences.append((item.link, field, theirs, mine))
    assert differences == []


def test_the_known_deviations_still_differ(reference: dict[str, list[Item]], make_app: Callable[..., Flask]) -> None:
    # A deviation that no longer shows is a stale entry: the list must say what really differs.
    seen = set()
    for site in SITES:
        app = make_app(FIXTURES / site, SITE_URL=None, PUBLIC_URL=None, FEED_LIMIT="1000")
        served = {link_key(item.link): item for item in service_items(app.test_client().get("/atom.xml").data)}
        for item in reference[site]:
            actual = served[link_key(item.link)]
            for suffix, field in KNOWN:
                if item.link.endswith(suffix) and getattr(actual, field) != getattr(item, field):
                    seen.add((suffix, field))
    assert seen == set(KNOWN)


def test_the_seed_post_links_as_jekyll_writes_it_in_tokyo(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    items = service_items(make_app().test_client().get("/atom.xml").data)
    seed = next(item for item in items if "morocco-mistral-ai" in item.link)
    # 2025-09-12 16:42:31 +0000 is 01:42 on the 13th in Tokyo (timezone: Asia/Tokyo).
    assert "/2025/09/13/morocco-mistral-ai.html" in seed.link
    assert dataclasses.asdict(seed)["published"] == "2025-09-12T16:42:31Z"
