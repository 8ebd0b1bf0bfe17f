"""Which files are posts: `_posts/**` when the site has one, else every `**/*.md` (CONTRACT.md, Content)."""

from __future__ import annotations

import os
from pathlib import Path

# Jekyll reads posts written in Markdown with either extension (jekyllrb.com/docs/posts/).
POST_SUFFIXES = (".md", ".markdown")


def discover(content_dir: Path) -> list[tuple[str, str]]:
    """(source, path) of every post file, in the order of sorted(Path.rglob("*")): part by part."""
    posts_dir = os.path.join(content_dir, "_posts")
    prefix: tuple[str, ...]
    suffixes: tuple[str, ...]
    if os.path.isdir(posts_dir):
        root, prefix, suffixes = posts_dir, ("_posts",), POST_SUFFIXES
    else:
        root, prefix, suffixes = os.fspath(content_dir), (), (".md",)
    found: list[tuple[tuple[str, ...], str]] = []

    def walk(folder: str, parts: tuple[str, ...]) -> None:
        """Collect the post files below folder, as Path.rglob("*") would see them."""
        # As Path.rglob("*") in Python 3.11: symlinked folders are not entered, unreadable ones skipped.
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError:
            return
        for entry in entries:
            name = entry.name
            if name.startswith((".", "_drafts")):
                continue
            if name.endswith(suffixes) and entry.is_file():
                found.append(((*parts, name), entry.path))
            elif entry.is_dir(follow_symlinks=False):
                walk(entry.path, (*parts, name))

    walk(root, prefix)
    found.sort()
    return [("/".join(parts), path) for parts, path in found]
