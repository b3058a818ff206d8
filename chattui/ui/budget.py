"""Formatting of the token budget and costs for the status line (plain Rich Text, no markup)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from chattui.i18n import _

if TYPE_CHECKING:  # imported with the planner, after the first frame
    from chattui.core.window import Budget

__all__ = ["budget_text", "format_cost", "usage_text"]

WARN_SHARE = 0.1
"""Warn when less than this share of the window is left."""


def _n(value: int, approx: bool) -> str:
    return f"{'~' if approx else ''}{value:,}"


def budget_text(budget: Budget, compact: bool = False, tiny: bool = False) -> Text:
    """``prompt 12 + history 340 + reply 4,096 → 123,552 of 128,000 left``, coloured by room.

    ``compact`` keeps only what is left, for narrow terminals; ``tiny`` only the number left
    (or over), for the narrowest.
    """
    if tiny:
        approx = not budget.exact
        remaining = budget.remaining
        if remaining < 0:
            return Text(_("over by {n}", n=_n(-remaining, approx)), style="bold red", end="")
        style = "yellow" if remaining < budget.window * WARN_SHARE else "green"
        return Text(_("{left} left", left=_n(remaining, approx)), style=style, end="")
    approx = not budget.exact
    text = Text(no_wrap=True, overflow="ellipsis")
    if not compact:
        text.append(
            _(
                "prompt {prompt} + history {history} + reply {reserve}",
                prompt=_n(budget.prompt, approx),
                history=_n(budget.history + budget.system, approx),
                reserve=f"{budget.reserve:,}",
            )
        )
        text.append(" → ")
    remaining = budget.remaining
    if remaining < 0:
        style = "bold red"
        label = _("over by {n}: oldest messages will not be sent", n=_n(-remaining, approx))
    else:
        style = "yellow" if remaining < budget.window * WARN_SHARE else "green"
        label = _(
            "{left} of {window} left", left=_n(remaining, approx), window=f"{budget.window:,}"
        )
    text.append(label, style=style)
    return text


def format_cost(cost: float | None) -> str:
    """``$0.0012``, or empty when the price is unknown."""
    if cost is None:
        return ""
    return f"${cost:.4f}" if cost < 1 else f"${cost:,.2f}"


def usage_text(prompt: int, completion: int, cost: float | None, total: float | None) -> str:
    """``↑14 ↓188 tokens · $0.0001 · conversation $0.0010``."""
    parts = [
        _("↑{prompt} ↓{completion} tokens", prompt=f"{prompt:,}", completion=f"{completion:,}")
    ]
    if cost is not None:
        parts.append(format_cost(cost))
    if total is not None and total != cost:
        parts.append(_("conversation {cost}", cost=format_cost(total)))
    return " · ".join(parts)
