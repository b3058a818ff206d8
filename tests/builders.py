"""The production request builder, for tests that make a :class:`ChatSession` themselves.

The session has no default builder (issue 17): tests build the very request users send,
trimmed to the window by :class:`~chattui.core.planner.RequestPlanner`.
"""

from __future__ import annotations

from chattui.core.config import Settings
from chattui.core.planner import RequestPlanner
from chattui.core.turns import RequestBuilder


def production_builder(settings: Settings | None = None) -> RequestBuilder:
    """``RequestPlanner(settings).build`` (default settings when none are given)."""
    return RequestPlanner(settings or Settings()).build
