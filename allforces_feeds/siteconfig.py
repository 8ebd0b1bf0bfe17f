"""A Jekyll site's own configuration: `_config.yml` (and the files JEKYLL_CONFIG names), read as Jekyll does.

Jekyll merges its config files in order, later files winning key by key at the top level
(jekyllrb.com/docs/configuration/options/, `--config`). What a feed needs of it is mapped onto the
service's settings by SITE_KEYS; the rest (data, collections, defaults) stays available as `site`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError


def read_site_config(content_dir: Path, names: str) -> dict[str, Any]:
    """The merged config of a Jekyll site root; {} when CONTENT_DIR is a plain folder of posts."""
    merged: dict[str, Any] = {}
    for name in [part.strip() for part in names.split(",") if part.strip()]:
        path = content_dir / name
        if not path.is_file():
            if name == "_config.yml":
                continue  # not a Jekyll site root: a folder of posts
            raise ConfigError("JEKYLL_CONFIG", names, f"config files in CONTENT_DIR ({path} does not exist)")
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        except (OSError, ValueError, yaml.YAMLError) as error:
            reason = str(error).replace("\n", " ")[:200]
            raise ConfigError("JEKYLL_CONFIG", str(path), f"a readable YAML file ({reason})") from None
        if isinstance(data, dict):
            merged.update(data)
    return merged


def _author(site: Mapping[str, Any]) -> str | None:
    """site.author as jekyll-feed reads it: a name, or a mapping with a name."""
    author = site.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    return str(author) if author else None


def _site_url(site: Mapping[str, Any]) -> str | None:
    """url + baseurl: where Jekyll's absolute_url puts a site-relative path."""
    url = site.get("url")
    if not url:
        return None
    return str(url).rstrip("/") + "/" + str(site.get("baseurl") or "").strip("/")


def _permalink(site: Mapping[str, Any]) -> str | None:
    """The posts collection's permalink, else the site's (jekyllrb.com/docs/permalinks/)."""
    collections = site.get("collections")
    if isinstance(collections, dict) and isinstance(collections.get("posts"), dict):
        found = collections["posts"].get("permalink")
        if found:
            return str(found)
    return str(site["permalink"]) if site.get("permalink") else None


def _item_ids(site: Mapping[str, Any]) -> str | None:
    """jekyll-feed's ids when the site uses jekyll-feed, so that switching makes no item new."""
    plugins = [*(site.get("plugins") or []), *(site.get("gems") or [])]
    return "url" if "jekyll-feed" in [str(p) for p in plugins] else None


def _text(key: str) -> Callable[[Mapping[str, Any]], str | None]:
    """A reader of one top-level key as text."""
    return lambda site: str(site[key]) if site.get(key) not in (None, "") else None


def _feed(key: str) -> Callable[[Mapping[str, Any]], str | None]:
    """A reader of one key of jekyll-feed's `feed:` settings."""

    def read(site: Mapping[str, Any]) -> str | None:
        """The value, as text, or None."""
        feed = site.get("feed")
        return str(feed[key]) if isinstance(feed, dict) and feed.get(key) not in (None, "") else None

    return read


# Setting name -> how to read it from the site's config (None: the config does not say).
SITE_KEYS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "SITE_URL": _site_url,
    "SITE_TITLE": _text("title"),
    "SITE_DESCRIPTION": _text("description"),
    "SITE_LANGUAGE": _text("lang"),
    "SITE_AUTHOR": _author,
    "SITE_TIMEZONE": _text("timezone"),
    "PERMALINK": _permalink,
    "EXCERPT_SEPARATOR": _text("excerpt_separator"),
    "ITEM_IDS": _item_ids,
    "SITE_ICON": lambda site: _feed("icon")(site) or _text("icon")(site) or _text("favicon")(site),
    "SITE_LOGO": _text("logo"),
}
