"""What Jekyll derives for a post beyond its front matter: defaults, folder categories, a title from the slug.

Each rule follows Jekyll 4.3's Document (jekyll/document.rb) and FrontmatterDefaults
(jekyll/frontmatter_defaults.rb); the fixture sites in tests/fixtures/jekyll check them against Jekyll itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from functools import lru_cache
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
        if path and not _applies(path, source):
            continue
        matching.append((len(path), rule["values"]))
    if not matching:
        return meta
    merged: dict[str, Any] = {}
    for _, values in sorted(matching, key=lambda pair: pair[0]):
        merged.update(values)
    merged.update(meta)
    return merged


def _applies(path: str, source: str) -> bool:
    """FrontmatterDefaults#applies_path?: the post lies in the scope's folder, which may be a glob ("*/_posts")."""
    if "*" not in path and "?" not in path and "[" not in path:
        return source == path or source.startswith(path + "/")
    # A glob names folders on disk (Dir.glob: "*" stays within one path segment); the post must lie in one.
    wanted, parts = PurePosixPath(path).parts, PurePosixPath(source).parts
    return len(parts) >= len(wanted) and all(fnmatchcase(p, w) for p, w in zip(parts, wanted, strict=False))


def folder_categories(source: str) -> list[str]:
    """The folders above `_posts` (`ja/news/_posts/x.md` -> ja, news): Document#categories_from_path."""
    folder, _, name = source.rpartition("/")
    # The posts of a folder share its categories: worked out once a folder (a file named _posts is no folder).
    return list(_before_posts(source if name == "_posts" else folder))


@lru_cache(maxsize=1024)
def _before_posts(path: str) -> tuple[str, ...]:
    """The parts of a path before its first `_posts` part, if it has one."""
    parts = PurePosixPath(path).parts
    return parts[: parts.index("_posts")] if "_posts" in parts else ()


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
        # Utils.pluralized_array_from_hash takes the singular value whole: "auto generated" is one category.
        named = [str(item) for item in single] if isinstance(single, list) else [str(single)]
        merged = list(dict.fromkeys([*merged, *named]))
        return merged, named
    return merged, merged


def titleize(slug: str) -> str:
    """A title from the file's slug, as Utils.titleize_slug: each "-"-separated word capitalized."""
    return " ".join(word[:1].upper() + word[1:].lower() for word in slug.split("-"))
