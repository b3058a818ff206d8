"""Choosing the endpoint profile of the conversation on screen (command palette)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.screens.picker import PickerScreen

if TYPE_CHECKING:
    from chattui.ui.screens.main import MainScreen

__all__ = ["TOP_LEVEL", "pick_profile", "profile_choices"]

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


def pick_profile(screen: MainScreen) -> None:
    """Ask which endpoint the conversation on screen should use, and switch it."""
    services = screen.services
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
    if services.streaming(screen.conversation.id):
        screen.notify(_("A reply is still streaming: press Esc to stop it first."))
        return
    current = services.profile_of(screen.conversation) or TOP_LEVEL

    def chosen(value: str | None) -> None:
        if value is not None:
            use_profile(screen, "" if value == TOP_LEVEL else value)

    screen.app.push_screen(
        PickerScreen(
            _("Endpoint for this conversation"),
            profile_choices(services),
            current,
            hint=_("The default for new conversations is set in Settings (F2)."),
        ),
        chosen,
    )


def use_profile(screen: MainScreen, name: str) -> None:
    """Make the conversation on screen use profile ``name`` ("" for the top-level settings)
    and that endpoint's default model; saved with the conversation."""
    conversation = screen.conversation
    services = screen.services
    conversation.params["profile"] = name
    conversation.model = services.endpoint(name).model
    if conversation.messages:
        screen.save_soon(conversation)
    screen.update_endpoint()
    screen.update_budget()
