"""Our own checks of feeds: JSON Feed 1.1 (no validator library exists) and item identity across formats."""

from __future__ import annotations

import calendar
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TOP_LEVEL = {
    "version", "title", "home_page_url", "feed_url", "description", "user_comment", "next_url",
    "icon", "favicon", "authors", "author", "language", "expired", "hubs", "items",
}  # fmt: skip
ITEM_FIELDS = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
    "banner_image", "date_published", "date_modified", "authors", "author", "tags", "language",
    "attachments",
}  # fmt: skip


def _absolute(url: object) -> bool:
    return isinstance(url, str) and urlsplit(url).scheme in ("http", "https") and bool(urlsplit(url).netloc)


def json_feed_errors(body: bytes) -> list[str]:
    """Every way the body breaks JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    errors: list[str] = []
    try:
        feed: dict[str, Any] = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return [f"not JSON: {error}"]
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        errors.append(f"version is {feed.get('version')!r}")
    if not isinstance(feed.get("title"), str) or not feed["title"]:
        errors.append("title missing")
    for key in ("home_page_url", "feed_url"):
        if key in feed and not _absolute(feed[key]):
            errors.append(f"{key} not absolute: {feed[key]!r}")
    errors += [f"unknown top-level key {k!r}" for k in feed if k not in TOP_LEVEL and not k.startswith("_")]
    items = feed.get("items")
    if not isinstance(items, list):
        return [*errors, "items is not a list"]
    ids = [item.get("id") for item in items]
    if len(set(map(str, ids))) != len(ids):
        errors.append("duplicate item ids")
    for n, item in enumerate(items):
        where = f"items[{n}]"
        if not isinstance(item.get("id"), str) or not item["id"]:
            errors.append(f"{where}.id must be a non-empty string")
        if "content_html" not in item and "content_text" not in item:
            errors.append(f"{where} has neither content_html nor content_text")
        for key in ("date_published", "date_modified"):
            if key in item and not RFC3339.match(str(item[key])):
                errors.append(f"{where}.{key} is not RFC 3339: {item[key]!r}")
        for key in ("url", "image"):
            if key in item and not _absolute(item[key]):
                errors.append(f"{where}.{key} not absolute: {item[key]!r}")
        authors = item.get("authors", [])
        if not isinstance(authors, list) or not all(isinstance(a, dict) and a.get("name") for a in authors):
            errors.append(f"{where}.authors must be objects with a name")
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            errors.append(f"{where}.tags must be strings")
        errors += [f"{where}: unknown key {k!r}" for k in item if k not in ITEM_FIELDS and not k.startswith("_")]
    return errors


def parse_xml_feed(body: bytes) -> feedparser.FeedParserDict:
    """feedparser's reading of an RSS or Atom body; fails the test on bozo."""
    parsed = feedparser.parse(body)
    assert not parsed.bozo, f"feedparser bozo: {parsed.get('bozo_exception')!r}"
    return parsed


def _epoch(struct: Any) -> int:
    return calendar.timegm(struct)


def identities(fmt: str, body: bytes) -> list[tuple[str, str, int, int]]:
    """(id, link, published, updated) of every item in order, read as a client reads them."""
    if fmt == "json":
        feed = json.loads(body)

        def ts(value: str) -> int:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())

        return [(i["id"], i["url"], ts(i["date_published"]), ts(i["date_modified"])) for i in feed["items"]]
    parsed = parse_xml_feed(body)
    return [
        (e.id, e.link, _epoch(e.published_parsed), _epoch(e.updated_parsed))
        for e in parsed.entries
    ]  # fmt: skip
