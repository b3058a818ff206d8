"""The live token budget in the status line: counted at once when cheap, else in a thread
after a pause in typing, always off the screen's way.

The base of :class:`~chattui.ui.screens.main.MainScreen`: the budget of the prompt being typed
against the model's context window (history and system prompt included), shown once the
warm-up has made the tokenizer ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message as UIMessage
from textual.timer import Timer
from textual.widgets import TextArea
from textual.worker import get_current_worker

from chattui.core.services import Services
from chattui.ui.budget import budget_text
from chattui.ui.screens.conversations import ConversationScreen
from chattui.ui.widgets.status import StatusBar

if TYPE_CHECKING:  # imported with the planner, after the first frame
    from chattui.core.planner import BudgetInput
    from chattui.core.window import Budget

__all__ = ["BudgetScreen"]

SMALL_PROMPT = 2_000
"""Prompts up to this many characters are counted at once on the UI thread (well under a
millisecond) when the history's counts are cached; longer ones in a thread, after a pause."""
BUDGET_DELAY = 0.15
"""Seconds after the last keystroke before a long prompt is counted (in a thread)."""


class BudgetCounted(UIMessage):
    """The budget worker counted a prompt (posted from its thread)."""

    bubble = False  # for the screen only

    def __init__(self, budget: Budget, generation: int) -> None:
        super().__init__()
        self.budget = budget
        self.generation = generation


class BudgetScreen(ConversationScreen):
    """A conversation screen with ``#prompt`` and ``#status`` that shows the live budget."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._budget_ready = False
        """True once the tokenizer is loaded (the warm-up enables it)."""
        self._budget_generation = 0
        """Bumped by every budget update: a count from an older one is dropped."""
        self._budget_timer: Timer | None = None

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    def enable_budget(self) -> None:
        """Start showing the live token budget (the tokenizer is loaded)."""
        self._budget_ready = True
        self.update_budget()

    @on(TextArea.Changed, "#prompt")
    def update_budget(self, event: TextArea.Changed | None = None) -> None:
        """Show the budget of the prompt: at once when that is cheap (a short prompt, history
        counts cached), else counted in a thread; while typing, only after a short pause."""
        if not self._budget_ready:
            return
        self._budget_generation += 1
        if self._budget_timer is not None:
            self._budget_timer.stop()
            self._budget_timer = None
        taken = self._budget_input()
        if taken is None:
            return
        text = self.prompt.text
        if len(text) <= SMALL_PROMPT and taken.is_counted():
            self.workers.cancel_group(self, "budget")
            try:
                budget = self.services.planner.count_budget(taken, text)
            except Exception:  # a tokenizer problem must never break typing
                return
            self._show_budget(budget)
        elif event is None:
            self.count_budget(taken, text, self._budget_generation)
        else:
            self._budget_timer = self.set_timer(BUDGET_DELAY, self._count_typed)

    def _budget_input(self) -> BudgetInput | None:
        try:
            return self.services.planner.budget_input(self.conversation, self.settings)
        except Exception:  # a catalog problem must never break typing
            return None

    def _count_typed(self) -> None:
        """The pause after typing is over: count the prompt as it is now."""
        self._budget_timer = None
        taken = self._budget_input()
        if taken is not None:
            self.count_budget(taken, self.prompt.text, self._budget_generation)

    @work(thread=True, exclusive=True, group="budget", exit_on_error=False)
    def count_budget(self, taken: BudgetInput, text: str, generation: int) -> None:
        """Count in a thread (the helper process counts; in-process tiktoken releases the GIL);
        a newer update cancels this one."""
        try:
            budget = self.services.planner.count_budget(taken, text)
        except Exception:
            return
        if not get_current_worker().is_cancelled:
            self.post_message(BudgetCounted(budget, generation))

    @on(BudgetCounted)
    def _budget_counted(self, event: BudgetCounted) -> None:
        if event.generation == self._budget_generation:
            self._show_budget(event.budget)

    def _show_budget(self, budget: Budget) -> None:
        self.status.set_budget(
            budget_text(budget), budget_text(budget, compact=True), budget_text(budget, tiny=True)
        )
