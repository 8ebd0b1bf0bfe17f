"""`flask feeds check` and `flask feeds export`."""

from __future__ import annotations

from ..conftest import FIXTURES


def test_check_lists_every_problem_and_fails(make_app) -> None:
    result = make_app(FIXTURES / "broken").test_cli_runner().invoke(args=["feeds", "check"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "_posts/2025-01-03-bad-yaml.md: front matter: invalid YAML" in "\n".join(lines)
    assert any(line.startswith("_posts/2025-01-07-binary.md: file: binary file") for line in lines)
    assert len([line for line in lines if line.startswith("_posts/")]) == 8


def test_check_passes_on_bundled_content(app) -> None:
    result = app.test_cli_runner().invoke(args=["feeds", "check"])
    assert result.stdout == ""
    assert result.exit_code == 0


def test_check_reports_labels_that_share_a_slug(make_app, posts_dir) -> None:
    posts_dir("2025-01-01-one.md", 'title: "一"\ntags: ["AI"]')
    site = posts_dir("2025-01-02-two.md", 'title: "二"\ntags: ["ＡＩ"]')
    result = make_app(site).test_cli_runner().invoke(args=["feeds", "check"])
    assert result.exit_code == 1
    assert (
        "tags: ai: 'AI' (_posts/2025-01-01-one.md), 'ＡＩ' (_posts/2025-01-02-two.md) share the slug" in result.stdout
    )


def test_export_writes_every_feed(app, tmp_path) -> None:
    result = app.test_cli_runner().invoke(args=["feeds", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    for name in ("feed.xml", "atom.xml", "feed.json"):
        assert (tmp_path / "out" / name).read_bytes() == client.get("/" + name).data


def test_config_says_where_each_setting_comes_from(make_app) -> None:
    from ..conftest import FIXTURES

    site = FIXTURES / "jekyll" / "ja"
    result = make_app(site, SITE_URL=None, PUBLIC_URL=None).test_cli_runner().invoke(args=["feeds", "config"])
    lines = result.stdout.splitlines()
    assert "ALLFORCES_SITE_URL=https://example.jp/blog  (_config.yml)" in lines
    assert "ALLFORCES_SITE_TIMEZONE=Asia/Tokyo  (_config.yml)" in lines
    assert "ALLFORCES_ITEM_IDS=url  (_config.yml)" in lines
    assert f"ALLFORCES_CONTENT_DIR={site}  (environment)" in lines
    assert "ALLFORCES_FEED_LIMIT=20  (default)" in lines


def test_check_reports_liquid_it_cannot_render_with_file_and_line(make_app, posts_dir) -> None:
    site = posts_dir(
        "2025-01-01-plugin.md", 'title: "プラグイン"', "一行目\n\n{% youtube abc %}\n\n{{ page.title }}です。"
    )
    result = make_app(site).test_cli_runner().invoke(args=["feeds", "check"])
    assert result.exit_code == 1
    assert any(
        line.startswith("_posts/2025-01-01-plugin.md: line 3: Liquid:") for line in result.stdout.splitlines()
    ), result.stdout
