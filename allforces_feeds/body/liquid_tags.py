"""Jekyll 4.3's include, include_relative, post_url and link tags for python-liquid (highlight: liquid_highlight)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from liquid import BoundTemplate, Environment, Node, Tag
from liquid.exceptions import LiquidError, LiquidSyntaxError
from liquid.token import TOKEN_EXPRESSION, Token

from allforces_feeds.body.liquid_state import STATE, line_of
from allforces_feeds.body.liquid_urls import relative_url

if TYPE_CHECKING:
    from liquid.context import RenderContext
    from liquid.stream import TokenStream

INCLUDE_DEPTH_LIMIT = 10
"""Jekyll has no limit (Ruby's stack is the limit); ten nested includes is far beyond any real post."""

# Jekyll's IncludeTag regular expressions (lib/jekyll/tags/include.rb), translated from Ruby.
VALID_SYNTAX = r"""([\w-]+)\s*=\s*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|'([^'\\]*(?:\\.[^'\\]*)*)'|([\w.-]+))"""
VARIABLE_SYNTAX = re.compile(r"(?P<variable>[^{]*(\{\{\s*[\w\-.]+\s*(\|.*)?\}\}[^\s{}]*)+)(?P<params>.*)", re.S)
FULL_VALID_SYNTAX = re.compile(rf"\A\s*(?:{VALID_SYNTAX}(?=\s|\Z)\s*)*\Z")
VALID_FILENAME_CHARS = re.compile(r"[\w/.\-()+~#@]+")
INVALID_SEQUENCES = re.compile(r"[./]{2,}")
POST_MATCHER = re.compile(r"^(.+/)*(\d+-\d+-\d+)-(.*)$")
LITERALS: dict[str, object] = {"true": True, "false": False, "nil": None, "null": None}


def tag_markup(stream: TokenStream) -> tuple[Token, str]:
    """The tag's token and the raw markup after its name ("" if none), consuming the markup."""
    token = stream.current
    if stream.peek.kind == TOKEN_EXPRESSION:
        next(stream)
        return token, stream.current.value.strip()
    return token, ""


class _Markup:
    """Tag markup that may hold `{{ }}` (Jekyll renders such markup as its own Liquid template)."""

    def __init__(self, env: Environment, text: str) -> None:
        """Keep the text, pre-parsing it when it holds a variable."""
        self.text = text
        self.template: BoundTemplate | None = env.from_string(text) if "{{" in text else None

    def render(self, context: RenderContext) -> str:
        """Render the markup in the tag's context."""
        if self.template is None:
            return self.text
        buf = context.get_buffer()
        self.template.render_with_context(context, buf, partial=True)
        return buf.getvalue().strip()


def lookup(context: RenderContext, name: str) -> object:
    """Liquid's context[name] for a dotted name or a literal, as Jekyll uses it for include params."""
    if name in LITERALS:
        return LITERALS[name]
    if re.fullmatch(r"-?\d+", name):
        return int(name)
    if re.fullmatch(r"-?\d+\.\d+", name):
        return float(name)
    return context.get(list(name.split(".")), token=None, default=None)


_PARTIALS: dict[tuple[str, int, int], BoundTemplate] = {}


def load_partial(root: Path, base_rel: str, name: str) -> BoundTemplate:
    """Parse an include file, refusing anything that resolves (via .. or symlinks) outside root/base_rel."""
    base = (root / base_rel).resolve()
    path = (base / name).resolve()
    if not path.is_relative_to(base) or not path.is_relative_to(root.resolve()) or not path.is_file():
        raise LiquidError(f"Could not locate the included file '{name}' in {base_rel}", token=None)
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    template = _PARTIALS.get(key)
    if template is None:
        if stat.st_size > 1_000_000:
            raise LiquidError(f"included file '{name}' is too large", token=None)
        template = STATE.get().parse(path.read_text(encoding="utf-8", errors="replace"))
        if len(_PARTIALS) > 256:
            _PARTIALS.clear()
        _PARTIALS[key] = template
    return template


class IncludeNode(Node):
    """`{% include file.html a="b" c=var %}` as Jekyll renders it (shared scope, params under include.*)."""

    __slots__ = ("file", "params", "relative")

    def __init__(self, token: Token, file: _Markup, params: str | None, relative: bool) -> None:
        """Keep the file markup and the raw params."""
        super().__init__(token)
        self.file, self.params, self.relative = file, params, relative
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Locate, load and render the included file."""
        state = STATE.get()
        name = self.file.render(context)
        if INVALID_SEQUENCES.search(name) or not VALID_FILENAME_CHARS.fullmatch(name):
            raise LiquidError(f"Invalid syntax for include tag. File contains invalid characters: {name}", token=None)
        if len(state.include_stack) >= INCLUDE_DEPTH_LIMIT:
            raise LiquidError(f"include depth limit ({INCLUDE_DEPTH_LIMIT}) reached at {name}", token=None)
        base_rel = state.page_dir if self.relative else "_includes"
        namespace: dict[str, object] = {}
        if self.params is not None:
            namespace["include"] = self._params(context)
        state.include_stack.append((f"{base_rel}/{name}".lstrip("/"), line_of(self.token)))
        try:
            template = load_partial(state.site.root, base_rel, name)
            template.render_with_context(context, buffer, namespace, partial=True)
        finally:
            state.include_stack.pop()
        return 1

    def _params(self, context: RenderContext) -> dict[str, object]:
        """Jekyll's parse_params: quoted strings (with \\" unescaped) or variable lookups."""
        params: dict[str, object] = {}
        for key, dq, sq, var in re.findall(VALID_SYNTAX, self.params or ""):
            if var:
                params[key] = lookup(context, var)
            else:
                params[key] = dq.replace('\\"', '"') if dq or not sq else sq.replace("\\'", "'")
        return params


class IncludeTag(Tag):
    """Jekyll's include tag (replaces Liquid's own, which takes `with`/`for` and no key=value params)."""

    name = "include"
    block = False
    relative = False

    def parse(self, stream: TokenStream) -> Node:
        """Split markup into file (maybe with {{ }}) and params, validating params as Jekyll does."""
        token, markup = tag_markup(stream)
        matched = VARIABLE_SYNTAX.search(markup)
        if matched:
            file, params = matched["variable"].strip(), matched["params"].strip()
        else:
            file, _, params = markup.partition(" ")
            params = params.strip()
        if not file:
            raise LiquidSyntaxError(f"missing file name in '{self.name}' tag", token=token)
        if params and not FULL_VALID_SYNTAX.match(params):
            raise LiquidSyntaxError(f"Invalid syntax for include tag: {params}", token=token)
        return IncludeNode(token, _Markup(self.env, file), params or None, self.relative)


class IncludeRelativeTag(IncludeTag):
    """Jekyll's include_relative: same syntax, file relative to the post's own folder."""

    name = "include_relative"
    relative = True


class UrlNode(Node):
    """Output of post_url / link: a site URL looked up in LiquidSite, passed through relative_url."""

    __slots__ = ("kind", "markup")

    def __init__(self, token: Token, kind: str, markup: _Markup) -> None:
        """Keep which lookup to do and on what."""
        super().__init__(token)
        self.kind, self.markup = kind, markup
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Find the URL or raise the error Jekyll raises."""
        site = STATE.get().site
        key = self.markup.render(context)
        if self.kind == "post_url":
            stripped = key.lstrip("/")
            # Jekyll's PostComparer, then its deprecated name-only match (basename without folder).
            url = site.post_urls.get(stripped) or site.post_urls.get(stripped.rsplit("/", 1)[-1])
            if url is None:
                raise LiquidError(f"Could not find post \"{key}\" in tag 'post_url'", token=None)
        else:
            url = site.link_urls.get(key) or site.link_urls.get("/" + key)
            if url is None:
                raise LiquidError(f"Could not find document '{key}' in tag 'link'", token=None)
        return buffer.write(relative_url(url))


class PostUrlTag(Tag):
    """`{% post_url 2025-09-12-slug %}` (Jekyll docs: Linking to posts)."""

    name = "post_url"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        """Validate the post name the way Jekyll's PostComparer does."""
        token, markup = tag_markup(stream)
        if not POST_MATCHER.match(markup.lstrip("/")):
            raise LiquidSyntaxError(f"Could not parse name of post \"{markup}\" in tag 'post_url'", token=token)
        # Jekyll 4.3 does not render Liquid inside post_url markup (only link does).
        return UrlNode(token, "post_url", _Markup(self.env, markup.replace("{{", "{ {")))


class LinkTag(Tag):
    """`{% link _posts/2025-09-12-slug.md %}` (Jekyll docs: Linking to pages/posts; Liquid allowed in the path)."""

    name = "link"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        """Keep the path markup."""
        token, markup = tag_markup(stream)
        if not markup:
            raise LiquidSyntaxError("missing path in 'link' tag", token=token)
        return UrlNode(token, "link", _Markup(self.env, markup))
