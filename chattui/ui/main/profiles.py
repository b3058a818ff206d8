"""Choosing the endpoint profile of the conversation on screen (command palette)."""

from __future__ import annotations

from urllib.parse import urlsplit

from textual.screen import Screen

from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.main.budget import BudgetMeter
from chattui.ui.main.conversations import Conversations
from chattui.ui.main.endpoint import Endpoint
from chattui.ui.main.panes import Shown
from chattui.ui.screens.picker import PickerScreen

__all__ = ["TOP_LEVEL", "Profiles", "profile_choices"]

TOP_LEVEL = "."
"""The picker's value for "no profile: the top-level settings" (not a valid profile name)."""


def profile_choices(services: Services) -> list[tuple[str, str]]:
    """(label, value) for the top-level endpoint and every profile."""
    choices: list[tuple[str, str]] = []
    for name in ["", *sorted(services.settings.profiles)]:
        endpoint = services.endpoint(name)
        host = urlsplit(endpoint.base_url).netloc or endpoint.base_url
        label = f"{name or _('(top-level settings)')} · {host} · {endpoint.model}"
        if endpoint.key.pending:  # its key command runs (in a worker) once it is chosen
            label += " · " + _("key from api_key_command")
        elif not endpoint.ready:
            label += " · " + _("no API key")
        choices.append((label, name or TOP_LEVEL))
    return choices


class Profiles:
    """Which endpoint the conversation on screen talks to."""

    def __init__(
        self,
        screen: Screen[None],
        shown: Shown,
        conversations: Conversations,
        endpoint: Endpoint,
        budget: BudgetMeter,
    ) -> None:
        self._screen = screen
        self._shown = shown
        self._conversations = conversations
        self._endpoint = endpoint
        self._budget = budget

    def pick(self) -> None:
        """Ask which endpoint the conversation on screen should use, and switch it."""
        screen = self._screen
        services = self._shown.services
        if not services.settings.profiles:
            screen.notify(
                _(
                    "No profiles yet: add [profiles.NAME] tables to {path}.",
                    path=services.paths.config_file,
                ),
                markup=False,
                timeout=10,
            )
            return
        if self._shown.streaming():
            screen.notify(_("A reply is still streaming: press Esc to stop it first."))
            return
        current = services.profile_of(self._shown.conversation) or TOP_LEVEL

        def chosen(value: str | None) -> None:
            if value is not None:
                self.use("" if value == TOP_LEVEL else value)

        picker = PickerScreen(
            _("Endpoint for this conversation"),
            profile_choices(services),
            current,
            hint=_("The default for new conversations is set in Settings (F2)."),
        )
        screen.app.push_screen(picker, chosen)

    def use(self, name: str) -> None:
        """Make the conversation on screen use profile ``name`` ("" for the top-level
        settings) and that endpoint's default model; saved with the conversation."""
        conversation = self._shown.conversation
        conversation.params["profile"] = name
        conversation.model = self._shown.services.endpoint(name).model
        if conversation.messages:
            self._conversations.save_soon(conversation)
        self._endpoint.update()
        self._budget.update()
