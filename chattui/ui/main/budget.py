"""The live token budget in the status line: the prompt being typed against the model's
context window (history and system prompt included). Counted at once when cheap, else in a
thread after a pause in typing; shown once the warm-up has made the tokenizer ready."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message as UIMessage
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import get_current_worker

from chattui.core.models import Message
from chattui.core.services import Services
from chattui.ui.budget import budget_text
from chattui.ui.main.panes import Panes, Shown

if TYPE_CHECKING:  # imported with the planner, after the first frame
    from chattui.core.planner import BudgetInput
    from chattui.core.window import Budget

__all__ = ["BudgetCounted", "BudgetMeter"]

SMALL_PROMPT = 2_000
"""Prompts up to this many characters are counted at once on the UI thread (well under a
millisecond) when the history's counts are cached; longer ones in a thread, after a pause."""
BUDGET_DELAY = 0.15
"""Seconds after the last keystroke before a long prompt is counted (in a thread)."""


class BudgetCounted(UIMessage):
    """The budget worker counted a prompt (posted from its thread to the screen)."""

    bubble = False  # for the screen only

    def __init__(self, budget: Budget, generation: int) -> None:
        super().__init__()
        self.budget = budget
        self.generation = generation


class BudgetMeter:
    """Counts the budget of the prompt and shows it in the status line."""

    def __init__(
        self,
        screen: Screen[None],
        services: Services,
        shown: Shown,
        panes: Panes,
        editing: Callable[[], Message | None],
    ) -> None:
        self._screen = screen
        self._services = services
        self._shown = shown
        self._panes = panes
        self._editing = editing
        """The earlier prompt being edited, if any: the history sent ends before it."""
        self._ready = False
        """True once the tokenizer is loaded (the warm-up enables it)."""
        self._generation = 0
        """Bumped by every update: a count from an older one is dropped."""
        self.timer: Timer | None = None
        """The pause after typing, before a long prompt is counted."""

    def enable(self) -> None:
        """Start showing the live token budget (it can be counted: estimated, or the tokenizer
        is loaded)."""
        self._ready = True
        self.update()

    def update(self, typed: bool = False) -> None:
        """Show the budget of the prompt: at once when that is cheap (a short prompt, history
        counts cached), else counted in a thread; after typing (``typed``), only after a
        short pause."""
        if not self._ready:
            return
        self._generation += 1
        if self.timer is not None:
            self.timer.stop()
            self.timer = None
        taken = self._input()
        if taken is None:
            return
        text = self._panes.prompt.text
        if len(text) <= SMALL_PROMPT and taken.is_counted(text):
            self._screen.workers.cancel_group(self._screen, "budget")
            try:
                budget = self._services.count_budget(taken, text)
            except Exception:  # a tokenizer problem must never break typing
                return
            self._show(budget)
        elif not typed:
            self._count(taken, text, self._generation)
        else:
            self.timer = self._screen.set_timer(BUDGET_DELAY, self._count_typed)

    def _input(self) -> BudgetInput | None:
        try:
            return self._services.budget_input(self._shown.conversation, self._editing())
        except Exception:  # a catalog problem must never break typing
            return None

    def _count_typed(self) -> None:
        """The pause after typing is over: count the prompt as it is now."""
        self.timer = None
        taken = self._input()
        if taken is not None:
            self._count(taken, self._panes.prompt.text, self._generation)

    def _count(self, taken: BudgetInput, text: str, generation: int) -> None:
        self._screen.run_worker(
            lambda: self._count_in_thread(taken, text, generation),
            thread=True,
            exclusive=True,
            group="budget",
            exit_on_error=False,
        )

    def _count_in_thread(self, taken: BudgetInput, text: str, generation: int) -> None:
        """Count in a thread (the helper process counts; in-process tiktoken releases the GIL);
        a newer update cancels this one."""
        try:
            budget = self._services.count_budget(taken, text)
        except Exception:
            return
        if not get_current_worker().is_cancelled:
            self._screen.post_message(BudgetCounted(budget, generation))

    def counted(self, event: BudgetCounted) -> None:
        """A count from the thread arrived: shown unless a newer update came since."""
        if event.generation == self._generation:
            self._show(event.budget)

    def _show(self, budget: Budget) -> None:
        self._panes.status.set_budget(
            budget_text(budget), budget_text(budget, compact=True), budget_text(budget, tiny=True)
        )
