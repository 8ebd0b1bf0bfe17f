"""The Jekyll harness itself: the fixture sites build with real Jekyll, their feeds parse, compare() reports."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import pytest

from .jekyll import (
    FIXTURES,
    SITES,
    Item,
    JekyllError,
    compare,
    header_ids,
    jekyll_build,
    jekyll_items,
    read_config,
    require_jekyll,
    service_env,
    service_items,
    utc,
    visible_text,
)

# Posts written per site, less `published: false`, drafts (_drafts/) and future posts (`future: false`).
EXPECTED_POSTS = {"ja": 15, "multi": 9, "en": 8}
FUTURE_NAME = re.compile(r"^(2[1-9]\d\d|2099)-")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Item]]:
    """Every fixture site built once with real Jekyll (strict: any warning fails), read back as Items."""
    require_jekyll()
    items = {}
    for site in SITES:
        dest = jekyll_build(FIXTURES / site, tmp_path_factory.mktemp(f"jekyll-{site}"), strict=True)
        items[site] = jekyll_items(dest)
    return items


def by_link(items: list[Item], suffix: str) -> Item:
    """The one item whose link ends with suffix."""
    found = [item for item in items if item.link.endswith(suffix)]
    assert len(found) == 1, (suffix, [item.link for item in items])
    return found[0]


def posts_on_disk(site: Path) -> list[Path]:
    """The post files Jekyll should publish: every _posts/**.md, less `published: false` and far-future names."""
    posts = []
    for path in sorted(site.rglob("_posts/**/*.md")):
        if FUTURE_NAME.match(path.name) or re.search(r"^published:\s*false\s*$", path.read_text("utf-8"), re.M):
            continue
        posts.append(path)
    return posts


@pytest.mark.parametrize("site", SITES)
def test_every_post_is_in_the_feed(built: dict[str, list[Item]], site: str) -> None:
    """Each site builds, and its feed holds every published, non-future post exactly once."""
    items = built[site]
    assert len(items) == EXPECTED_POSTS[site] == len(posts_on_disk(FIXTURES / site))
    assert len({item.link for item in items}) == len(items)
    assert len({item.id for item in items}) == len(items)
    for item in items:
        assert item.published.endswith("Z") and item.updated.endswith("Z")
        assert item.title and item.text


@pytest.mark.parametrize("site", SITES)
def test_fixture_sites_configure_only_jekyll_feed(site: str) -> None:
    """No theme and no plugin other than jekyll-feed: the sites build offline with the Debian packages."""
    config = read_config(FIXTURES / site / "_config.yml")
    assert config["plugins"] == ["jekyll-feed"]
    assert "theme" not in config and "remote_theme" not in config
    assert config["timezone"]


def test_building_leaves_the_site_untouched(built: dict[str, list[Item]]) -> None:
    """Jekyll builds a copy: no .jekyll-cache, _site or probe page appears in the fixture folders."""
    for site in SITES:
        names = {path.name for path in (FIXTURES / site).rglob("*")}
        assert not names & {".jekyll-cache", "_site", "jekyll-harness-probe.json"}, site


def test_ja_dates_links_and_titles(built: dict[str, list[Item]]) -> None:
    """Japanese site: Tokyo dates decide the URL; naive YAML times are UTC; titles come from slugs."""
    items = built["ja"]
    base = "https://example.jp/blog"
    next_day = by_link(items, "/tokyo-next-day.html")
    assert next_day.link == f"{base}/%E6%8A%95%E8%B3%87/ai/2025/09/13/tokyo-next-day.html"
    assert next_day.id == f"{base}/%E6%8A%95%E8%B3%87/ai/2025/09/13/tokyo-next-day"
    assert next_day.published == next_day.updated == "2025-09-12T16:42:31Z"
    assert (next_day.categories, next_day.tags) == (("投資", "AI"), ("半導体", "NVIDIA"))

    assert by_link(items, "/no-title-here.html").title == "No Title Here"
    japanese = by_link(
        items, "/ai/2025/05/20/%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE%E3%82%B9%E3%83%A9%E3%83%83%E3%82%B0.html"
    )
    assert japanese.title == "日本語のスラッグ"

    dates = {item.link.rsplit("/", 1)[1]: item.published for item in items}
    assert dates["naive-date.html"] == "2025-08-01T09:30:00Z"  # unquoted: YAML reads it as UTC
    assert dates["quoted-naive-date.html"] == "2025-08-02T00:30:00Z"  # quoted: Time.parse, Tokyo
    assert dates["bare-date.html"] == "2025-07-14T15:00:00Z"
    assert dates["date-from-filename.html"] == "2025-06-29T15:00:00Z"
    assert dates["ruby-time-parse.html"] == "2025-05-09T23:05:00Z"
    assert dates["odd-date.html"] == "2023-01-29T09:30:22Z"  # the -0800 is ignored
    assert by_link(items, "/ruby-time-parse.html").updated == "2025-05-12T12:00:00Z"

    escaped = by_link(items, "/title-escapes.html")
    assert escaped.title == 'S&P 500\u3000と 銘柄\u3000"注目" の理由'
    assert by_link(items, "/naive-date.html").categories == ("市場",)
    assert by_link(items, "/bare-date.html").tags == ("AI", "投資")
    assert by_link(items, "/market-defaults.html").link == f"{base}/2025/01/20/market-defaults.html"


def test_ja_content_summary_and_header_ids(built: dict[str, list[Item]]) -> None:
    """Liquid is rendered, kramdown gives Japanese header ids, and the summary follows excerpt_separator."""
    items = built["ja"]
    kramdown = by_link(items, "/kramdown.html")
    assert kramdown.header_ids == ("はじめに", "ai-と-投資", "はじめに-1", "step-1-準備")
    assert "“引用符” と ‘single’ と – ダッシュ…" in kramdown.text
    assert kramdown.summary == kramdown.text  # no <!--more-->: the whole post is the excerpt

    liquid = by_link(items, "/liquid.html").text
    for rendered in ("「オールフォーシズ検証ブログ」", "「Liquidの記事」", "価格は1200円", "注意：投資は自己責任で"):
        assert rendered in liquid
    assert "日経平均は38500円" in liquid  # YAML 1.1 reads 38,500 as an integer
    assert "{{ これは展開されません }}" in liquid and 'puts "こんにちは"' in liquid

    excerpt = by_link(items, "/excerpt.html")
    assert excerpt.summary == "ここまでが抜粋です。太字も含みます。 二段落目も抜粋です。"
    assert by_link(items, "/description.html").summary == "説明文が要約になります & タグは消えます"


def test_multi_folder_categories_and_permalinks(built: dict[str, list[Item]]) -> None:
    """Folder categories, permalink precedence (front matter > defaults > collection > site) and :slug."""
    items = built["multi"]
    base = "https://multi.example.com"
    links = {item.link for item in items}
    assert f"{base}/ja/news/%E6%B1%BA%E7%AE%97/25/3/1/kessan/" in links
    assert f"{base}/ja/ai/%E6%8A%95%E8%B3%87/25/2/28/ja-only/" in links
    assert f"{base}/en/news/2025/062/en-news.html" in links
    assert f"{base}/25/3/4/root-post/" in links
    assert f"{base}/special/2025/explicit-permalink/" in links
    assert f"{base}/25/3/7/custom-slug/" in links
    assert not any("future" in link for link in links)

    assert by_link(items, "/kessan/").categories == ("ja", "news", "決算")
    assert by_link(items, "/sokuhou/").categories == ("速報",)  # a singular category hides ja, news
    assert by_link(items, "/en-news.html").categories == ("en", "news")
    mixed = by_link(items, "/mixed-case-slug/")
    assert (mixed.title, mixed.id) == ("Mixed Case_slug", f"{base}/25/3/6/Mixed-Case_Slug")
    new_year = by_link(items, "/new-year/")
    assert (new_year.link, new_year.published) == (f"{base}/26/1/1/new-year/", "2025-12-31T23:30:00Z")


def test_en_dates_titles_and_ids(built: dict[str, list[Item]]) -> None:
    """English site in New York: offsets move the URL's day; DST edges; smartify on titles; header ids."""
    items = built["en"]
    base = "https://blog.example.com"
    assert by_link(items, "/tokyo-offset/").link == f"{base}/markets/2025/05/31/tokyo-offset/"
    assert by_link(items, "/utc-z/").link == f"{base}/2025/07/03/utc-z/"
    assert by_link(items, "/dst-gap/").published == "2025-03-09T07:30:00Z"
    assert by_link(items, "/dst-overlap/").published == "2025-11-02T06:30:00Z"  # the second 01:30 (EST)
    hello = by_link(items, "/hello-world/")
    assert (hello.title, hello.published) == ("Hello World", "2025-01-10T05:00:00Z")
    smart = by_link(items, "/smart-title/")
    assert smart.title == "Jekyll’s “smart” quotes – and dashes… bold & more"
    assert smart.categories == ("News",) and smart.link == f"{base}/news/2025/02/01/smart-title/"
    kramdown = by_link(items, "/kramdown/")
    assert kramdown.header_ids == ("whats-new-2025", "whats-new-2025-1", "über-résumé--co")
    # The excerpt renders the footnotes too; kramdown writes &nbsp; before the back link.
    assert kramdown.summary == "This is the excerpt with a footnote1. The footnote text.\xa0↩"
    assert by_link(items, "/liquid/").updated == "2025-04-20T14:00:00Z"


def test_compare_identical_lists_is_100_percent(built: dict[str, list[Item]]) -> None:
    """A feed compared with itself matches every post on every field."""
    for site in SITES:
        report = compare(built[site], list(reversed(built[site])))
        assert report.identical and report.matched == report.expected == len(built[site])
        assert all(result.percent == 100.0 and not result.differences for result in report.fields.values())
        assert "100.0%" in report.format()


def test_compare_reports_differences(built: dict[str, list[Item]]) -> None:
    """A changed title, a missing post, an extra post and an IRI link are each reported."""
    expected = built["ja"]
    actual = [dataclasses.replace(item) for item in expected]
    actual[0] = dataclasses.replace(actual[0], title="別のタイトル")
    dropped = actual.pop(1)
    actual.append(dataclasses.replace(dropped, link="https://example.jp/blog/elsewhere.html"))
    iri = next(i for i, item in enumerate(actual) if "%E6%97%A5" in item.link)
    actual[iri] = dataclasses.replace(actual[iri], link=actual[iri].link.replace("%E6%97%A5", "日"))

    report = compare(expected, actual)
    assert not report.identical
    assert report.missing == (dropped.link,)
    assert report.unexpected == ("https://example.jp/blog/elsewhere.html",)
    assert report.matched == len(expected) - 1  # the IRI still matches its percent-encoded link
    assert report["title"].equal == len(expected) - 2
    assert report["title"].differences[0].expected == expected[0].title
    assert report["title"].differences[0].actual == "別のタイトル"
    assert report["link"].equal == len(expected) - 2 and report["text"].equal == len(expected) - 1
    text = report.format()
    assert "別のタイトル" in text and "missing from actual" in text and "not in expected" in text


SERVICE_ATOM = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ja">
  <id>https://feeds.example.jp/atom.xml</id><title>T</title><updated>2025-09-13T01:42:31+09:00</updated>
  <entry>
    <id>https://example.jp/blog/a</id>
    <title>S&amp;P 500\u3000と &lt;AI&gt; 銘柄</title>
    <updated>2025-09-13T01:42:31+09:00</updated>
    <link href="https://example.jp/blog/a.html" rel="alternate" type="text/html"/>
    <link href="https://example.jp/blog/a.pdf" rel="enclosure"/>
    <category term="半導体" scheme="https://feeds.example.jp/tags/" label="半導体"/>
    <category term="投資" scheme="https://feeds.example.jp/categories/" label="投資"/>
    <published>2025-09-12T16:42:31.000+00:00</published>
    <summary type="text">要約 &amp; <b></summary>
    <content type="html">&lt;h2 id="見出し"&gt;見出し&lt;/h2&gt;&lt;p&gt;本文\u3000です
      &lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;&lt;h3&gt;no id&lt;/h3&gt;</content>
  </entry>
</feed>"""


def test_service_items_parse_the_service_shape() -> None:
    """The service's Atom: schemes tell tags from categories, dates become UTC, html is decoded once."""
    (item,) = service_items(SERVICE_ATOM.replace("<b>", "&lt;b&gt;").encode())
    assert item.link == "https://example.jp/blog/a.html"
    assert item.id == "https://example.jp/blog/a"
    assert (item.published, item.updated) == ("2025-09-12T16:42:31Z", "2025-09-12T16:42:31Z")
    assert item.title == "S&P 500\u3000と <AI> 銘柄"  # type text: kept as written
    assert (item.categories, item.tags) == (("投資",), ("半導体",))
    assert item.summary == "要約 & <b>"
    assert item.text == "見出し本文\u3000です no id"  # U+3000 is not HTML white space
    assert item.header_ids == ("見出し",)


def test_helpers() -> None:
    """utc() normalizes offsets and fractions; visible_text drops script/style; header_ids reads h1-h6."""
    assert utc("2025-09-13T01:42:31+09:00") == "2025-09-12T16:42:31Z"
    assert utc("2025-01-01T00:00:00.250-05:00") == "2025-01-01T05:00:00.250000Z"
    assert utc("") == ""
    assert visible_text("<style>p{}</style><p>a\n\t b</p><script>x</script>") == "a b"
    assert header_ids('<h1 id="a">A</h1><div><h6 id="z">Z</h6><p id="p">p</p></div>') == ("a", "z")
    env = service_env(FIXTURES / "ja", read_config(FIXTURES / "ja" / "_config.yml"))
    assert env["ALLFORCES_SITE_URL"] == "https://example.jp/blog"
    assert env["ALLFORCES_CACHE_DIR"] == "" and env["ALLFORCES_FEED_LIMIT"] == "1000"
    assert env["ALLFORCES_SITE_TIMEZONE"] == "Asia/Tokyo"


def test_a_failing_build_raises_with_jekylls_message(tmp_path: Path) -> None:
    """A Liquid syntax error makes jekyll_build raise JekyllError carrying Jekyll's own message."""
    require_jekyll()
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: Broken\ntimezone: UTC\nplugins: [jekyll-feed]\n", encoding="utf-8")
    post = "---\ntitle: Broken\n---\n{% if unclosed %}\nno endif\n"
    (site / "_posts" / "2025-01-01-broken.md").write_text(textwrap.dedent(post), encoding="utf-8")
    with pytest.raises(JekyllError, match="(?i)liquid"):
        jekyll_build(site, tmp_path / "out")
