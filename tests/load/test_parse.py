"""Loading posts: every date form, labels, drafts, scheduling, links, and broken files reported."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from allforces_feeds.config import load_config
from allforces_feeds.load import load_posts

from ..conftest import FIXTURES

BROKEN = FIXTURES / "broken"


def load(site, **settings):
    return load_posts(load_config({}, CONTENT_DIR=str(site), SITE_URL="https://allforces.jp", **settings))


def test_broken_posts_are_reported_and_good_ones_kept() -> None:
    loaded = load(BROKEN)
    problems = {p.source.removeprefix("_posts/"): (p.field, p.reason) for p in loaded.problems}
    assert problems["2025-01-03-bad-yaml.md"][0] == "front matter"
    assert "invalid YAML" in problems["2025-01-03-bad-yaml.md"][1]
    assert problems["2025-02-28-impossible-date.md"] == (
        "date", "impossible date '2025-02-30 10:00:00 +0900' (day is out of range for month)"
    )  # fmt: skip
    assert "month must be in 1..12" in problems["2025-01-09-yaml-impossible.md"][1]
    # Jekyll titles a post without one from its file's slug (Utils.titleize_slug): served, not a problem.
    assert "2025-01-04-no-title.md" not in problems
    assert problems["2025-01-05-duplicate-id.md"][0] == "id"
    assert "_posts/2025-01-02-good-two.md" in problems["2025-01-05-duplicate-id.md"][1]
    assert problems["2025-01-07-binary.md"][0] == "file"
    assert problems["2025-01-08-not-utf8.md"] == ("file", "not UTF-8 (byte 23: invalid continuation byte)")
    assert problems["2025-01-06-control-characters.md"][0] == "text"
    assert problems["2025-01-10-future-modified.md"][0] == "last_modified_at"
    served = {p.title for p in loaded.posts}
    assert served == {"良い記事その一", "良い記事その二", "制御文字の記事", "更新日が未来", "No Title"}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-09-12 16:42:31 +0000", "2025-09-12T16:42:31+00:00"),
        ("2025-09-12T16:42:31+09:00", "2025-09-12T16:42:31+09:00"),
        ("2025-09-12 16:42:31", "2025-09-12T16:42:31+09:00"),
        ("2025-09-12", "2025-09-12T00:00:00+09:00"),
        ('"2025-09-12 16:42 -0500"', "2025-09-12T16:42:00-05:00"),
        ("2025-09-12T07:42:31Z", "2025-09-12T07:42:31+00:00"),
    ],
)
def test_date_forms(posts_dir, written: str, expected: str) -> None:
    site = posts_dir("2025-09-12-dated.md", f'title: "日付"\ndate: {written}')
    (post,) = load(site).posts
    assert post.published.isoformat() == expected


def test_date_from_file_name_in_site_timezone(posts_dir) -> None:
    site = posts_dir("2024-02-29-leap.md", 'title: "うるう日"')
    (post,) = load(site).posts
    assert post.published.isoformat() == "2024-02-29T00:00:00+09:00"
    assert post.id == "tag:allforces.jp,2024-02-29:leap"
    assert post.url == "https://allforces.jp/2024/02/29/leap.html"


def test_labels_as_list_or_space_separated_string(posts_dir) -> None:
    site = posts_dir(
        "2025-01-01-labels.md", 'title: "ラベル"\ncategories: 市場動向 技術解説\ntags: ["AI", "生成AI", "ai"]'
    )
    (post,) = load(site).posts
    assert post.categories == ("市場動向", "技術解説")
    # "ai" is the same tag as "AI": one label per slug.
    assert post.tags == ("AI", "生成AI")
    assert (
        post.url
        == "https://allforces.jp/%E5%B8%82%E5%A0%B4%E5%8B%95%E5%90%91/%E6%8A%80%E8%A1%93%E8%A7%A3%E8%AA%AC/2025/01/01/labels.html"
    )


def test_drafts_and_unpublished_are_never_loaded(posts_dir) -> None:
    posts_dir("2025-01-01-kept.md", 'title: "残す"')
    posts_dir("2025-01-02-unpublished.md", 'title: "非公開"\npublished: false')
    site = posts_dir("2025-01-03-draft.md", 'title: "下書き"\ndraft: true')
    (site / "_drafts").mkdir()
    (site / "_drafts" / "idea.md").write_text('---\ntitle: "案"\n---\n本文\n', encoding="utf-8")
    assert [p.title for p in load(site).posts] == ["残す"]


def test_permalink_id_image_and_last_modified(posts_dir) -> None:
    site = posts_dir(
        "2025-03-01-custom.md",
        """
        title: "独自"
        date: 2025-03-01 10:00:00 +0900
        permalink: /articles/:title/
        id: urn:uuid:1234
        image: /assets/pic.png
        last_modified_at: 2025-03-02 10:00:00 +0900
        reading_time: 4
        """,
    )
    (post,) = load(site).posts
    assert post.url == "https://allforces.jp/articles/custom/"
    assert post.id == "urn:uuid:1234"
    assert post.image == "https://allforces.jp/assets/pic.png"
    assert post.updated.isoformat() == "2025-03-02T10:00:00+09:00"
    assert post.reading_time == 4


@pytest.mark.parametrize("style", ["pretty", "none", "/:year/:i_month/:i_day/:slug:output_ext"])
def test_permalink_styles(posts_dir, style: str) -> None:
    site = posts_dir("2025-03-04-style.md", 'title: "形式"\ncategories: [Tech]')
    (post,) = load(site, PERMALINK=style).posts
    expected = {
        "pretty": "/tech/2025/03/04/style/",
        "none": "/tech/style.html",
        "/:year/:i_month/:i_day/:slug:output_ext": "/2025/3/4/style.html",
    }[style]
    assert post.url == "https://allforces.jp" + expected


def test_folder_without_posts_dir_reads_every_md(tmp_path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "hello.md").write_text('---\ntitle: "やあ"\ndate: 2025-01-01\n---\n本文\n', encoding="utf-8")
    (tmp_path / "_drafts").mkdir()
    (tmp_path / "_drafts" / "draft.md").write_text('---\ntitle: "案"\ndate: 2025-01-01\n---\n', encoding="utf-8")
    (post,) = load(tmp_path).posts
    assert post.title == "やあ"
    assert post.id == "tag:allforces.jp,2025-01-01:hello"


def test_scheduled_post_appears_when_its_time_comes(posts_dir, make_app) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    posts_dir("2025-01-01-now.md", 'title: "公開済み"')
    site = posts_dir(f"{soon:%Y-%m-%d}-later.md", f'title: "予約"\ndate: "{soon:%Y-%m-%d %H:%M:%S} +0000"')
    now = [time.time()]
    client = make_app(site, clock=lambda: now[0]).test_client()
    assert "予約" not in client.get("/feed.xml").data.decode()
    now[0] += 7200
    assert "予約" in client.get("/feed.xml").data.decode()


def test_control_characters_are_removed(make_app) -> None:
    body = make_app(BROKEN).test_client().get("/feed.xml").data.decode()
    assert "制御文字の記事" in body
    assert "\x01" not in body and "\x0b" not in body
