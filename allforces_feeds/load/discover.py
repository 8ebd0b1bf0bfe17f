"""Which files are posts: every `**/_posts/**` of a Jekyll site, else every `**/*.md` (CONTRACT.md, Content)."""

from __future__ import annotations

import os
from pathlib import Path

# Jekyll reads posts written in Markdown with either extension (jekyllrb.com/docs/posts/).
POST_SUFFIXES = (".md", ".markdown")
# Folders Jekyll never reads posts from: its output, and what a site keeps for its tools.
SKIPPED_FOLDERS = frozenset({"_site", "_drafts", "node_modules", "vendor"})


def discover(content_dir: Path, exclude: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(source, path) of every post file, sorted by path parts, sources relative to CONTENT_DIR.

    A Jekyll site keeps posts in `_posts` folders at its root or below (`ja/news/_posts`, whose folders
    become categories); a folder without any `_posts` is a plain folder of Markdown posts.
    """
    root = os.fspath(content_dir)
    inside = _walk(root, (), POST_SUFFIXES, exclude, posts_only=True)
    found = inside if inside or os.path.isdir(os.path.join(root, "_posts")) else _walk(root, (), (".md",), exclude)
    found.sort()
    return [("/".join(parts), path) for parts, path in found]


def _walk(
    folder: str, parts: tuple[str, ...], suffixes: tuple[str, ...], exclude: tuple[str, ...], posts_only: bool = False
) -> list[tuple[tuple[str, ...], str]]:
    """The post files below folder, as Path.rglob("*") sees them: symlinked folders not entered."""
    try:
        with os.scandir(folder) as scan:
            entries = list(scan)
    except OSError:
        return []  # an unreadable folder is skipped, as rglob does
    found: list[tuple[tuple[str, ...], str]] = []
    in_posts = "_posts" in parts
    for entry in entries:
        name = entry.name
        if name.startswith(".") or name in SKIPPED_FOLDERS or (exclude and "/".join((*parts, name)) in exclude):
            continue
        if entry.is_dir(follow_symlinks=False):
            found += _walk(entry.path, (*parts, name), suffixes, exclude, posts_only)
        elif (in_posts or not posts_only) and name.endswith(suffixes) and entry.is_file():
            found.append(((*parts, name), entry.path))
    return found
