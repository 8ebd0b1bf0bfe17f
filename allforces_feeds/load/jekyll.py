"""What Jekyll derives for a post beyond its front matter: defaults, folder categories, a title from the slug.

Each rule follows Jekyll 4.3's Document (jekyll/document.rb) and FrontmatterDefaults
(jekyll/frontmatter_defaults.rb); the fixture sites in tests/fixtures/jekyll check them against Jekyll itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any


def with_defaults(site: Mapping[str, Any], source: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Front matter over the site's `defaults` whose scope matches this post, the most specific path last."""
    matching: list[tuple[int, Mapping[str, Any]]] = []
    for rule in site.get("defaults") or []:
        if not isinstance(rule, dict) or not isinstance(rule.get("values"), dict):
            continue
        scope: Mapping[str, Any] = rule["scope"] if isinstance(rule.get("scope"), dict) else {}
        if scope.get("type") not in (None, "posts"):
            continue
        path = str(scope.get("path") or "").strip("/")
        # FrontmatterDefaults#applies_path?: the scope's path is a folder the post's path starts in.
        if path and not (source == path or source.startswith(path + "/")):
            continue
        matching.append((len(path), rule["values"]))
    if not matching:
        return meta
    merged: dict[str, Any] = {}
    for _, values in sorted(matching, key=lambda pair: pair[0]):
        merged.update(values)
    merged.update(meta)
    return merged


def folder_categories(source: str) -> list[str]:
    """The folders above `_posts` (`ja/news/_posts/x.md` -> ja, news): Document#categories_from_path."""
    parts = PurePosixPath(source).parts
    return list(parts[: parts.index("_posts")]) if "_posts" in parts else []


def _listed(value: object) -> list[str]:
    """A category list or Jekyll's space-separated string, as text."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def categories(source: str, meta: Mapping[str, Any]) -> tuple[list[str], object]:
    """(the categories Jekyll builds the URL from, the value the feed lists: `category` alone when written).

    Folder categories are merged with `categories` (Document#merge_categories!), then the singular
    `category` is appended (Document#populate_categories); jekyll-feed lists `category` alone if present.
    """
    merged = list(dict.fromkeys([*folder_categories(source), *_listed(meta.get("categories"))]))
    single = meta.get("category")
    if single is not None:
        merged = list(dict.fromkeys([*merged, *_listed(single)]))
        return merged, _listed(single)
    return merged, merged


def titleize(slug: str) -> str:
    """A title from the file's slug, as Utils.titleize_slug: each "-"-separated word capitalized."""
    return " ".join(word[:1].upper() + word[1:].lower() for word in slug.split("-"))
