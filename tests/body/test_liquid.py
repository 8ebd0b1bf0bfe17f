"""allforces_feeds.body.liquid: Jekyll 4.3's Liquid in post bodies, checked against real Jekyll where it is installed.

Each CASE is one post body. Its expected text was taken from `jekyll build` of the fixture site below (posts as
`.html` so Jekyll applies Liquid only, no Markdown); test_real_jekyll re-checks that against the installed Jekyll.
HOSTILE cases are things Jekyll refuses to build: we must report them and leave them out, never raise.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import markdown
import pytest

from allforces_feeds.body.liquid import LiquidResult, LiquidSite, load_data, render_liquid

JST = timezone(timedelta(hours=9))
CONFIG = (
    'timezone: Asia/Tokyo\nurl: "https://example.com"\nbaseurl: "/blog"\ntitle: "テスト"\npermalink: /:title/\n'
    'excerpt_separator: ""\n'
)
FRONT = 'title: "A & B"\ndate: 2025-09-12 10:30:00 +0900\ntags: [x, y]\nanswer: 42\nlayout: null\n'
PEOPLE = "- {name: Al, lang: en, age: 40}\n- {name: Bo, lang: ja, age: 25}\n- {name: Cy, lang: ja, age: 33}\n"
INCLUDES = {
    "hi.html": "Hi {{ include.name }}!",
    "nested.html": "<{% include hi.html name=include.who %}>",
    "loop.html": "{% include loop.html %}",
    "bad.html": "ok {% youtube zzz %} then",
}
RUBY = "def foo(a = \"x\")\n  puts 'hi' # c\nend"

# (id, post body, what Jekyll 4.3.1 renders)
CASES: list[tuple[str, str, str]] = [
    (
        "variables",
        "{{ page.title }}|{{ page.answer | plus: 1 }}|{{ site.title }}|[{{ nope.x }}]|{{ page.tags | join: ',' }}|"
        "{{ page.url }}|{{ site.data.people[1].name }}|{{ site.data.sub.info.k }}|{{ site.data.t[0].b }}",
        "A & B|43|テスト|[]|x,y|/variables/|Bo|v|2",
    ),
    (
        "dates",
        "{{ page.date }}|{{ page.date | date_to_xmlschema }}|"
        '{{ page.date | date: "%b %-d, %Y %e %P %l %L %:z %j %U %^a" }}|'
        '{{ page.date | date: "%-m/%-d %H:%M %I%p %A %B %y %Z %%" }}',
        "2025-09-12 10:30:00 +0900|2025-09-12T10:30:00+09:00|Sep 12, 2025 12 am 10 000 +09:00 255 36 FRI|"
        "9/12 10:30 10AM Friday September 25 JST %",
    ),
    (
        "date_strings",
        '{{ page.date | date_to_string }}|{{ page.date | date_to_string: "ordinal", "US" }}|'
        '{{ page.date | date_to_long_string: "ordinal" }}|{{ page.date | date_to_rfc822 }}|'
        '{{ "2024-01-05 08:00:00" | date: "%Y/%m/%d %H" }}|{{ "garbage" | date: "%Y" }}',
        "12 Sep 2025|Sep 12th, 2025|12th September 2025|Fri, 12 Sep 2025 10:30:00 +0900|2024/01/05 08|garbage",
    ),
    (
        "urls",
        '{{ "/日本語 a/" | relative_url }}|{{ "x.html" | absolute_url }}|{{ "" | relative_url }}|'
        '{{ "https://x.org/a" | relative_url }}|{{ "/a/../b/" | relative_url }}|{{ page.url | absolute_url }}',
        "/blog/%E6%97%A5%E6%9C%AC%E8%AA%9E%20a/|https://example.com/blog/x.html|/blog|https://x.org/a|/blog/b/|"
        "https://example.com/blog/urls/",
    ),
    (
        "escapes",
        '{{ \'a<b>&"c\' | xml_escape }}|{{ "a b&c/~é" | cgi_escape }}|{{ "foo, bar \\baz?é%" | uri_escape }}|'
        "{{ '<a>' | escape }}",
        "a&lt;b&gt;&amp;&quot;c|a+b%26c%2F~%C3%A9|foo,%20bar%20%5Cbaz?%C3%A9%25|&lt;a&gt;",
    ),
    (
        "slugify",
        '{{ "A 日本語 b!" | slugify }}|{{ "A 日本語 b!" | slugify: "pretty" }}|{{ "Àé b_c" | slugify: "latin" }}|'
        '{{ "A 日本 b" | slugify: "ascii" }}|{{ " Hello  World " | slugify: "raw" }}|'
        '{{ "Hi There" | slugify: "none" }}',
        "a-日本語-b|a-日本語-b!|ae-b-c|a-b|hello-world|hi there",
    ),
    (
        "jsonify",
        "{{ page.tags | jsonify }}|{{ site.data.people[0] | jsonify }}|{{ site.title | jsonify }}|{{ 1.5 | jsonify }}",
        '["x","y"]|{"name":"Al","lang":"en","age":40}|"テスト"|1.5',
    ),
    (
        "collections",
        '{{ site.data.people | where: "lang", "ja" | map: "name" | join: "," }}|'
        '{{ site.data.people | where_exp: "p", "p.age > 30" | map: "name" | join: "," }}|'
        '{{ site.data.people | sort: "age" | map: "name" | join: "," }}|'
        '{% assign g = site.data.people | group_by: "lang" %}{% for x in g %}{{ x.name }}={{ x.size }};{% endfor %}|'
        '{% assign bo = site.data.people | find: "name", "Bo" %}{{ bo.age }}|'
        '{{ "c,a,b" | split: "," | sort | join: "" }}|{{ site.data.people | where: "age", "33" | size }}',
        "Bo,Cy|Al,Cy|Bo,Cy,Al|en=1;ja=2;|25|abc|1",
    ),
    (
        "words",
        '{{ "日本語の 文章 です hello world" | number_of_words }}|{{ "日本語の 文章 hello" | number_of_words: "cjk" }}|'
        '{{ "日本語 hi" | number_of_words: "auto" }}|{{ page.tags | array_to_sentence_string }}|'
        '{{ "a b c" | split: " " | array_to_sentence_string: "or" }}|{{ "  a \n\t b  " | normalize_whitespace }}|'
        '{{ "<p>x <b>y</b></p>" | strip_html }}',
        "5|7|4|x and y|a, b, or c|a b|x y",
    ),
    (
        "control_flow",
        "{% assign n = 3 %}{% capture c %}[{{ n }}]{% endcapture %}{{ c }}"
        "{% if n > 2 %}big{% elsif n == 2 %}two{% else %}small{% endif %}{% unless n == 1 %}!{% endunless %}"
        "{% case n %}{% when 1 %}one{% when 3 %}three{% else %}other{% endcase %}"
        "{% for i in (1..10) limit:3 offset:2 %}{{ i }}{% endfor %}"
        "{% for i in (1..3) reversed %}{{ forloop.index }}{{ i }}{% endfor %}"
        "{% comment %}hidden {% youtube %}{% endcomment %}.",
        "[3]big!three345132231.",
    ),
    (
        "raw",
        "{% raw %}{{ x }} {% if %}{% endraw %}|a {%- raw %} {{ y }} {% endraw -%} b|",
        "{{ x }} {% if %}|a {{ y }}  b|",
    ),
    (
        "include",
        '{% include hi.html name="太郎" %}|{% assign who = page.title %}{% include hi.html name=who %}|'
        "{% assign f = 'hi.html' %}{% include {{ f }} name='x' %}|{% include nested.html who='y' %}|"
        "{% include_relative snippet.txt %}",
        "Hi 太郎!|Hi A & B!|Hi x!|<Hi y!>|snippet page.title=A & B",
    ),
    (
        "links",
        "{% post_url 2025-09-12-variables %}|{% link _posts/2025-09-12-dates.html %}|{% post_url /2025-09-12-urls %}",
        "/blog/variables/|/blog/dates/|/blog/urls/",
    ),
    (
        "highlight",
        f"{{% highlight ruby %}}\n{RUBY}\n{{% endhighlight %}}\n{{% highlight NoSuchLang %}}\na < b & 'c'\n"
        "{% endhighlight %}",
        '<figure class="highlight"><pre><code class="language-ruby" data-lang="ruby"><span class="k">def</span> '
        '<span class="nf">foo</span><span class="p">(</span><span class="n">a</span> <span class="o">=</span> '
        '<span class="s2">"x"</span><span class="p">)</span>\n  <span class="nb">puts</span> <span class="s1">\'hi\''
        '</span> <span class="c1"># c</span>\n<span class="k">end</span></code></pre></figure>\n'
        '<figure class="highlight"><pre><code class="language-nosuchlang" data-lang="nosuchlang">a &lt; b &amp; \'c\''
        "</code></pre></figure>",
    ),
    (
        "highlight_linenos",
        "{% highlight ruby linenos %}\nx = {{ page.answer }}\n\nputs x\n{% endhighlight %}",
        '<figure class="highlight"><pre><code class="language-ruby" data-lang="ruby"><table class="rouge-table"><tbody>'
        '<tr><td class="gutter gl"><pre class="lineno">1\n2\n3\n</pre></td><td class="code"><pre>'
        '<span class="n">x</span> <span class="o">=</span> <span class="mi">42</span>\n\n<span class="nb">puts</span>'
        ' <span class="n">x</span>\n</pre></td></tr></tbody></table></code></pre></figure>',
    ),
    ("markdownify", '{{ "*a* & b" | markdownify }}', "<p><em>a</em> &amp; b</p>\n"),
]

# (id, body, expected output, expected problem lines): what Jekyll refuses to build is reported and left out.
HOSTILE: list[tuple[str, str, str, list[int]]] = [
    ("unknown_tag", "a\n{% youtube abc %}b", "a\nb", [2]),
    ("unknown_block", "{% myblock x %}in{% endmyblock %}", "in", [1, 1]),
    ("unclosed_if", "x\n{% if true %}a", "x\na", [2]),
    ("stray_end", "a{% endif %}b{% else %}c", "abc", [1, 1]),
    ("unterminated_output", "a\n{{ foo bar\nnext", "a\n\nnext", [2]),
    ("unterminated_tag", "a {% if\nb", "a \nb", [1]),
    ("bad_expression", "a{% if == %}b{% endif %}c{{ 1 | }}d", "acd", [1, 1]),
    ("path_escape", "{% include ../../etc/passwd %}x", "x", [1]),
    ("absolute_path", "{% include /etc/passwd %}x", "x", [1]),
    ("symlink_escape", "{% include evil.html %}x", "x", [1]),
    ("missing_include", "a\n\n{% include nope.html %}b", "a\n\nb", [3]),
    ("recursive_include", "{% include loop.html %}x", "x", [1]),
    ("error_inside_include", "1\n{% include bad.html %}", "1\nok  then", [2]),
    ("missing_post", "{% post_url 2020-01-01-nope %}x{% link nope.md %}", "x", [1, 1]),
    ("bad_post_name", "{% post_url not-a-post %}x", "x", [1]),
    ("huge_loop", "{% for a in (1..100000) %}{% for b in (1..100000) %}x{% endfor %}{% endfor %}.", ".", [1]),
    (
        "doubling",
        "{% assign s = 'xxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}.",
        ".",
        [1],
    ),
    ("filter_error", "{{ 'zz' | date_to_xmlschema }}|{{ 'a' | sort: 'x', 'sideways' }}", "|", [1, 1]),
    ("unknown_filter", "{{ 'a' | smartify_nope | upcase }}", "A", [1]),
    ("unclosed_raw", "{% raw %}{{ 1 | plus: 1 }}", "2", [1]),
    ("unclosed_comment", "a{% comment %}b\nc", "ab\nc", [1]),
    ("highlight_bad_markup", "{% highlight ruby <script> %}x{% endhighlight %}y", "y", [1]),
    ("render_tag", "{% render 'hi.html' %}x", "x", [1]),
]


def make_site(root: Path) -> LiquidSite:
    """The fixture site: config, _data, _includes, posts for every CASE (as .html so Jekyll skips Markdown)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    for folder in ("_data/sub", "_includes", "_posts"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "_data/people.yml").write_text(PEOPLE, encoding="utf-8")
    (root / "_data/sub/info.json").write_text('{"k": "v"}', encoding="utf-8")
    (root / "_data/t.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    for name, text in INCLUDES.items():
        (root / "_includes" / name).write_text(text, encoding="utf-8")
    outside = root.parent / f"{root.name}-secret.txt"
    outside.write_text("SECRET", encoding="utf-8")
    (root / "_includes/evil.html").unlink(missing_ok=True)
    (root / "_includes/evil.html").symlink_to(outside)
    (root / "_posts/snippet.txt").write_text("snippet page.title={{ page.title }}", encoding="utf-8")
    for case_id, body, _ in CASES:
        (root / f"_posts/2025-09-12-{case_id}.html").write_text(f"---\n{FRONT}---\n{body}", encoding="utf-8")
    site = {
        "timezone": "Asia/Tokyo",
        "url": "https://example.com",
        "baseurl": "/blog",
        "title": "テスト",
        "data": load_data(root),
    }
    urls = {f"2025-09-12-{c}": f"/{c}/" for c, _, _ in CASES}
    links = {f"_posts/2025-09-12-{c}.html": f"/{c}/" for c, _, _ in CASES}
    return LiquidSite(root, site, urls, links, lambda text: markdown.markdown(text) + "\n")


def page_for(case_id: str) -> dict[str, Any]:
    """The page variables Jekyll gives the fixture post."""
    return {
        "title": "A & B",
        "date": datetime(2025, 9, 12, 10, 30, tzinfo=JST),
        "tags": ["x", "y"],
        "categories": [],
        "answer": 42,
        "url": f"/{case_id}/",
        "path": f"_posts/2025-09-12-{case_id}.html",
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> LiquidSite:
    """One fixture site shared by the module."""
    return make_site(tmp_path_factory.mktemp("site") / "src")


@pytest.fixture(scope="module")
def jekyll_site(site: LiquidSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture site built by the installed Jekyll (skip when missing unless ALLFORCES_REQUIRE_JEKYLL=1)."""
    jekyll = shutil.which("jekyll")
    if jekyll is None:
        if os.environ.get("ALLFORCES_REQUIRE_JEKYLL") == "1":
            pytest.fail("jekyll is not installed and ALLFORCES_REQUIRE_JEKYLL=1")
        pytest.skip("jekyll is not installed (apt-get install jekyll); real-Jekyll comparison skipped")
    dest = tmp_path_factory.mktemp("built")
    # Jekyll refuses the symlinked include by design; keep it out of the build (it is only used by HOSTILE).
    build_src = tmp_path_factory.mktemp("jsrc")
    shutil.copytree(site.root, build_src, dirs_exist_ok=True, ignore=shutil.ignore_patterns("evil.html"))
    subprocess.run(
        [jekyll, "build", "--quiet", "--safe", "-s", str(build_src), "-d", str(dest)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    return dest


def render(site: LiquidSite, case_id: str, body: str, **kwargs: Any) -> LiquidResult:
    """render_liquid for a fixture post."""
    return render_liquid(body, page_for(case_id), site, f"_posts/2025-09-12-{case_id}.html", **kwargs)


@pytest.mark.parametrize(("case_id", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_case(site: LiquidSite, case_id: str, body: str, expected: str) -> None:
    """Each tag/filter renders what Jekyll 4.3.1 rendered for it, with no problems."""
    result = render(site, case_id, body)
    assert result.problems == ()
    assert result.text == expected


@pytest.mark.parametrize(("case_id", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_real_jekyll(site: LiquidSite, jekyll_site: Path, case_id: str, body: str, expected: str) -> None:
    """The installed Jekyll still renders each case exactly as our output (and the recorded expectation)."""
    built = (jekyll_site / case_id / "index.html").read_text(encoding="utf-8")
    assert render(site, case_id, body).text == built


@pytest.mark.parametrize(("case_id", "body", "expected", "lines"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile(site: LiquidSite, case_id: str, body: str, expected: str, lines: list[int]) -> None:
    """What Jekyll can't build is left out and reported with its line; nothing raises or leaks source."""
    started = time.perf_counter()
    result = render(site, case_id, body)
    assert time.perf_counter() - started < 2.5
    assert result.text == expected
    assert [line for line, _ in result.problems] == lines, result.problems
    assert "{%" not in result.text and "SECRET" not in result.text and "root:" not in result.text


def test_time_limit(site: LiquidSite) -> None:
    """A post that runs past its time budget comes back with all Liquid removed and the reason reported."""
    body = "a{% for i in (1..900000) %}{{ i | plus: 1 }}{% endfor %}b {% raw %}{{ kept }}{% endraw %}"
    result = render(site, "slow", body, time_limit=0.05)
    assert result.text == "ab {{ kept }}"
    assert "time limit" in result.problems[0][1]


def test_fast_path(site: LiquidSite) -> None:
    """Text without {{ or {% comes back as the same object, with no problems."""
    text = "# 見出し\n\n本文 { not liquid } %}\n" * 200
    result = render_liquid(text, {}, site, "_posts/x.md")
    assert result.text is text and result.problems == ()


def test_fuzz_never_raises(site: LiquidSite) -> None:
    """Random mixes of valid and broken fragments never raise and never leave a tag's source behind."""
    parts = [
        "{% if x %}",
        "{% endif %}",
        "{% for i in (1..3) %}",
        "{% endfor %}",
        "{{ page.title",
        "}}",
        "{%",
        "%}",
        "{% include hi.html %}",
        "{% else %}",
        "{% raw %}",
        "{% endraw %}",
        "{% case 1 %}",
        "{% when 1 %}",
        "{% capture c %}",
        "{% endcapture %}",
        "{{ x | where_exp: 'a', '==' }}",
        "text\n",
        "{% highlight %}",
        "{% endhighlight %}",
        "{% comment %}",
        "{% endcomment %}",
        "{{ 'a' | slugify: 1 }}",
        "{% cycle %}",
    ]
    rng = random.Random(7)
    for _ in range(300):
        body = "".join(rng.choice(parts) for _ in range(rng.randint(1, 12)))
        result = render(site, "fuzz", body)
        assert isinstance(result.text, str)
        if "raw" not in body:
            assert "{%" not in result.text


def test_load_data(site: LiquidSite) -> None:
    """_data: YAML lists, nested folders of JSON, CSV rows as header-keyed hashes."""
    data = load_data(site.root)
    assert data["people"][0] == {"name": "Al", "lang": "en", "age": 40}
    assert data["sub"] == {"info": {"k": "v"}}
    assert data["t"] == [{"a": "1", "b": "2"}]


def test_speed(site: LiquidSite) -> None:
    """A 5 KB post with a few tags renders in well under 50 ms once warm."""
    para = "これは日本語の段落です。Jekyll の本文に Liquid が少し入っています。\n\n" * 40
    body = (para + "{{ page.title }} {% post_url 2025-09-12-dates %} {{ page.date | date_to_string }}\n" * 3)[:5000]
    render(site, "speed", body)
    started = time.perf_counter()
    for _ in range(20):
        render(site, "speed", body)
    assert (time.perf_counter() - started) / 20 < 0.05
