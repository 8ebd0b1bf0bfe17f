"""Liquid that never fails: tolerant parsing (bad markup dropped and reported) and guarded rendering of every tag.

Jekyll would fail the build on an unknown tag, a syntax error or a missing include; a feed must still show the post,
so each such problem is reported with its line and the offending markup left out of the output (never shown as source).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, TextIO

from liquid import BoundTemplate, Environment, Node, Tag
from liquid.exceptions import LiquidError, LiquidInterrupt, LiquidSyntaxError, ResourceLimitError, StopRender
from liquid.parser import get_parser
from liquid.stream import TokenStream
from liquid.token import TOKEN_CONTENT, TOKEN_EXPRESSION, TOKEN_TAG, Token

from allforces_feeds.body.liquid_state import STATE, RenderDeadline, report

if TYPE_CHECKING:
    from liquid.context import RenderContext

INNER_TAGS = {"else": {"if", "unless", "for", "case"}, "elsif": {"if", "unless"}, "when": {"case"}}
FILTER_NAME = re.compile(r"\|\s*([A-Za-z_][\w-]*)")
QUOTED = re.compile(r""""[^"]*"|'[^']*'""")
LIQUID_MARKUP = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{\{|\{%", re.S)


def strip_liquid(text: str) -> str:
    """Last resort: the text with all Liquid markup removed (raw bodies kept)."""
    return LIQUID_MARKUP.sub(lambda m: m.group(1) or "", text)


def _tokenize(env: Environment, text: str) -> list[Token]:
    """Lex, cutting from an unterminated {{ / {% (or unclosed comment) to the end of its line, and retrying."""
    for _ in range(200):
        try:
            tokens = list(env.tokenizer()(text))
        except LiquidSyntaxError as err:
            report(err.token, str(err.message))
            start = err.token.start_index if err.token else 0
            end = text.find("\n", start)
            text = text[:start] + (text[end:] if end >= 0 else "")
            continue
        opened = [t for t in tokens if t.kind == TOKEN_TAG and t.value in ("comment", "endcomment")]
        if opened and opened[-1].value == "comment":  # the lexer swallowed the rest as comment text
            tag = opened[-1]
            report(tag, "'comment' tag was never closed")
            start = text.rfind("{%", 0, tag.start_index)
            end = text.find("%}", tag.start_index) + 2
            text = text[:start] + "\n" * text.count("\n", start, end) + text[end:]
            continue
        return tokens
    report(None, "too many Liquid syntax errors; Liquid markup removed")
    return [Token(TOKEN_CONTENT, strip_liquid(text), 0, text)]


def _audit(env: Environment, tokens: list[Token]) -> list[Token]:
    """Drop unknown tags, unexpected end/inner tags and never-closed block openers (Jekyll would fail the build)."""
    blocks = {tag.name: tag.end for tag in env.tags.values() if tag.block and tag.end}
    ends = {end: name for name, end in blocks.items()}
    stack: list[int] = []
    drop: set[int] = set()
    for i, tok in enumerate(tokens):
        if tok.kind == TOKEN_EXPRESSION and i and tokens[i - 1].value not in ("raw", "highlight", "include"):
            for name in FILTER_NAME.findall(QUOTED.sub('""', tok.value)):
                if name not in env.filters:
                    report(tok, f"unknown filter '{name}' (value passed through)")
        if tok.kind != TOKEN_TAG:
            continue
        name = tok.value
        if name in blocks:
            stack.append(i)
        elif name in ends:
            openers = [j for j in stack if tokens[j].value == ends[name]]
            if not openers:
                drop.add(i)
                report(tok, f"unexpected '{name}'")
                continue
            while stack[-1] != openers[-1]:
                drop.add(stack.pop())
            stack.pop()
        elif name in INNER_TAGS:
            if not stack or tokens[stack[-1]].value not in INNER_TAGS[name]:
                drop.add(i)
                report(tok, f"unexpected '{name}'")
        elif name not in env.tags:
            drop.add(i)
            report(tok, f"unknown tag '{name}'")
    drop.update(stack)
    for i in sorted(drop):
        if tokens[i].value in blocks:
            report(tokens[i], f"'{tokens[i].value}' tag was never closed")
    if not drop:
        return tokens
    return [t for i, t in enumerate(tokens) if i not in drop and not (i - 1 in drop and t.kind == TOKEN_EXPRESSION)]


def parse_tolerant(env: Environment, text: str) -> BoundTemplate:
    """Parse a post or include; every problem is reported and the offending tag left out."""
    nodes = get_parser(env).parse(TokenStream(iter(_audit(env, _tokenize(env, text)))))
    return env.template_class(env=env, name="", path=None, nodes=nodes, globals=env.make_globals(None))


class GuardNode(Node):
    """Wraps every tag/output node: an error is reported and the node rendered as nothing (never as source)."""

    __slots__ = ("inner", "buffered")

    def __init__(self, inner: Node, buffered: bool) -> None:
        """Wrap a node; buffered nodes render to a scratch buffer so a failure leaves no partial output."""
        super().__init__(inner.token)
        self.inner, self.buffered = inner, buffered
        self.blank = inner.blank

    def __str__(self) -> str:
        """Same text as the wrapped node."""
        return str(self.inner)

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Render the inner node, catching and reporting everything but control flow and the deadline."""
        state = STATE.get()
        if time.monotonic() > state.deadline:
            raise RenderDeadline
        state.guard_depth += 1
        try:
            if not self.buffered:
                return self.inner.render(context, buffer)
            buf = context.get_buffer(buffer)
            count = self.inner.render(context, buf)
            buffer.write(buf.getvalue())
            return count
        except (RenderDeadline, RecursionError, LiquidInterrupt, StopRender):
            raise
        except ResourceLimitError as err:
            # A runaway loop/include/assign: leave out the whole top-level tag, not each of a million iterations.
            if state.guard_depth > 1:
                raise
            report(err.token or self.token, str(err.message))
        except LiquidError as err:
            report(err.token if err.token and err.token.start_index >= 0 else self.token, str(err.message))
        except Exception as err:  # noqa: BLE001 - a filter's TypeError etc. must not break the post
            report(self.token, f"{type(err).__name__}: {err}")
        finally:
            state.guard_depth -= 1
        return 0


class GuardTag(Tag):
    """Registry wrapper: parses with the wrapped tag, returns its node inside a GuardNode."""

    def __init__(self, env: Environment, inner: Tag) -> None:
        """Wrap one registered tag."""
        super().__init__(env)
        self.inner = inner
        self.name, self.end, self.block = inner.name, inner.end, inner.block

    def get_node(self, stream: TokenStream) -> Node:
        """Delegate (errors go through env.error, which reports), then guard the node."""
        state = STATE.get(None)
        if state is not None:
            state.parse_token = stream.current  # where env.error points when the error's own token has no place
        return GuardNode(self.inner.get_node(stream), buffered=self.block or self.name == "include")

    def parse(self, stream: TokenStream) -> Node:
        """Unused: get_node delegates."""
        return self.inner.parse(stream)


def guard_all(env: Environment) -> None:
    """Replace each registered tag but plain content with its guarded form."""
    for name, tag in list(env.tags.items()):
        if name not in ("content", "comment", "#") and not isinstance(tag, GuardTag):
            env.tags[name] = GuardTag(env, tag)
