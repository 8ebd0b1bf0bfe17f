"""kramdown's smart quotes and typographic symbols, as Jekyll's smartify and kramdown write them.

Shared by the Markdown of bodies (body/kramdown.py) and by titles, which jekyll-feed smartifies.
Ported from kramdown/parser/kramdown/smart_quotes.rb (SQ_RULES) and typographic_symbol.rb.
"""

from __future__ import annotations

import re

# Ported from kramdown/parser/kramdown/smart_quotes.rb (SQ_RULES) and typographic_symbol.rb (TYPOGRAPHIC_SYMS). Ruby's
# \w, \s and \b are ASCII-only, hence re.ASCII; Ruby's /m is Python's DOTALL and Ruby's $ is an end of line.
_SQ_PUNCT = r"""[!"#$%'()*+,\-./:;<=>?@\[\\\]^_`{|}~]"""
_SQ_CLOSE = r"[^ \\\t\r\n\[{(-]"
_FLAGS = re.ASCII | re.MULTILINE
_SQ_RULES: tuple[tuple[re.Pattern[str], tuple[int | str, ...]], ...] = (
    (re.compile(r"""("|')(?=[_*]{1,2}\S)""", _FLAGS), ("lquote1",)),
    (re.compile(rf"""("|')(?={_SQ_PUNCT}(?!\.\.)\B)""", _FLAGS), ("rquote1",)),
    (re.compile(r"""(\s?)"'(?=\w)""", _FLAGS), (1, "ldquo", "lsquo")),
    (re.compile(r"""(\s?)'"(?=\w)""", _FLAGS), (1, "lsquo", "ldquo")),
    (re.compile(r"""(\s?)'(?=\d\ds)""", _FLAGS), (1, "rsquo")),
    (re.compile(r"""(\s)('|")(?=\w)""", _FLAGS), (1, "lquote2")),
    (re.compile(rf"""({_SQ_CLOSE})('|")""", _FLAGS), (1, "rquote2")),
    (re.compile(r"""("|')(?=\s|s\b|$)""", _FLAGS), ("rquote1",)),
    (re.compile(r"""(.?)'""", _FLAGS | re.DOTALL), (1, "lsquo")),
    (re.compile(r"""(.?)\"""", _FLAGS | re.DOTALL), (1, "ldquo")),
)
# Jekyll's default smart_quotes option "lsquo,rsquo,ldquo,rdquo" and entity_output "as_char" give these characters.
_QUOTE_CHARS = {"lsquo": "\u2018", "rsquo": "\u2019", "ldquo": "\u201c", "rdquo": "\u201d"}
# TYPOGRAPHIC_SYMS in kramdown's order; "<< " and " >>" keep a no-break space (kramdown's laquo_space/raquo_space).
_TYPO: dict[str, str] = {"---": "\u2014", "--": "\u2013", "...": "\u2026", "<< ": "\u00ab\u00a0", " >>": "\u00a0\u00bb"}
_TYPO.update({"<<": "\u00ab", ">>": "\u00bb"})
_SPECIAL = re.compile(r"""---|--|\.\.\.|<< | >>|<<|>>|["']""")


def _quote(kind: str, char: str) -> str:
    """The character kramdown's SQ_SUBSTS gives a quote rule's symbol (lquote1/rquote2 depend on the quote)."""
    if kind in _QUOTE_CHARS:
        return _QUOTE_CHARS[kind]
    return _QUOTE_CHARS[kind[0] + ("d" if char == '"' else "s") + "quo"]


def typography(text: str, after: str) -> str:
    """Smart quotes and typographic symbols in one text run; `after` stands for the source that follows it."""
    out: list[str] = []
    plain = 0  # kramdown's span parsers consume a preceding character only if it is still plain text
    pos = 0
    while (m := _SPECIAL.search(text, pos)) is not None:
        start, token = m.start(), m.group()
        if token not in ("'", '"'):
            out.append(text[pos:start])
            out.append(_TYPO[token])
            pos = plain = m.end()
            continue
        prec = start - 1 if start > plain and text[start - 1] != "\\" else start
        subject = text[prec:] + after
        for rule, substs in _SQ_RULES:
            found = rule.match(subject)
            if found is None:
                continue
            out.append(text[pos:prec])
            for subst in substs:
                if isinstance(subst, int):
                    out.append(found.group(subst) or "")
                else:
                    out.append(_quote(subst, found.group(found.lastindex or 1)[-1:]))
            pos = plain = prec + found.end()
            break
        else:  # pragma: no cover - the last two rules always match a quote
            out.append(text[pos : start + 1])
            pos = start + 1
    out.append(text[pos:])
    return "".join(out)
