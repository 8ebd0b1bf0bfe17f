"""Per-render state shared by the Liquid modules: site, problems found, include stack, deadline.

It lives in a ContextVar, so one shared Environment serves every thread/greenlet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liquid import BoundTemplate
from liquid.token import Token


@dataclass(frozen=True)
class LiquidSite:
    """What Liquid sees of the site."""

    root: Path
    site: Mapping[str, Any]
    post_urls: Mapping[str, str]
    link_urls: Mapping[str, str]
    markdownify: Callable[[str], str]


@dataclass
class RenderState:
    """Mutable state of one render_liquid call (Jekyll keeps the same in Liquid's registers)."""

    site: LiquidSite
    page_dir: str
    deadline: float
    parse: Callable[[str], BoundTemplate]
    problems: list[tuple[int, str]] = field(default_factory=list)
    include_stack: list[tuple[str, int]] = field(default_factory=list)
    guard_depth: int = 0
    parse_token: Token | None = None


STATE: ContextVar[RenderState] = ContextVar("allforces_liquid_state")


class RenderDeadline(Exception):  # noqa: N818 - a signal, not an error shown to users
    """Raised when a render runs past its time budget; never caught by guards."""


def line_of(token: Token | None) -> int:
    """1-based line of a token in its own source."""
    if token is None or token.start_index < 0:
        return 0
    return token.source.count("\n", 0, token.start_index) + 1


def report(token: Token | None, reason: str) -> None:
    """Record a problem; inside an include it is reported at the post line of the outermost include tag."""
    state = STATE.get(None)
    if state is None or len(state.problems) >= 200:
        return
    reason = " ".join(reason.split("\n", 1)[0].split())
    if state.include_stack:
        where = f", line {line_of(token)}" if line_of(token) else ""
        entry = (state.include_stack[0][1], f"{reason} (in {state.include_stack[-1][0]}{where})")
    else:
        entry = (line_of(token), reason)
    if entry not in state.problems:
        state.problems.append(entry)
