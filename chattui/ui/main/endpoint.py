"""Where requests go, in the status line (profile, host, proxy, model, whether a key is there),
and the key commands (``api_key_command``) that a pending key waits for, run in a thread."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from textual.message import Message as UIMessage
from textual.screen import Screen

from chattui.core.config import mask_proxy
from chattui.core.problems import Problem
from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.main.budget import BudgetMeter
from chattui.ui.main.panes import Panes, Shown
from chattui.ui.render.problems import problem_text

__all__ = ["Endpoint", "KeyCommandsRan"]


class KeyCommandsRan(UIMessage):
    """The key commands that pending keys waited for have run (posted from the worker)."""

    bubble = False  # for the screen only

    def __init__(self, failures: list[Problem]) -> None:
        super().__init__()
        self.failures = failures


class Endpoint:
    """The endpoint part of the status line; ``key_ready`` runs once key commands have run
    (a prompt given on the command line waits for it)."""

    def __init__(
        self,
        screen: Screen[None],
        services: Services,
        shown: Shown,
        panes: Panes,
        budget: BudgetMeter,
        key_ready: Callable[[], None],
    ) -> None:
        self._screen = screen
        self._services = services
        self._shown = shown
        self._panes = panes
        self._budget = budget
        self._key_ready = key_ready

    def update(self) -> None:
        """Show where requests go (host and model) in the status line, and whether they can."""
        services = self._services
        settings = self._shown.settings
        conversation = self._shown.conversation
        status = self._panes.status
        host = urlsplit(settings.base_url).netloc or settings.base_url
        model = conversation.model or settings.model
        via = _(" via {proxy}", proxy=mask_proxy(settings.proxy)) if settings.proxy else ""
        profile = services.profile_of(conversation)
        status.set_endpoint(f"{host}{via}", model, profile)
        if services.key_pending_for(conversation):
            status.set_state(_("running api_key_command…"), "busy")
            self.run_key_commands()
        elif not services.can_send(conversation):
            status.set_state(_("no API key: press F2"), "error")
        elif not self._shown.streaming():
            status.set_state(_("ready"))

    def run_key_commands(self) -> None:
        """Run the key commands that pending keys wait for, in a thread (once at a time)."""
        screen = self._screen
        if not any(w.group == "key-commands" and not w.is_finished for w in screen.workers):
            screen.run_worker(
                self._run_in_thread, thread=True, group="key-commands", exit_on_error=False
            )

    def _run_in_thread(self) -> None:
        self._screen.post_message(KeyCommandsRan(self._services.run_key_commands()))

    def ran(self, event: KeyCommandsRan) -> None:
        """The key commands have run: report failures, show the state, go on."""
        self._services.keys_changed()
        for failure in event.failures:
            self._screen.notify(
                _("Could not get the API key: {error}", error=problem_text(failure)),
                severity="error",
                markup=False,
                timeout=15,
            )
        self.update()  # a command asked for meanwhile runs now
        self._budget.update()
        self._key_ready()
