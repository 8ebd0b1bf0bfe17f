"""What a post's body may read of the whole site through Liquid: config, _data, _includes, other posts' URLs."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..config import Config
from ..models import Post
from .kramdown import to_html
from .liquid import LiquidSite, load_data


@dataclass(frozen=True)
class BodySite:
    """The Liquid site of a set of posts, and a hash of everything in it (part of Liquid bodies' cache keys)."""

    liquid: LiquidSite
    fingerprint: str


def body_site(config: Config, posts: Iterable[Post]) -> BodySite:
    """The site as Liquid sees it: _config.yml (or the settings), site.data, and every post's URL by name."""
    root = config.content_dir
    site = {
        "title": config.site_title,
        "description": config.site_description,
        "lang": config.site_language,
        "timezone": config.site_timezone.key,
        **config.site,
        "data": load_data(root),
    }
    post_urls: dict[str, str] = {}
    link_urls: dict[str, str] = {}
    for post in posts:
        # {% post_url %} names a post by its path below _posts, without the extension (Jekyll's PostComparer).
        path = post.url.removeprefix(config.site_url) or "/"
        parts = PurePosixPath(post.source).parts
        below = parts[parts.index("_posts") + 1 :] if "_posts" in parts else parts
        post_urls["/".join(below).rsplit(".", 1)[0]] = path
        link_urls[post.source] = path
    digest = hashlib.sha256(json.dumps(site, sort_keys=True, default=str, ensure_ascii=False).encode())
    digest.update(json.dumps(sorted(post_urls.items()), ensure_ascii=False).encode())
    for folder, _, names in sorted(os.walk(root / "_includes")):
        for name in sorted(names):
            include = Path(folder) / name
            try:
                digest.update(include.as_posix().encode() + b"\0" + include.read_bytes())
            except OSError:
                continue
    liquid = LiquidSite(root=root, site=site, post_urls=post_urls, link_urls=link_urls, markdownify=to_html)
    return BodySite(liquid=liquid, fingerprint=digest.hexdigest())
