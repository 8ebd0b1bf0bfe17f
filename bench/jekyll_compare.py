"""Build a site with real Jekyll + jekyll-feed, export it with the service, and compare their Atom feeds field by field.

Usage: ``python -m bench.jekyll_compare SITE_DIR [--keep DIR] [--diffs N]``.

The module is also the shared parser of ``tests/jekyll.py``: it never imports ``allforces_feeds``; the service is
driven only through its CLI (``flask --app app feeds export``).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import lxml.html
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"
JEKYLL = os.environ.get("JEKYLL", "jekyll")
# A page added to the copy of the site that Jekyll builds: jekyll-feed writes categories and tags alike as
# <category term>, so this lists each post's tags (and categories) to tell them apart. Pages never enter the feed.
PROBE_URL = "/jekyll-harness-probe/posts.json"
PROBE_PAGE = f"""---
layout: null
sitemap: false
permalink: {PROBE_URL}
---
[{{% for post in site.posts %}}{{"url": {{{{ post.url | absolute_url | jsonify }}}}, \
"categories": {{{{ post.categories | jsonify }}}}, "tags": {{{{ post.tags | jsonify }}}}, \
"category": {{{{ post.category | jsonify }}}}, "path": {{{{ post.path | jsonify }}}}, \
"title": {{{{ post.title | jsonify }}}}}}{{% unless forloop.last %}},{{% endunless %}}
{{% endfor %}}]
"""
HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
FIELDS = ("id", "link", "published", "updated", "title", "categories", "tags", "text", "header_ids", "summary")


class JekyllError(RuntimeError):
    """Jekyll is missing or a build failed; the message carries Jekyll's output."""


class ExportError(RuntimeError):
    """The service's export command failed or wrote no Atom feed; the message carries its output."""


@dataclass(frozen=True)
class Item:
    """One post as a feed shows it, normalized so that Jekyll's and the service's feeds compare."""

    id: str
    link: str
    published: str
    updated: str
    title: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    text: str
    header_ids: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class Difference:
    """One field of one matched post that differs: the post's link, then expected and actual values."""

    link: str
    expected: Any
    actual: Any


@dataclass(frozen=True)
class FieldResult:
    """How many expected posts the actual feed matches on one field (unmatched posts count as unequal)."""

    name: str
    equal: int
    total: int
    differences: tuple[Difference, ...]

    @property
    def percent(self) -> float:
        """Equal over total as a percentage (100.0 for an empty total)."""
        return 100.0 * self.equal / self.total if self.total else 100.0


@dataclass(frozen=True)
class Report:
    """The result of compare(): posts matched by link, posts missing on either side, and one result per field."""

    expected: int
    actual: int
    matched: int
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    duplicates: tuple[str, ...]
    fields: Mapping[str, FieldResult] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        """True when every post matched and every field of every post is equal."""
        return (
            not self.missing
            and not self.unexpected
            and not self.duplicates
            and all(r.equal == r.total for r in self.fields.values())
        )

    def __getitem__(self, name: str) -> FieldResult:
        """The result of one field."""
        return self.fields[name]

    def format(self, names: Sequence[str] = FIELDS, diffs: int = 3) -> str:
        """A plain-text report: one line per field with its percentage, then its first differences."""
        lines = [
            f"posts: expected {self.expected}, actual {self.actual}, matched by link {self.matched}"
            f" ({_percent(self.matched, self.expected)})"
        ]
        lines += [f"  missing from actual: {link}" for link in self.missing[:diffs]]
        if len(self.missing) > diffs:
            lines.append(f"  ... and {len(self.missing) - diffs} more missing")
        lines += [f"  not in expected: {link}" for link in self.unexpected[:diffs]]
        if len(self.unexpected) > diffs:
            lines.append(f"  ... and {len(self.unexpected) - diffs} more not in expected")
        lines += [f"  duplicate link: {link}" for link in self.duplicates[:diffs]]
        for name in names:
            result = self.fields[name]
            lines.append(f"{name:<11} {result.percent:6.1f}%  ({result.equal}/{result.total})")
            for diff in result.differences[:diffs]:
                lines.append(f"    {diff.link}")
                lines.append(f"      jekyll:  {_short(diff.expected)}")
                lines.append(f"      service: {_short(diff.actual)}")
        return "\n".join(lines)


def _percent(part: int, whole: int) -> str:
    """A share as a percentage."""
    return f"{100.0 * part / whole:.1f}%" if whole else "100.0%"


def _short(value: Any, width: int = 160) -> str:
    """A value cut for a one-line report."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def jekyll_available() -> str | None:
    """The path of the jekyll command, or None when it is not installed."""
    return shutil.which(JEKYLL)


def jekyll_build(
    site: Path, dest: Path, extra_config: Mapping[str, Any] | None = None, *, strict: bool = False
) -> Path:
    """Build site into dest with Jekyll + jekyll-feed (every post in feed.xml); strict: any warning is an error too."""
    jekyll = jekyll_available()
    if jekyll is None:
        raise JekyllError(f"{JEKYLL!r} is not installed (Debian package 'jekyll')")
    site = Path(site).resolve()
    dest = Path(dest).resolve()
    if not (site / "_config.yml").is_file():
        raise JekyllError(f"{site} has no _config.yml")
    with tempfile.TemporaryDirectory(prefix="jekyll-src-") as tmp:
        # Jekyll builds a copy, so the probe page (and .jekyll-cache) never touch the site itself.
        source = Path(tmp) / "site"
        shutil.copytree(site, source, ignore=shutil.ignore_patterns(".jekyll-cache", "_site", ".sass-cache"))
        (source / "jekyll-harness-probe.json").write_text(PROBE_PAGE, encoding="utf-8")
        config = _extra_config(source / "_config.yml", extra_config)
        extra = Path(tmp) / "_harness_config.yml"
        extra.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
        command = [jekyll, "build", "--source", str(source), "--destination", str(dest)]
        command += [] if strict else ["--quiet"]
        command += ["--config", f"{source / '_config.yml'},{extra}", "--disable-disk-cache"]
        env = {**os.environ, "JEKYLL_ENV": "production", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    output = (done.stderr + done.stdout).strip()
    if done.returncode != 0 or not (dest / "feed.xml").is_file():
        raise JekyllError(f"jekyll build of {site} failed (exit {done.returncode}):\n{output}")
    if strict and re.search(r"(error|warning|exception|deprecat)", output, re.IGNORECASE):
        raise JekyllError(f"jekyll build of {site} reported problems:\n{output}")
    return dest


def _extra_config(config_file: Path, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """The extra config: the site's plugins plus jekyll-feed, a feed holding every post, then the caller's keys."""
    site = read_config(config_file)
    plugins = list(site.get("plugins") or [])
    if "jekyll-feed" not in plugins:
        plugins.append("jekyll-feed")
    feed = dict(site.get("feed") or {})
    feed["posts_limit"] = 100000
    config: dict[str, Any] = {"plugins": plugins, "feed": feed}
    config.update(extra or {})
    return config


def read_config(config_file: Path) -> dict[str, Any]:
    """A Jekyll _config.yml as a dict (PyYAML's safe loader; an empty file is {})."""
    import yaml  # PyYAML: a dependency of the service's venv, imported late so the parser works without it

    data = yaml.safe_load(Path(config_file).read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def jekyll_items(dest: Path) -> list[Item]:
    """The posts of a built site's feed.xml, tags told apart from categories by the probe page when present."""
    dest = Path(dest)
    probe = dest / PROBE_URL.lstrip("/")
    tags: dict[str, tuple[str, ...]] = {}
    if probe.is_file():
        for post in json.loads(probe.read_text(encoding="utf-8")):
            tags[post["url"]] = tuple(str(tag) for tag in post["tags"] or ())
    return parse_atom((dest / "feed.xml").read_bytes(), lambda link, terms: _split_jekyll_terms(terms, tags.get(link)))


def _split_jekyll_terms(
    terms: list[tuple[str, str]], tags: tuple[str, ...] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """jekyll-feed writes the categories' terms, then the tags': the last len(tags) terms are the tags."""
    labels = tuple(term for term, _ in terms)
    if tags and labels[len(labels) - len(tags) :] == tags:
        return labels[: len(labels) - len(tags)], tags
    return labels, ()


def service_items(feed_bytes: bytes) -> list[Item]:
    """The entries of the service's Atom feed: tags and categories told apart by their scheme."""
    return parse_atom(feed_bytes, _split_by_scheme)


def _split_by_scheme(link: str, terms: list[tuple[str, str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The service's terms split into categories and tags by their scheme."""
    tags = tuple(term for term, scheme in terms if scheme.rstrip("/").endswith("/tags"))
    categories = tuple(term for term, scheme in terms if not scheme.rstrip("/").endswith("/tags"))
    return categories, tags


def parse_atom(feed_bytes: bytes, split_terms: Any = _split_by_scheme) -> list[Item]:
    """Every <entry> of an Atom feed as an Item; split_terms(link, [(term, scheme)]) gives (categories, tags)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.fromstring(feed_bytes, parser)
    if root.tag != f"{ATOM}feed":
        raise ValueError(f"not an Atom feed: root element {root.tag!r}")
    items = []
    for entry in root.iterfind(f"{ATOM}entry"):
        link = _alternate(entry)
        terms = [(c.get("term", ""), c.get("scheme", "")) for c in entry.iterfind(f"{ATOM}category")]
        categories, tags = split_terms(link, terms)
        content = entry.find(f"{ATOM}content")
        body = _html_of(content)
        items.append(
            Item(
                id=(entry.findtext(f"{ATOM}id") or "").strip(),
                link=link,
                published=utc(entry.findtext(f"{ATOM}published") or ""),
                updated=utc(entry.findtext(f"{ATOM}updated") or ""),
                title=_text_construct(entry.find(f"{ATOM}title")),
                categories=tuple(categories),
                tags=tuple(tags),
                text=visible_text(body),
                header_ids=header_ids(body),
                summary=collapse(_text_construct(entry.find(f"{ATOM}summary"))),
            )
        )
    return items


def _alternate(entry: etree._Element) -> str:
    """The entry's alternate link."""
    for link in entry.iterfind(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate":
            return link.get("href", "")
    return ""


def _html_of(element: etree._Element | None) -> str:
    """The HTML an Atom text construct carries (text is escaped, xhtml serialized)."""
    if element is None:
        return ""
    kind = element.get("type", "text")
    if kind == "html":
        return element.text or ""
    if kind == "xhtml":
        return "".join(etree.tostring(child, encoding="unicode") for child in element)
    return html.escape(element.text or "", quote=False)


def _text_construct(element: etree._Element | None) -> str:
    """The plain text an Atom text construct shows (an html one is decoded as HTML), stripped."""
    if element is None:
        return ""
    if element.get("type", "text") == "text":
        return (element.text or "").strip()
    return _fragment_text(_html_of(element)).strip()


def _fragment(markup: str) -> lxml.html.HtmlElement | None:
    """An HTML fragment parsed into an element."""
    if not markup.strip():
        return None
    return lxml.html.fragment_fromstring(markup, create_parent="div")


def _fragment_text(markup: str) -> str:
    """The visible text of an HTML fragment."""
    root = _fragment(markup)
    return "" if root is None else root.text_content()


def collapse(text: str) -> str:
    """Runs of HTML white space (not U+3000) as one space, stripped."""
    return HTML_SPACE.sub(" ", text).strip()


def visible_text(markup: str) -> str:
    """The text of an HTML fragment without script, style and template, white space collapsed."""
    root = _fragment(markup)
    if root is None:
        return ""
    for element in root.xpath("//script|//style|//template"):
        element.drop_tree()
    return collapse(root.text_content())


def header_ids(markup: str) -> tuple[str, ...]:
    """The id of every h1-h6 of an HTML fragment, in document order."""
    root = _fragment(markup)
    if root is None:
        return ()
    return tuple(h.get("id") for h in root.iter(*HEADINGS) if h.get("id") is not None)


def utc(stamp: str) -> str:
    """An RFC 3339 date-time as UTC with 'Z' (fractions kept only when not zero); '' stays ''."""
    stamp = stamp.strip()
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp.replace("z", "Z")).astimezone(UTC)
    spec = "seconds" if not moment.microsecond else "microseconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def link_key(link: str) -> str:
    """The key posts are matched on: the link with percent-escapes decoded (so an IRI matches its URI)."""
    return unquote(link)


def compare(expected: list[Item], actual: list[Item], diffs: int = 5) -> Report:
    """Match posts by link and count, per field, the expected posts the actual feed reproduces exactly."""
    by_key: dict[str, Item] = {}
    duplicates = []
    for item in actual:
        key = link_key(item.link)
        if key in by_key:
            duplicates.append(item.link)
        by_key.setdefault(key, item)
    expected_keys = {link_key(item.link) for item in expected}
    pairs = [(item, by_key.get(link_key(item.link))) for item in expected]
    missing = tuple(e.link for e, a in pairs if a is None)
    unexpected = tuple(item.link for key, item in by_key.items() if key not in expected_keys)
    results = {}
    for name in (f.name for f in fields(Item)):
        equal = 0
        found: list[Difference] = []
        for exp, act in pairs:
            if act is None:
                continue
            if getattr(exp, name) == getattr(act, name):
                equal += 1
            elif len(found) < diffs:
                found.append(Difference(exp.link, getattr(exp, name), getattr(act, name)))
        results[name] = FieldResult(name, equal, len(expected), tuple(found))
    return Report(
        expected=len(expected),
        actual=len(actual),
        matched=len(pairs) - len(missing),
        missing=missing,
        unexpected=unexpected,
        duplicates=tuple(duplicates),
        fields=results,
    )


def service_env(site: Path, config: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The service's settings for a Jekyll site: content, no cache, every post, and URL/zone/permalink from config."""
    env = {
        "ALLFORCES_CONTENT_DIR": str(Path(site).resolve()),
        "ALLFORCES_CACHE_DIR": "",
        "ALLFORCES_FEED_LIMIT": "1000",
    }
    config = config or {}
    if config.get("url"):
        env["ALLFORCES_SITE_URL"] = str(config["url"]).rstrip("/") + "/" + str(config.get("baseurl") or "").strip("/")
        env["ALLFORCES_SITE_URL"] = env["ALLFORCES_SITE_URL"].rstrip("/")
    if config.get("timezone"):
        env["ALLFORCES_SITE_TIMEZONE"] = str(config["timezone"])
    if config.get("permalink"):
        env["ALLFORCES_PERMALINK"] = str(config["permalink"])
    if config.get("title"):
        env["ALLFORCES_SITE_TITLE"] = str(config["title"])
    return env


def service_export(site: Path, out: Path, env: Mapping[str, str] | None = None, python: str = sys.executable) -> bytes:
    """Run `flask --app app feeds export OUT` over site in the repository; return OUT/atom.xml or raise ExportError."""
    settings = dict(env) if env is not None else service_env(site)
    command = [python, "-m", "flask", "--app", "app", "feeds", "export", str(out)]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ALLFORCES_")} | settings
    done = subprocess.run(command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=600, check=False)
    atom = Path(out) / "atom.xml"
    if done.returncode != 0 or not atom.is_file():
        output = (done.stderr + done.stdout).strip()
        raise ExportError(f"{' '.join(command)} failed (exit {done.returncode}):\n{output}")
    return atom.read_bytes()


def _print_env(env: Mapping[str, str]) -> None:
    """Print the settings given to the service."""
    for name, value in sorted(env.items()):
        print(f"  {name}={value}")


def main(argv: Iterable[str] | None = None) -> int:
    """Build SITE_DIR with Jekyll, export it with the service, print the per-field report; 0 when identical."""
    parser = argparse.ArgumentParser(prog="python -m bench.jekyll_compare", description=main.__doc__)
    parser.add_argument("site", type=Path, help="a Jekyll site root (with _config.yml)")
    parser.add_argument("--diffs", type=int, default=3, help="differences shown per field (default 3)")
    parser.add_argument("--keep", type=Path, help="build into this folder (jekyll/ and service/) and keep it")
    parser.add_argument("--no-config-env", action="store_true", help="pass only the content folder, cache, limit")
    args = parser.parse_args(list(argv) if argv is not None else None)
    site = args.site.resolve()
    with tempfile.TemporaryDirectory(prefix="jekyll-compare-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        try:
            expected = jekyll_items(jekyll_build(site, work / "jekyll"))
        except JekyllError as error:
            print(f"JEKYLL FAILED: {error}", file=sys.stderr)
            return 2
        print(f"jekyll: {len(expected)} posts in {work / 'jekyll' / 'feed.xml'}")
        env = service_env(site, None if args.no_config_env else read_config(site / "_config.yml"))
        print("service settings:")
        _print_env(env)
        try:
            actual = service_items(service_export(site, work / "service", env))
        except ExportError as error:
            print(f"SERVICE EXPORT FAILED: {error}", file=sys.stderr)
            return 3
        except (etree.XMLSyntaxError, ValueError) as error:
            print(f"SERVICE ATOM UNREADABLE: {error}", file=sys.stderr)
            return 3
        print(f"service: {len(actual)} posts in {work / 'service' / 'atom.xml'}\n")
        report = compare(expected, actual, diffs=args.diffs)
        print(
            report.format(
                ("link", "published", "updated", "title", "id", "header_ids", "text", "summary", "categories", "tags"),
                diffs=args.diffs,
            )
        )
    return 0 if report.identical else 1


if __name__ == "__main__":
    sys.exit(main())
