"""Managing the saved conversations from the sidebar: open, rename, delete.

The base of :class:`~chattui.ui.screens.main.MainScreen`, which adds the chat itself.
"""

from __future__ import annotations

from textual import on
from textual.screen import Screen

from chattui.core.config import Settings
from chattui.core.models import Conversation
from chattui.core.services import Services
from chattui.core.storage import ConversationSummary, StorageError
from chattui.i18n import _
from chattui.ui.screens.dialogs import ConfirmScreen, TextInputScreen
from chattui.ui.widgets.prompt import PromptInput
from chattui.ui.widgets.sidebar import ConversationList

__all__ = ["ConversationScreen", "summary_of"]


def summary_of(conversation: Conversation) -> ConversationSummary:
    """The sidebar entry of a conversation held in memory."""
    return ConversationSummary(
        conversation.id, conversation.title, conversation.updated, conversation.created
    )


class ConversationScreen(Screen[None]):
    """Open, rename and delete conversations; subclasses show them and stream replies."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.conversation = Conversation(system_prompt=services.settings.system_prompt)
        self._live: dict[str, Conversation] = {}
        """Conversations with a reply streaming, by id: always used instead of the file."""
        self._deleted: set[str] = set()
        """Conversations deleted while their reply streamed (the last save must not revive them)."""

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def sidebar(self) -> ConversationList:
        return self.query_one("#sidebar", ConversationList)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    def _streaming(self, conversation_id: str) -> bool:
        return conversation_id in self._live

    def show_conversation(self, conversation: Conversation) -> None:
        """Put ``conversation`` on screen (the subclass draws it)."""
        raise NotImplementedError

    def refresh_sidebar(self) -> None:
        """Reload the list of conversations from the store, reporting unreadable files."""
        try:
            summaries = self.services.store.list_conversations()
        except StorageError as error:
            self.notify(str(error), severity="error", markup=False)
            summaries = []
        for problem in self.services.store.problems:
            self.notify(problem, severity="warning", timeout=10, markup=False)
        self.services.store.problems.clear()
        self.sidebar.show(summaries, self.conversation.id)

    @on(ConversationList.Selected)
    def _open(self, event: ConversationList.Selected) -> None:
        self.open_conversation(event.conversation_id)

    def open_conversation(self, conversation_id: str) -> None:
        if conversation_id == self.conversation.id:
            self.prompt.focus()
            return
        conversation = self._live.get(conversation_id)
        if conversation is None:
            try:
                conversation = self.services.store.load(conversation_id)
            except StorageError as error:
                self.notify(str(error), severity="error", markup=False, timeout=10)
                self.refresh_sidebar()
                return
        self.show_conversation(conversation)
        self.prompt.focus()

    @on(ConversationList.RenameRequested)
    def _rename(self, event: ConversationList.RenameRequested) -> None:
        self.rename_conversation(event.conversation_id)

    def rename_conversation(self, conversation_id: str | None = None) -> None:
        target_id = conversation_id or self.conversation.id
        current = next((s for s in self.sidebar.summaries if s.id == target_id), None)
        if current is None:
            return

        def done(title: str | None) -> None:
            if not title or not title.strip():
                return
            live = self._live.get(target_id) or (
                self.conversation if self.conversation.id == target_id else None
            )
            try:
                if live is not None:
                    live.title = title.strip()
                    self.services.store.save(live)
                    conversation = live
                else:
                    conversation = self.services.store.rename(target_id, title)
            except StorageError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.sidebar.upsert(summary_of(conversation))

        self.app.push_screen(TextInputScreen(_("Rename conversation"), current.title), done)

    @on(ConversationList.DeleteRequested)
    def _delete(self, event: ConversationList.DeleteRequested) -> None:
        self.delete_conversation(event.conversation_id)

    def delete_conversation(self, conversation_id: str | None = None) -> None:
        target_id = conversation_id or self.conversation.id
        current = next((s for s in self.sidebar.summaries if s.id == target_id), None)
        if current is None:
            return

        def done(confirmed: bool | None) -> None:
            if not confirmed:
                return
            if self._streaming(target_id):
                self._deleted.add(target_id)
                self.workers.cancel_group(self, f"reply-{target_id}")
            try:
                self.services.store.delete(target_id)
            except StorageError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.sidebar.remove_entry(target_id)
            if self.conversation.id == target_id:
                self.show_conversation(Conversation(system_prompt=self.settings.system_prompt))

        question = _("Delete “{title}”? This cannot be undone.", title=current.title)
        self.app.push_screen(ConfirmScreen(question, _("Delete")), done)
