"""First run with no API key: a short welcome that leads to the settings screen."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from chattui.i18n import _
from chattui.ui.actions import Scope, bindings

__all__ = ["WelcomeScreen"]


class WelcomeScreen(ModalScreen[bool]):
    """Dismisses with True to open the settings, False to look around first."""

    BINDINGS = bindings(Scope.DIALOG)

    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = _("Welcome to chattui")
            yield Static(
                _(
                    "chattui talks to the OpenAI API or any OpenAI-compatible server "
                    "(DeepSeek, Qwen, Ollama, vLLM, LM Studio...).\n\n"
                    "To start, enter an API key, and if you need them, a base URL and a "
                    "proxy (http or socks5). The key is stored in a file only you can read; "
                    "setting OPENAI_API_KEY in the environment works too.\n\n"
                    "F1 shows every key at any time."
                ),
                markup=False,
            )
            with Horizontal():
                yield Button(_("Later"), id="later")
                yield Button(_("Open settings"), id="settings", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#settings", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "settings")

    def action_cancel(self) -> None:
        self.dismiss(False)
