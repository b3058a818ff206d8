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

    def __init__(self, profile_help: str = "") -> None:
        super().__init__()
        self._profile_help = profile_help
        """Where the default profile takes its key from ("": the top-level endpoint's)."""

    def _text(self) -> str:
        if self._profile_help:
            return _(
                "chattui talks to the OpenAI API or any OpenAI-compatible server "
                "(DeepSeek, Qwen, Ollama, vLLM, LM Studio...).\n\n"
                "{sources} Or open the settings and enter a key for it: it is stored in a file "
                "only you can read.\n\n"
                "F1 shows every key at any time.",
                sources=self._profile_help,
            )
        return _(
            "chattui talks to the OpenAI API or any OpenAI-compatible server "
            "(DeepSeek, Qwen, Ollama, vLLM, LM Studio...).\n\n"
            "To start, enter an API key, and if you need them, a base URL and a "
            "proxy (http or socks5). The key is stored in a file only you can read; "
            "setting OPENAI_API_KEY in the environment works too.\n\n"
            "F1 shows every key at any time."
        )

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = _("Welcome to chattui")
            yield Static(self._text(), markup=False)
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
