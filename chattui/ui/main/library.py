"""The conversation library: pin, archive, the archived toggle, the filter, the details dialog
(F3) with the conversation's own model and parameters, automatic titles, and which model the
open conversation uses when the default model changes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.screen import Screen

from chattui.core.config import Settings
from chattui.core.models import Conversation, Message, TitleSource
from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.main.conversations import Conversations
from chattui.ui.main.panes import Panes, Shown

if TYPE_CHECKING:  # the session's modules are imported after the first frame
    from chattui.core.chatparams import ConversationDetails
    from chattui.core.events import ChatRequest
    from chattui.core.turns import StreamingClient

__all__ = ["Library"]


class Library:
    """Pin, archive, filter, details and automatic titles (``show`` redraws the conversation
    on screen after its details changed)."""

    def __init__(
        self,
        screen: Screen[None],
        services: Services,
        shown: Shown,
        panes: Panes,
        conversations: Conversations,
        show: Callable[[Conversation], None],
    ) -> None:
        self._screen = screen
        self._services = services
        self._shown = shown
        self._panes = panes
        self._conversations = conversations
        self._show = show
        self._titling: set[str] = set()
        """Conversations whose title is being asked for."""

    # -- pin, archive, filter ----------------------------------------------------------------

    def toggle_pin(self, conversation_id: str | None = None) -> None:
        """Pin a conversation (listed first) or unpin it."""

        def flip(conversation: Conversation) -> None:
            conversation.pinned = not conversation.pinned

        target = conversation_id or self._shown.conversation.id
        conversation = self._conversations.modify(target, flip)
        if conversation is not None:
            text = _("Pinned “{title}”.") if conversation.pinned else _("Unpinned “{title}”.")
            self._screen.notify(text.format(title=conversation.title), markup=False)

    def toggle_archive(self, conversation_id: str | None = None) -> None:
        """Archive a conversation (hidden from the list) or bring it back."""

        def flip(conversation: Conversation) -> None:
            conversation.archived = not conversation.archived

        target = conversation_id or self._shown.conversation.id
        conversation = self._conversations.modify(target, flip)
        if conversation is None:
            return
        title = conversation.title
        if not conversation.archived:
            text = _("Unarchived “{title}”.", title=title)
        elif self._panes.sidebar.show_archived:
            text = _("Archived “{title}”.", title=title)
        else:
            key = self._conversations.key_label("toggle_archived")
            text = _(
                "Archived “{title}”. {key} lists archived conversations.", title=title, key=key
            )
        self._screen.notify(text, markup=False)

    def toggle_archived(self) -> None:
        """List archived conversations (after the others), or hide them again."""
        sidebar = self._panes.sidebar
        show = not sidebar.show_archived
        sidebar.set_show_archived(show)
        self._screen.notify(
            _("Archived conversations are listed.") if show else _("Archived conversations hidden.")
        )

    def focus_filter(self) -> None:
        """Show the sidebar if hidden and put the cursor in its filter box."""
        side = self._panes.side
        side.remove_class("-hidden")
        box = side.filter_box
        self._screen.call_after_refresh(box.focus)  # once it is mounted, if it was just made

    # -- details -----------------------------------------------------------------------------

    def details(self) -> None:
        """Edit the open conversation's title, model, system prompt and parameters."""
        conversation = self._shown.conversation
        services = self._services
        profile = services.profile_of(conversation)
        lister = partial(services.list_models, profile) if services.can_send(conversation) else None
        from chattui.core.chatparams import apply_details, details_of
        from chattui.ui.screens.details import DetailsScreen

        dialog = DetailsScreen(
            details_of(conversation), self._shown.settings, services.model_info, lister
        )

        def done(details: ConversationDetails | None) -> None:
            if details is None:
                return
            services.model_picked(conversation.id)  # --model no longer applies
            changed = self._conversations.modify(
                conversation.id, lambda target: apply_details(target, details)
            )
            if changed is not None and self._shown.is_shown(conversation):
                self._show(conversation)  # new system prompt, model in the status

        self._screen.app.push_screen(dialog, done)

    def settings_changed(self, before: Settings) -> bool:
        """The settings were saved: a new default model applies to the open conversation too
        (it was chosen while looking at it), even if the conversation had its own; an empty
        conversation (no message yet) takes the new default system prompt, unless it was
        given its own (a role). Returns whether the system prompt on screen changed."""
        settings = self._shown.settings
        conversation = self._shown.conversation
        prompt = settings.system_prompt
        if (
            not conversation.messages
            and prompt != before.system_prompt
            and conversation.system_prompt == before.system_prompt
        ):
            conversation.system_prompt = prompt  # not saved: it is saved with its first turn
            changed = True
        else:
            changed = False
        model = settings.model
        if model == before.model or conversation.model in (None, model):
            return changed

        def follow_default(target: Conversation) -> None:
            target.model = None

        self._conversations.modify(conversation.id, follow_default)
        self._screen.notify(_("This conversation now uses {model}.", model=model), markup=False)
        return changed

    # -- automatic titles --------------------------------------------------------------------

    def after_reply(self, conversation: Conversation, reply: Message | None) -> None:
        """A reply ended: after the first one, ask the model for a title in the background."""
        from chattui.core.titles import wants_title

        services = self._services
        client = services.client_for(conversation)
        settings = services.settings_for(conversation)
        if (
            reply is None
            or not settings.auto_title
            or client is None
            or conversation.id in self._titling
            or not wants_title(conversation)
        ):
            return
        request = services.title_request(conversation)
        self._titling.add(conversation.id)
        self._screen.run_worker(
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
        if not title or self._services.is_deleted(conversation_id):
            return

        def retitle(conversation: Conversation) -> bool:
            if conversation.title_source not in (TitleSource.NONE, TitleSource.PROMPT):
                return False  # renamed meanwhile: a manual title always wins
            conversation.title = title
            conversation.title_source = TitleSource.AUTO
            return True

        self._conversations.modify(conversation_id, retitle)
