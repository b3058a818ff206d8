"""The conversation library on the main screen: pin, archive, the archived toggle, the filter,
the details dialog (F3) with the conversation's own model and parameters, automatic titles, and
which model the open conversation uses when the default model changes.

The base of :class:`~chattui.ui.screens.main.MainScreen` (after
:class:`~chattui.ui.screens.conversations.ConversationScreen`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import SystemCommand
from textual.binding import Binding

from chattui.core.config import Settings
from chattui.core.models import Conversation, Message, TitleSource
from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.screens.conversations import ConversationScreen
from chattui.ui.widgets.side_panel import SidePanel
from chattui.ui.widgets.sidebar import ConversationList

if TYPE_CHECKING:  # the session's modules are imported after the first frame
    from chattui.core.chatparams import ConversationDetails
    from chattui.core.events import ChatRequest
    from chattui.core.turns import StreamingClient

__all__ = ["LibraryScreen", "library_commands"]


class LibraryScreen(ConversationScreen):
    """Pin, archive, filter, details and automatic titles."""

    BINDINGS = [
        Binding(
            "f3",
            "details",
            _("Details"),
            id="details",
            tooltip=_("Conversation details: title, model, system prompt, parameters"),
        )
    ]
    AUTO_FOCUS = "#prompt"
    """Keys typed before the first frame go to the prompt, not to the sidebar's filter."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._titling: set[str] = set()
        """Conversations whose title is being asked for."""

    @property
    def side_panel(self) -> SidePanel:
        return self.query_one(SidePanel)

    # -- pin, archive, filter ----------------------------------------------------------------

    @on(ConversationList.PinRequested)
    def _pin(self, event: ConversationList.PinRequested) -> None:
        self.toggle_pin(event.conversation_id)

    def toggle_pin(self, conversation_id: str | None = None) -> None:
        """Pin a conversation (listed first) or unpin it."""

        def flip(conversation: Conversation) -> None:
            conversation.pinned = not conversation.pinned

        conversation = self.modify_conversation(conversation_id or self.conversation.id, flip)
        if conversation is not None:
            text = _("Pinned “{title}”.") if conversation.pinned else _("Unpinned “{title}”.")
            self.notify(text.format(title=conversation.title), markup=False)

    @on(ConversationList.ArchiveRequested)
    def _archive(self, event: ConversationList.ArchiveRequested) -> None:
        self.toggle_archive(event.conversation_id)

    def toggle_archive(self, conversation_id: str | None = None) -> None:
        """Archive a conversation (hidden from the list) or bring it back."""

        def flip(conversation: Conversation) -> None:
            conversation.archived = not conversation.archived

        conversation = self.modify_conversation(conversation_id or self.conversation.id, flip)
        if conversation is None:
            return
        if not conversation.archived:
            self.notify(_("Unarchived “{title}”.", title=conversation.title), markup=False)
        elif self.sidebar.show_archived:
            self.notify(_("Archived “{title}”.", title=conversation.title), markup=False)
        else:
            self.notify(
                _(
                    "Archived “{title}”. Shift+A lists archived conversations.",
                    title=conversation.title,
                ),
                markup=False,
            )

    def action_toggle_archived(self) -> None:
        """List archived conversations (after the others), or hide them again."""
        show = not self.sidebar.show_archived
        self.sidebar.set_show_archived(show)
        self.notify(
            _("Archived conversations are listed.") if show else _("Archived conversations hidden.")
        )

    def action_focus_filter(self) -> None:
        """Show the sidebar if hidden and put the cursor in its filter box."""
        self.side_panel.remove_class("-hidden")
        box = self.side_panel.filter_box
        self.call_after_refresh(box.focus)  # once it is mounted, if it was just made

    # -- details -----------------------------------------------------------------------------

    def action_details(self) -> None:
        """Edit the open conversation's title, model, system prompt and parameters."""
        conversation = self.conversation
        profile = self.services.profile_of(conversation)
        lister = (
            partial(self.services.list_models, profile)
            if self.services.can_send(conversation)
            else None
        )
        from chattui.core.chatparams import apply_details, details_of
        from chattui.ui.screens.details import DetailsScreen

        dialog = DetailsScreen(
            details_of(conversation), self.settings, self.services.planner.model_info, lister
        )

        def done(details: ConversationDetails | None) -> None:
            if details is None:
                return
            self.services.adopted.add(conversation.id)  # picked now: --model no longer applies
            changed = self.modify_conversation(
                conversation.id, lambda target: apply_details(target, details)
            )
            if changed is not None and conversation is self.conversation:
                self.show_conversation(conversation)  # new system prompt, model in the status

        self.app.push_screen(dialog, done)

    def settings_changed(self, before: Settings) -> None:
        """The settings were saved: a new default model applies to the open conversation too
        (it was chosen while looking at it), even if the conversation had its own."""
        model = self.settings.model
        if model == before.model or self.conversation.model in (None, model):
            return

        def follow_default(conversation: Conversation) -> None:
            conversation.model = None

        self.modify_conversation(self.conversation.id, follow_default)
        self.notify(_("This conversation now uses {model}.", model=model), markup=False)

    # -- automatic titles --------------------------------------------------------------------

    def after_reply(self, conversation: Conversation, reply: Message | None) -> None:
        """A reply ended: after the first one, ask the model for a title in the background."""
        from chattui.core.chatparams import conversation_model
        from chattui.core.titles import title_request, wants_title

        client = self.services.client_for(conversation)
        settings = self.services.settings_for(conversation)
        if (
            reply is None
            or not settings.auto_title
            or client is None
            or conversation.id in self._titling
            or not wants_title(conversation)
        ):
            return
        model = settings.title_model or conversation_model(conversation, settings)
        request = title_request(
            conversation, model, self.services.planner.catalog, settings.base_url
        )
        self._titling.add(conversation.id)
        self.run_worker(
            self._write_title(conversation.id, request, client),
            group=f"title-{conversation.id}",
            exclusive=True,
            exit_on_error=False,
        )

    async def _write_title(
        self, conversation_id: str, request: ChatRequest, client: StreamingClient
    ) -> None:
        """Ask for the title (on the conversation's own endpoint); keep the first prompt if that
        fails or a rename came first."""
        from chattui.core.events import ChatError
        from chattui.core.titles import generate_title

        try:
            title = await generate_title(client, request)
        except ChatError:
            title = ""  # the first prompt stays the title; nothing to report
        finally:
            self._titling.discard(conversation_id)
        if not title or self.services.store.is_deleted(conversation_id):
            return

        def retitle(conversation: Conversation) -> bool:
            if conversation.title_source not in (TitleSource.NONE, TitleSource.PROMPT):
                return False  # renamed meanwhile: a manual title always wins
            conversation.title = title
            conversation.title_source = TitleSource.AUTO
            return True

        self.modify_conversation(conversation_id, retitle)

    @on(events.Unmount)
    def _quitting(self) -> None:
        self.delete_pending()


def library_commands(screen: LibraryScreen) -> Iterable[SystemCommand]:
    """The palette's library commands for the main screen."""
    yield SystemCommand(
        _("Conversation details"),
        _("Title, model, system prompt, temperature, max tokens (F3)"),
        screen.action_details,
    )
    yield SystemCommand(
        _("Pin conversation"), _("Pin or unpin the conversation on screen"), screen.toggle_pin
    )
    yield SystemCommand(
        _("Archive conversation"),
        _("Archive or unarchive the conversation on screen"),
        screen.toggle_archive,
    )
    yield SystemCommand(
        _("Show archived"),
        _("List archived conversations, or hide them again"),
        screen.action_toggle_archived,
    )
    yield SystemCommand(
        _("Undo delete"), _("Restore the conversation deleted last"), screen.action_undo_delete
    )
    yield SystemCommand(
        _("Filter conversations"), _("Filter the list by title (/)"), screen.action_focus_filter
    )
