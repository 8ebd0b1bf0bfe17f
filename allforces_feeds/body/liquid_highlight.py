"""Jekyll's highlight tag (lib/jekyll/tags/highlight.rb), with Pygments standing in for Rouge."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TextIO

from liquid import Node, Tag
from liquid.ast import BlockNode
from liquid.exceptions import LiquidSyntaxError
from liquid.parser import get_parser
from liquid.token import TOKEN_EOF, TOKEN_TAG, Token
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES, Text, Whitespace, is_token_subtype
from pygments.util import ClassNotFound

from allforces_feeds.body.liquid_tags import tag_markup

if TYPE_CHECKING:
    from liquid.context import RenderContext
    from liquid.stream import TokenStream
    from pygments.token import _TokenType

HIGHLIGHT_SYNTAX = re.compile(r'^([a-zA-Z0-9.+#_-]+)((\s+\w+(=(\w+|"([0-9]+\s)*[0-9]+"))?)*)$')
LINE_TERMINATORS = re.compile(r"\A[\n\r]+|[\n\r]+\Z")


def _escape_rouge(text: str) -> str:
    """Rouge escapes only & < > (not quotes), unlike html.escape."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _short_class(ttype: _TokenType) -> str:
    """Pygments' short CSS class for a token type (or its nearest known parent), which is how Rouge names it."""
    return next(STANDARD_TYPES[t] for t in reversed(ttype.split()) if t in STANDARD_TYPES)


def _rouge_tokens(code: str, lang: str) -> list[tuple[str, str]]:
    """(CSS class, text) runs as Rouge emits them: plain text unclassed, consecutive same-class tokens merged."""
    try:
        raw = get_lexer_by_name(lang, stripnl=False, ensurenl=True).get_tokens(code)
    except ClassNotFound:
        # Rouge::Lexer.find_fancy(...) || PlainText: unknown languages are plain text, no spans.
        raw = iter([(Text, code if code.endswith("\n") else code + "\n")])
    tokens: list[tuple[str, str]] = []
    for ttype, value in raw:
        # Rouge lexers emit whitespace as plain Text (no <span class="w">); Text gets no span at all.
        plain = is_token_subtype(ttype, Text) or is_token_subtype(ttype, Whitespace)
        cls = "" if plain else _short_class(ttype)
        if tokens and tokens[-1][0] == cls:
            tokens[-1] = (cls, tokens[-1][1] + value)
        elif value:
            tokens.append((cls, value))
    return tokens


def highlight_html(code: str, lang: str, linenos: bool) -> str:
    """Jekyll's render_rouge + add_code_tag."""
    tokens = _rouge_tokens(code, lang)
    body = "".join(f'<span class="{c}">{_escape_rouge(v)}</span>' if c else _escape_rouge(v) for c, v in tokens)
    if linenos:
        # Rouge::Formatters::HTMLTable as Jekyll 4.3 configures it (gutter "gutter gl", code "code").
        count = sum(v.count("\n") for _, v in tokens)
        if tokens and not tokens[-1][1].endswith("\n"):
            count += 1
        gutter = "\n".join(str(i) for i in range(1, count + 1)) + "\n"
        body = (
            '<table class="rouge-table"><tbody><tr><td class="gutter gl">'
            f'<pre class="lineno">{gutter}</pre></td><td class="code"><pre>{body}</pre></td></tr></tbody></table>'
        )
    body = body[:-2] if body.endswith("\r\n") else body[:-1] if body.endswith(("\n", "\r")) else body  # code.chomp
    attrs = f'class="language-{lang.replace("+", "-")}" data-lang="{lang}"'
    return f'<figure class="highlight"><pre><code {attrs}>{body}</code></pre></figure>'


class HighlightNode(Node):
    """`{% highlight lang [linenos] %}...{% endhighlight %}`; the body is Liquid too (hence raw in docs)."""

    __slots__ = ("lang", "linenos", "block")

    def __init__(self, token: Token, lang: str, linenos: bool, block: BlockNode) -> None:
        """Keep language, options and body."""
        super().__init__(token)
        self.lang, self.linenos, self.block = lang, linenos, block
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Render the body, strip leading/trailing line terminators, highlight."""
        buf = context.get_buffer(buffer)
        self.block.render(context, buf)
        code = LINE_TERMINATORS.sub("", buf.getvalue())
        return buffer.write(highlight_html(code, self.lang, self.linenos))


class HighlightTag(Tag):
    """Jekyll's highlight block."""

    name = "highlight"
    end = "endhighlight"
    block = True

    def parse(self, stream: TokenStream) -> Node:
        """Check markup against Jekyll's SYNTAX, then parse the body up to endhighlight."""
        token, markup = tag_markup(stream)
        matched = HIGHLIGHT_SYNTAX.match(markup)
        if not matched:
            raise LiquidSyntaxError(f"Syntax Error in tag 'highlight' while parsing: {markup}", token=token)
        # Jekyll's parse_options: bare words are true.
        options = dict((opt.split("=", 1) + ["true"])[:2] for opt in matched.group(2).split() if opt)
        next(stream)
        block = get_parser(self.env).parse_block(stream, (self.end, TOKEN_EOF))
        stream.expect(TOKEN_TAG, value=self.end)
        linenos = options.get("linenos", "false") != "false"
        return HighlightNode(token, matched.group(1).lower(), linenos, block)
