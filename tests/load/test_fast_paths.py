"""The load's shortcuts give what the plain ways give: offsets, permalinks, paths, UTF-8, the index, for any input."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allforces_feeds.dates import parse_date
from allforces_feeds.errors import ContentError
from allforces_feeds.index import Catalog
from allforces_feeds.load import fields
from allforces_feeds.load.jekyll import folder_categories
from allforces_feeds.load.parse import _stem
from allforces_feeds.models import SCOPE_KINDS, Post
from allforces_feeds.slugs import jekyll_slugify, slugify
from allforces_feeds.urls import PERMALINK_STYLES, permalink_path, tag_uri

BOUNDED = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("sign", ["+", "-"])
def test_every_offset_is_read_as_fromisoformat_reads_it(sign: str) -> None:
    for hours in range(100):
        for minutes in range(100):
            written = f"{sign}{hours:02d}:{minutes:02d}"
            try:
                expected: object = datetime.fromisoformat(f"2025-09-12T16:42:31.5{written}")
            except ValueError as error:
                expected = f"ValueError: {error}"
            try:
                found: object = parse_date(f"2025-09-12 16:42:31.5 {written.replace(':', '')}", TOKYO)
            except ValueError as error:
                found = f"ValueError: {error}"
            assert repr(found) == repr(expected)


def reference_permalink(pattern: str, local: datetime, categories: list[str], slug: str, source: str) -> str:
    """permalink_path() as it was written first: every placeholder through one re.sub."""
    values = {
        "categories": lambda: "/".join(dict.fromkeys(c.lower() for c in categories)),
        "year": lambda: f"{local.year:04d}",
        "month": lambda: f"{local.month:02d}",
        "day": lambda: f"{local.day:02d}",
        "i_month": lambda: str(local.month),
        "i_day": lambda: str(local.day),
        "short_year": lambda: f"{local.year % 100:02d}",
        "y_day": lambda: f"{local.timetuple().tm_yday:03d}",
        "hour": lambda: f"{local.hour:02d}",
        "minute": lambda: f"{local.minute:02d}",
        "second": lambda: f"{local.second:02d}",
        "title": lambda: jekyll_slugify(slug, "pretty", cased=True),
        "slug": lambda: jekyll_slugify(slug),
        "output_ext": lambda: ".html",
        "path": lambda: source.rsplit(".", 1)[0].replace("_posts", "", 1),
    }
    placeholder = re.compile(":(" + "|".join(values) + ")")
    pattern = PERMALINK_STYLES.get(pattern, pattern)
    path = placeholder.sub(lambda m: quote(values[m.group(1)](), safe="/:@!$&'()*+,;=-._~"), pattern)
    return re.sub(r"/\.{1,2}/", "/", re.sub(r"/{2,}", "/", "/" + path))


WORDS = st.sampled_from(["AI", "ai", "投資", "a b", "C++", "S&P 500", "x/y", "..", ".", "", "a%20b", "?", "#", "Ü"])
PIECES = st.sampled_from(["/", "//", "/./", "/../", "-", ".", "x", ":", "%", "あ", ":foo"])
PLACEHOLDERS = st.sampled_from(
    ["categories", "year", "month", "day", "i_month", "i_day", "short_year", "y_day", "hour", "minute", "second",
     "title", "slug", "output_ext", "path"]
)  # fmt: skip
PATTERNS = st.sampled_from(list(PERMALINK_STYLES)) | st.lists(
    st.tuples(PIECES, st.none() | PLACEHOLDERS), max_size=6
).map(lambda cut: "".join(text + (f":{name}" if name else "") for text, name in cut))
MOMENTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
    lambda moment: moment.replace(tzinfo=TOKYO)
)


@BOUNDED
@given(PATTERNS, MOMENTS, st.lists(WORDS, max_size=3), WORDS, st.sampled_from(["_posts/a.md", "ja/_posts/x.y.md", "z"]))
def test_permalinks_and_ids_are_what_one_substitution_gives(
    pattern: str, local: datetime, categories: list[str], slug: str, source: str
) -> None:
    assert permalink_path(pattern, local, categories, slug, source) == reference_permalink(
        pattern, local, categories, slug, source
    )
    assert tag_uri("allforces.jp", local, slug) == f"tag:allforces.jp,{local:%Y-%m-%d}:{quote(slug, safe='')}"


SEGMENTS = st.sampled_from(["_posts", "a.md", "", ".", "..", ".md", "x.", "a.b.c", "ja", "news"])


@BOUNDED
@given(st.lists(SEGMENTS, min_size=1, max_size=5), st.sampled_from(["", "/", "//"]), st.sampled_from(["", "/"]))
def test_path_parts_are_what_pathlib_gives(segments: list[str], before: str, after: str) -> None:
    source = before + "/".join(segments) + after
    parts = PurePosixPath(source).parts
    assert folder_categories(source) == (list(parts[: parts.index("_posts")]) if "_posts" in parts else [])
    assert _stem(source) == PurePosixPath(source).stem


def codec(raw: bytes) -> str:
    """fields.decode() through the utf-8-sig codec, as it was written first."""
    if b"\x00" in raw:
        return "binary"
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return f"not UTF-8 (byte {error.start}: {error.reason})"


# UTF-8 pieces, whole and broken: ASCII, NUL, the BOM, あ, a lone lead byte, bytes UTF-8 never has, a surrogate.
BYTES = st.sampled_from([b"a", b"\x00", b"\xef\xbb\xbf", b"\xe3\x81\x82", b"\xc3", b"\xff", b"\x80", b"\xed\xa0\x80"])


@BOUNDED
@given(st.lists(BYTES))
def test_utf8_is_read_as_the_utf8_sig_codec_reads_it(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    try:
        found = fields.decode(raw, "x.md")
    except ContentError as error:
        found = "binary" if "binary" in error.problem.reason else error.problem.reason
    assert found == codec(raw)


def reference_scopes(posts: tuple[Post, ...]) -> dict[str, list[tuple[str, str, tuple[Post, ...]]]]:
    """Snapshot.build's scopes as it was written first: every label slugged, members appended one by one."""
    found = {}
    for kind in SCOPE_KINDS:
        members: dict[str, list[Post]] = defaultdict(list)
        spellings: dict[str, Counter[str]] = defaultdict(Counter)
        for post in posts:
            for label in post.labels(kind):
                members[slugify(label)].append(post)
                spellings[slugify(label)][label] += 1
        found[kind] = [
            (slug, min(spellings[slug].items(), key=lambda item: (-item[1], item[0]))[0], tuple(members[slug]))
            for slug in sorted(members)
        ]
    return found


LABELS = st.sampled_from(["AI", "ＡＩ", "ai", "半導体", "山田 太郎", "山田-太郎", "x", "X"])


@st.composite
def posts(draw: st.DrawFn) -> list[Post]:
    """A few posts with labels that share slugs, and some that share instants."""
    found = []
    for number in range(draw(st.integers(0, 8))):
        moment = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=draw(st.integers(0, 4)))
        found.append(
            Post(
                source=f"_posts/{number}.md",
                id=str(number),
                url=f"/{draw(st.integers(0, 3))}",
                title="t",
                published=moment,
                updated=moment,
                author=draw(LABELS),
                tags=tuple(draw(st.lists(LABELS, max_size=4))),
                categories=tuple(draw(st.lists(LABELS, max_size=2))),
                excerpt=None,
                reading_time=1,
                image=None,
                digest="d",
            )  # fmt: skip
        )
    return found


@BOUNDED
@given(posts(), st.integers(-1, 6))
def test_snapshots_group_as_one_label_at_a_time_does(found: list[Post], hours: int) -> None:
    now = (datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=hours)).timestamp()
    catalog = Catalog(found, "ALLFORCES")
    snapshot = catalog.snapshot(now)
    assert snapshot.posts == tuple(p for p in catalog.posts if p.published.timestamp() <= now)
    expected = reference_scopes(snapshot.posts)
    for kind in SCOPE_KINDS:
        assert [(s.slug, s.label, s.posts) for s in snapshot.scopes[kind].values()] == expected[kind]
