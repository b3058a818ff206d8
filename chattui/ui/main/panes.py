"""What the main screen's parts share: its widgets (:class:`Panes`) and the conversation on
screen (:class:`Shown`). The screen makes both and hands them to each part it builds."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.content import Content
from textual.widgets import Static

from chattui.core.config import Settings
from chattui.core.models import Conversation
from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.widgets.chat_log import ChatLog
from chattui.ui.widgets.find_bar import FindBar
from chattui.ui.widgets.prompt import PromptInput
from chattui.ui.widgets.side_panel import SidePanel
from chattui.ui.widgets.sidebar import ConversationList
from chattui.ui.widgets.status import StatusBar

__all__ = ["Panes", "Shown"]


@dataclass
class Panes:
    """The main screen's widgets, made before it is composed."""

    side: SidePanel = field(default_factory=lambda: SidePanel(id="side"))
    log: ChatLog = field(default_factory=lambda: ChatLog(id="log"))
    find_bar: FindBar = field(default_factory=lambda: FindBar(id="find"))
    note: Static = field(default_factory=lambda: Static(id="prompt-note"))
    prompt: PromptInput = field(
        default_factory=lambda: PromptInput(
            id="prompt", placeholder=_("Type a message. Enter sends, Ctrl+J new line.")
        )
    )
    status: StatusBar = field(default_factory=lambda: StatusBar(id="status"))

    @property
    def sidebar(self) -> ConversationList:
        return self.side.conversations

    def set_note(self, text: str | None) -> None:
        """Show ``text`` above the prompt (None hides it)."""
        self.note.update(Content(text or ""))
        self.note.display = text is not None


class Shown:
    """The conversation on screen, and the settings that apply to it (its profile's)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.conversation = Conversation(system_prompt=services.settings.system_prompt)

    @property
    def settings(self) -> Settings:
        return self.services.settings_for(self.conversation)

    def is_shown(self, conversation: Conversation) -> bool:
        return conversation is self.conversation

    def streaming(self) -> bool:
        """True while a reply streams in the conversation on screen."""
        return self.services.streaming(self.conversation.id)
