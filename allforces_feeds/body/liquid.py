"""Render Liquid in Jekyll post bodies the way Jekyll 4.3 does (before Markdown), tolerating anything it can't render.

Engine: python-liquid 2.x, configured like Jekyll's Liquid (lax filters, undefined renders empty) plus Jekyll's tags
(liquid_tags, liquid_highlight) and filters (liquid_filters, liquid_dates). Unknown tags, syntax errors, missing
includes/posts are reported in LiquidResult.problems with their line and left out of the output (liquid_safety);
nothing raises out of render_liquid.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from liquid import Environment, Mode, Undefined
from liquid.exceptions import LiquidError
from liquid.token import Token

from allforces_feeds.body.liquid_data import load_data
from allforces_feeds.body.liquid_dates import DATE_FILTERS, RubyTime, site_tz, to_ruby_time, with_ruby_times
from allforces_feeds.body.liquid_filters import FILTERS
from allforces_feeds.body.liquid_highlight import HighlightTag
from allforces_feeds.body.liquid_safety import guard_all, parse_tolerant, strip_liquid
from allforces_feeds.body.liquid_state import STATE, LiquidSite, RenderDeadline, RenderState, report
from allforces_feeds.body.liquid_tags import IncludeRelativeTag, IncludeTag, LinkTag, PostUrlTag

__all__ = ["ENV", "LiquidResult", "LiquidSite", "RubyTime", "load_data", "render_liquid"]


@dataclass(frozen=True)
class LiquidResult:
    """Rendered text plus (line, reason) for each tag/filter left out."""

    text: str
    problems: tuple[tuple[int, str], ...]


class JekyllEnvironment(Environment):
    """python-liquid configured as Jekyll 4.3 configures Liquid, with limits so a hostile post can't hang us."""

    loop_iteration_limit = 1_000_000  # product of nested loop lengths
    output_stream_limit = 8_000_000  # bytes
    local_namespace_limit = 8_000_000  # bytes of assigned/captured values (stops `append` doubling)
    context_depth_limit = 30

    def error(self, exc: type[LiquidError] | LiquidError, msg: str | None = None, token: Token | None = None) -> None:
        """Report instead of raising: the parser then drops the bad tag and goes on."""
        if not isinstance(exc, LiquidError):
            exc = exc(msg, token=token)
        state = STATE.get(None)
        fallback = state.parse_token if state else None
        usable = [t for t in (exc.token, token, fallback) if t is not None and t.start_index >= 0]
        report(usable[0] if usable else None, str(exc.message))


def _make_env() -> JekyllEnvironment:
    """One shared environment: Liquid's tags minus render/doc, Jekyll's tags and filters, all guarded."""
    # Jekyll's Liquid settings: strict_filters false (unknown filters pass the value through),
    # strict_variables false (undefined renders empty). Parsing stays strict so errors get reported.
    env = JekyllEnvironment(tolerance=Mode.STRICT, strict_filters=False, undefined=Undefined)
    for name in ("render", "doc", "include"):
        env.tags.pop(name, None)
    for tag in (IncludeTag, IncludeRelativeTag, PostUrlTag, LinkTag, HighlightTag):
        env.add_tag(tag)
    for name, func in {**FILTERS, **DATE_FILTERS}.items():
        env.add_filter(name, func)
    guard_all(env)
    return env


ENV = _make_env()


def render_liquid(
    text: str,
    page: Mapping[str, Any],
    site: LiquidSite,
    source: str,
    *,
    page_dir: str | None = None,
    time_limit: float = 2.0,
) -> LiquidResult:
    """Render a post body's Liquid as Jekyll does before Markdown; problems are reported, never raised."""
    if "{{" not in text and "{%" not in text:
        return LiquidResult(text, ())  # fast path: no Liquid at all
    folder = page_dir if page_dir is not None else os.path.dirname(str(page.get("path") or source)) or "_posts"
    state = RenderState(site, folder, time.monotonic() + time_limit, partial(parse_tolerant, ENV))
    reset = STATE.set(state)
    try:
        tz = site_tz(site.site)
        template = parse_tolerant(ENV, text)
        output = template.render(
            page=with_ruby_times(page, tz),
            site={k: to_ruby_time(v, tz) if isinstance(v, datetime) else v for k, v in site.site.items()},
            jekyll={"version": "4.3.1", "environment": site.site.get("jekyll_environment", "production")},
        )
    except RenderDeadline:
        report(None, f"render time limit ({time_limit}s) exceeded; all Liquid markup removed")
        output = strip_liquid(text)
    except (Exception, RecursionError) as err:  # noqa: BLE001 - the contract is: never raise
        report(None, f"Liquid render failed ({type(err).__name__}: {err}); all Liquid markup removed")
        output = strip_liquid(text)
    finally:
        STATE.reset(reset)
    return LiquidResult(output, tuple(sorted(state.problems, key=lambda p: p[0])))
