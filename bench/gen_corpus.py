"""A deterministic synthetic blog in Jekyll's format: `python -m bench.gen_corpus N DIR [--seed S]`.

Each post is `_posts/YYYY-MM-DD-slug.md` with front matter as the real blog writes it (title, date,
categories, tags, author, and sometimes excerpt, reading_time, image, last_modified_at) and a Japanese
Markdown body of 3-8 KB with headings, lists, links and bold. The same N and seed give the same bytes.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 6
# Fifteen years of archives, all in the past so that nothing is scheduled.
FIRST_DAY = datetime(2010, 1, 1, tzinfo=UTC)
YEARS = 15

AUTHORS = ("ALLFORCES編集部", "山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健", "Alex Smith")
CATEGORIES = (
    "投資分析", "市場動向", "技術解説", "規制・政策", "企業分析", "半導体", "金融政策",
    "暗号資産", "ESG投資", "スタートアップ", "AI倫理", "Data Science",
)  # fmt: skip
_JA_TAG_STEMS = (
    "生成AI", "最新ニュース", "技術動向", "投資", "株式", "規制", "半導体", "データセンター", "電力", "金利",
    "為替", "日本株", "米国株", "ファンド", "エージェント", "セキュリティ", "量子計算", "ロボット", "自動運転",
    "医療AI", "教育", "決算", "新興国", "債券", "不動産", "インフレ", "雇用", "供給網", "クラウド", "通信",
)  # fmt: skip
_ASCII_TAGS = (
    "AI", "LLM", "GPU", "ETF", "EU", "OpenAI", "NVIDIA", "TSMC", "HBM", "IPO", "ESG", "API", "SaaS",
    "Python", "Rust", "C++", "node.js", "M&A", "S&P 500", "FRB", "BOJ", "RAG", "MLOps", "Edge AI",
)  # fmt: skip
_TAG_SUFFIXES = ("", "入門", "戦略", "市場", "リスク", "2030")


def _tags() -> tuple[str, ...]:
    """About 200 tags: Japanese stems with suffixes, ASCII names, and a few mixed ones."""
    tags = list(_ASCII_TAGS)
    for suffix in _TAG_SUFFIXES:
        tags.extend(stem + suffix for stem in _JA_TAG_STEMS)
    tags.extend(f"{name}関連" for name in _ASCII_TAGS[:6])
    return tuple(dict.fromkeys(tags))[:200]


TAGS = _tags()

_NOUNS = (
    "生成AI", "半導体市場", "データセンター", "中央銀行", "新興企業", "電力需要", "長期金利", "個人投資家",
    "大規模言語モデル", "規制当局", "クラウド事業", "供給網", "為替相場", "決算発表", "研究開発費",
)  # fmt: skip
_VERBS = (
    "が拡大しています", "に注目が集まっています", "の見通しが変わりつつあります", "を冷静に見極める必要があります",
    "が株価を左右します", "の影響は想像以上に大きいのです", "には慎重な姿勢が求められます",
)  # fmt: skip
_OPENERS = ("実は、", "一方で、", "たとえば、", "ここで大事なのは、", "正直なところ、", "結論から言えば、", "")
_ENDS = ("。", "。", "。", "！", "？")
_TITLE_FORMS = (
    "{a}と{b}、投資家が押さえるべき{n}つの論点",
    "{a}の次に来るもの：{b}をどう読むか",
    "いま{a}を語るなら{b}を外せない理由",
    "{a}は{b}を変えるのか？",
    "【{year}年】{a}と{b}の最新動向まとめ",
)  # fmt: skip
_SLUG_WORDS = (
    "ai", "market", "chips", "rates", "energy", "llm", "fund", "policy", "cloud", "data",
    "stocks", "yen", "robots", "quantum", "security", "outlook", "review", "memo",
)  # fmt: skip


def _sentence(rng: random.Random) -> str:
    """One Japanese sentence, now and then with bold or a link."""
    text = f"{rng.choice(_OPENERS)}{rng.choice(_NOUNS)}{rng.choice(_VERBS)}"
    roll = rng.random()
    if roll < 0.12:
        text = f"**{text}**"
    elif roll < 0.2:
        text += f"（[{rng.choice(_NOUNS)}の資料](https://example.com/{rng.choice(_SLUG_WORDS)}/{rng.randrange(1000)})）"
    return text + rng.choice(_ENDS)


LIQUID = (
    "{{% assign count = {count} %}}この記事「{{{{ page.title }}}}」は{{{{ site.title }}}}の"
    "{{{{ count }}}}本目の特集です。{{% if count > 5 %}}長めの特集です。{{% endif %}}\n\n"
)


def _paragraph(rng: random.Random) -> str:
    """One paragraph of generated Japanese prose."""
    return "".join(_sentence(rng) for _ in range(rng.randint(3, 7)))


def _body(rng: random.Random, size: int) -> str:
    """Markdown of about `size` UTF-8 bytes: paragraphs, ## headings, lists, now and then a quote."""
    blocks = [_paragraph(rng)]
    length = len(blocks[0].encode())
    section = 0
    while length < size:
        roll = rng.random()
        if roll < 0.18:
            section += 1
            block = f"## {section}. {rng.choice(_NOUNS)}をどう見るか"
        elif roll < 0.3:
            marker = rng.choice(("-", "*", "1."))
            block = "\n".join(f"{marker} {_sentence(rng)}" for _ in range(rng.randint(2, 5)))
        elif roll < 0.34:
            block = f"> {_sentence(rng)}"
        elif roll < 0.37:
            block = f"### 補足：{rng.choice(_NOUNS)}"
        else:
            block = _paragraph(rng)
        blocks.append(block)
        length += len(block.encode()) + 2
    return "\n\n".join(blocks) + "\n"


def _quoted(items: list[str]) -> str:
    """A YAML double-quoted scalar."""
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def _tag_index(rng: random.Random) -> int:
    """A tag's position: a long tail, as on a real blog (a few tags on many posts, every tag on some)."""
    index = int(rng.paretovariate(0.6)) - 1
    return index if index < len(TAGS) else rng.randrange(len(TAGS))


def post_text(rng: random.Random, number: int, when: datetime) -> tuple[str, str, list[str]]:
    """(file name, file text, tags) of one post."""
    a, b = rng.sample(_NOUNS, 2)
    title = rng.choice(_TITLE_FORMS).format(a=a, b=b, n=rng.randint(3, 7), year=when.year)
    slug = f"{'-'.join(rng.sample(_SLUG_WORDS, 3))}-{number}"
    tags = list(dict.fromkeys(TAGS[_tag_index(rng)] for _ in range(6)))[: rng.randint(2, 6)]
    categories = rng.sample(CATEGORIES, rng.choice((1, 1, 1, 2)))
    lines = [
        "---",
        "layout: post",
        f'title: "{title}"',
        f"date: {when.strftime('%Y-%m-%d %H:%M:%S +0000')}",
    ]
    # Both forms Jekyll allows: a YAML list, or a space-separated string (for labels without spaces).
    if rng.random() < 0.8 or any(" " in label for label in categories + tags):
        lines += [f"categories: {_quoted(categories)}", f"tags: {_quoted(tags)}"]
    else:
        lines += [f"categories: {' '.join(categories)}", f"tags: {' '.join(tags)}"]
    lines.append(f'author: "{rng.choice(AUTHORS)}"')
    if rng.random() < 0.3:
        lines.append(f'excerpt: "{a}と{b}の関係を、投資家の目線で整理します。"')
    if rng.random() < 0.4:
        lines.append(f"reading_time: {rng.randint(3, 12)}")
    if rng.random() < 0.15:
        lines.append(f"image: /assets/images/{slug}.png")
    if rng.random() < 0.1:
        modified = when + timedelta(days=rng.randint(1, 90))
        lines.append(f"last_modified_at: {modified.strftime('%Y-%m-%d %H:%M:%S +0000')}")
    lines.append("---")
    body = _body(rng, rng.randint(2600, 7400))
    if rng.random() < 0.3:
        # A third of Jekyll posts use Liquid (issue 10 measured 27-38%): variables, assign and a condition.
        body = LIQUID.format(count=rng.randint(2, 9)) + body
    return f"{when:%Y-%m-%d}-{slug}.md", "\n".join(lines) + "\n\n" + body, tags


@dataclass(frozen=True)
class Corpus:
    """What generate() wrote: the site root, the post files, and how many posts carry each tag."""

    directory: Path
    paths: tuple[Path, ...]
    tags: Counter[str]


def generate(count: int, directory: Path, seed: int = SEED) -> Corpus:
    """Write `count` posts into directory/_posts; the same count and seed write the same bytes."""
    rng = random.Random(seed)
    posts = directory / "_posts"
    posts.mkdir(parents=True, exist_ok=True)
    span = YEARS * 365 * 24 * 3600
    paths = []
    tags: Counter[str] = Counter()
    for number in range(count):
        when = FIRST_DAY + timedelta(seconds=rng.randrange(span))
        name, text, post_tags = post_text(rng, number, when)
        path = posts / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        tags.update(post_tags)
    return Corpus(directory, tuple(paths), tags)


def main(argv: list[str] | None = None) -> None:
    """Command line: N DIR [--seed S]."""
    parser = argparse.ArgumentParser(prog="python -m bench.gen_corpus", description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="how many posts")
    parser.add_argument("directory", type=Path, help="site root; posts go to DIR/_posts")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    corpus = generate(args.count, args.directory, args.seed)
    print(f"wrote {len(corpus.paths)} posts with {len(corpus.tags)} tags to {args.directory / '_posts'}")


if __name__ == "__main__":
    main()
