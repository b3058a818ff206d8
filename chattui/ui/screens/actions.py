"""Acting on messages: the message cursor's actions (copy, edit, regenerate, alternatives,
quote, delete a turn), each with a key in the chat log, a palette entry and a menu item.

The base of :class:`~chattui.ui.screens.main.MainScreen`, which streams the replies these
actions start (:meth:`start_reply`) and draws the branch on screen (:meth:`redraw`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.content import Content
from textual.widgets import Static

from chattui.core.models import Conversation, Message, MessageStatus, Role
from chattui.i18n import _
from chattui.ui.messages import CopyRequested
from chattui.ui.screens.conversations import ConversationScreen, summary_of
from chattui.ui.widgets.chat_log import ChatLog

if TYPE_CHECKING:
    from chattui.core.turns import SessionEvent

__all__ = ["MessageActionsScreen", "alternatives_of"]


def alternatives_of(conversation: Conversation) -> dict[str, tuple[int, int]]:
    """(position, count) of each message on the branch that has alternatives."""
    children = conversation.children_map()
    ids = {message.id for message in conversation.messages}
    shown: dict[str, tuple[int, int]] = {}
    for message in conversation.branch():
        parent = message.parent_id if message.parent_id in ids else None
        siblings = [m for m in children.get(parent, []) if m.role is message.role]
        if len(siblings) > 1:
            index = next(i for i, m in enumerate(siblings) if m.id == message.id)
            shown[message.id] = (index + 1, len(siblings))
    return shown


def quoted(text: str) -> str:
    """``text`` as a Markdown quote."""
    return "\n".join(f"> {line}" if line else ">" for line in text.rstrip("\n").split("\n"))


class MessageActionsScreen(ConversationScreen):
    """Message actions over :class:`ConversationScreen`; the subclass streams and draws."""

    editing: Message | None = None
    """The earlier user message being edited in the prompt (sending makes a new branch)."""
    _edit_stash = ""

    # -- provided by the subclass --------------------------------------------------------------

    @property
    def log_view(self) -> ChatLog:
        raise NotImplementedError

    def start_reply(
        self, conversation: Conversation, events: AsyncGenerator[SessionEvent, None], mode: str
    ) -> None:
        """Stream ``events`` into ``conversation`` (``mode``: send, again or branch)."""
        raise NotImplementedError

    def ready_to_send(self) -> bool:
        """True if a request can be made now (else the user was told why)."""
        raise NotImplementedError

    def redraw(self, cursor: Message | None = None) -> None:
        """Draw the branch on screen again (the cursor on ``cursor`` if given)."""
        conversation = self.conversation
        self.log_view.set_conversation(
            conversation.branch(),
            conversation.system_prompt,
            alternatives=alternatives_of(conversation),
            keep_cursor=True,
        )
        if cursor is not None:
            self.log_view.set_cursor(cursor.id)

    # -- targets ---------------------------------------------------------------------------------

    def _target(self, role: Role | None = None) -> Message | None:
        """The message under the cursor, else the last one on the branch (of ``role``)."""
        message = self.log_view.cursor_message
        if message is not None and (role is None or message.role is role):
            return message
        if message is not None and role is Role.ASSISTANT and message.role is Role.USER:
            replies = self.conversation.children(message.id)
            if replies:
                return next((m for m in self.conversation.branch() if m in replies), replies[-1])
        for candidate in reversed(self.conversation.branch()):
            if role is None or candidate.role is role:
                return candidate
        return None

    def _busy(self) -> bool:
        if self._streaming(self.conversation.id):
            self.notify(_("A reply is streaming: wait for it or press Esc to stop it."))
            return True
        return False

    def _save(self) -> None:
        self.save_soon(self.conversation)
        self.sidebar.upsert(summary_of(self.conversation))

    # -- menu ------------------------------------------------------------------------------------

    def action_message_menu(self) -> None:
        """Open the actions of the message (or code block) under the cursor."""
        message = self.log_view.cursor_message
        if message is None:
            self.log_view.move_cursor(-1)
            message = self.log_view.cursor_message
            if message is None:
                return
        cursor = self.log_view.cursor
        code = cursor.code if cursor is not None else 0
        actions: list[tuple[str, str, str]] = []
        if code:
            actions.append((f"copy_code({code})", _("Copy code block {n}", n=code), "c"))
        actions.append(("copy_message", _("Copy message"), "" if code else "c"))
        blocks = self.log_view.code_blocks(message.id)
        for n, (language, _code) in enumerate(blocks[:9], start=1):
            if n != code:
                label = _("Copy code block {n}", n=n) + (f" ({language})" if language else "")
                actions.append((f"copy_code({n})", label, str(n)))
        if message.role is Role.USER:
            actions.append(("edit_message", _("Edit and resend (new branch)"), "e"))
        else:
            actions.append(("regenerate", _("Regenerate (keep this one)"), "r"))
        if len(self.conversation.alternatives(message)) > 1:
            actions.append(("alternative(-1)", _("Previous alternative"), "←"))
            actions.append(("alternative(1)", _("Next alternative"), "→"))
        actions.append(("quote", _("Quote into the prompt"), "q"))
        actions.append(("copy_conversation", _("Copy the conversation as Markdown"), "y"))
        actions.append(("delete_turn", _("Delete this turn…"), "d"))
        title = _("You") if message.role is Role.USER else _("Assistant")

        def chosen(action: str | None) -> None:
            if action:
                self.call_later(self.run_action, action)

        from chattui.ui.screens.message_menu import MessageMenuScreen

        self.app.push_screen(MessageMenuScreen(title, actions), chosen)

    def message_commands(self) -> Iterator[SystemCommand]:
        """Palette entries for the message under the cursor (else the last one)."""
        from functools import partial

        def command(title: str, help_text: str, action: str) -> SystemCommand:
            return SystemCommand(title, help_text, partial(self.run_action, action))

        yield command(_("Copy message"), _("Copy the message under the cursor"), "copy_message")
        reply = self._target(Role.ASSISTANT)
        blocks = self.log_view.code_blocks(reply.id) if reply is not None else []
        for n, (language, _code) in enumerate(blocks[:9], start=1):
            yield command(
                _("Copy code block {n}", n=n) + (f" ({language})" if language else ""),
                _("The code only, without the fences"),
                f"copy_code({n})",
            )
        yield command(
            _("Copy the conversation as Markdown"),
            _("The branch on screen"),
            "copy_conversation",
        )
        yield command(
            _("Edit and resend (new branch)"), _("Edit a message of yours"), "edit_message"
        )
        yield command(_("Regenerate (keep this one)"), _("Ask again for the reply"), "regenerate")
        yield command(
            _("Previous alternative"), _("◀ Show another reply or edit"), "alternative(-1)"
        )
        yield command(_("Next alternative"), _("▶ Show another reply or edit"), "alternative(1)")
        yield command(_("Quote into the prompt"), _("Quote the message"), "quote")
        yield command(_("Delete this turn…"), _("With the replies below it"), "delete_turn")
        yield command(
            _("Edit in external editor"), _("$VISUAL or $EDITOR (Ctrl+E)"), "external_editor"
        )

    # -- copy ------------------------------------------------------------------------------------

    def action_copy(self) -> None:
        """Copy the mouse selection, else the code block or message under the cursor."""
        selection = self.screen.get_selected_text()
        if selection:
            self.post_message(CopyRequested(selection, _("the selection")))
            return
        cursor = self.log_view.cursor
        if cursor is not None and cursor.code:
            self.action_copy_code(cursor.code)
        else:
            self.action_copy_message()

    def action_copy_message(self) -> None:
        """Copy the text of the message under the cursor (else the last reply)."""
        message = self._target() if self.log_view.cursor else self._target(Role.ASSISTANT)
        if message is None or not message.content:
            self.notify(_("Nothing to copy."))
            return
        what = _("your message") if message.role is Role.USER else _("the reply")
        self.post_message(CopyRequested(message.content, what))

    def action_copy_code(self, number: int) -> None:
        """Copy code block ``number`` of the reply under the cursor (else the last reply)."""
        message = self._target(Role.ASSISTANT)
        blocks = self.log_view.code_blocks(message.id) if message is not None else []
        if not 1 <= number <= len(blocks):
            self.notify(_("This reply has no code block {n}.", n=number))
            return
        code = blocks[number - 1][1]
        self.post_message(CopyRequested(code, _("code block {n}", n=number)))

    def action_copy_conversation(self) -> None:
        """Copy the branch on screen as Markdown."""
        if not self.conversation.messages:
            self.notify(_("Nothing to copy."))
            return
        from chattui.core.transcript import conversation_markdown

        text = conversation_markdown(self.conversation)
        self.post_message(CopyRequested(text, _("the conversation")))

    # -- edit, regenerate, alternatives ------------------------------------------------------------

    def action_edit_message(self) -> None:
        """Put the user message under the cursor (else the last one) in the prompt to edit."""
        message = self._target(Role.USER)
        if message is None:
            self.notify(_("There is no message of yours to edit."))
            return
        if self.editing is None:
            self._edit_stash = self.prompt.text
        self.editing = message
        self.prompt.load_text(message.content)
        self.prompt.move_cursor(self.prompt.document.end)
        self.set_prompt_note(
            _("Editing an earlier message: Enter sends it as a new branch · Esc cancels")
        )
        self.prompt.focus()

    def set_prompt_note(self, text: str | None) -> None:
        """Show ``text`` above the prompt (None hides it)."""
        note = self.query_one("#prompt-note", Static)
        note.update(Content(text or ""))
        note.display = text is not None

    def cancel_edit(self) -> bool:
        """Leave edit mode, giving back what the prompt held before; False if not editing."""
        if self.editing is None:
            return False
        self.editing = None
        self.set_prompt_note(None)
        self.prompt.load_text(self._edit_stash)
        self.prompt.move_cursor(self.prompt.document.end)
        self._edit_stash = ""
        return True

    def action_regenerate(self) -> None:
        """Ask again for the reply under the cursor (else the last one); it stays as an
        alternative."""
        reply = self._target(Role.ASSISTANT)
        if reply is None or reply.status is MessageStatus.STREAMING:
            self.notify(_("There is no reply to regenerate."))
            return
        if self._busy() or not self.ready_to_send():
            return
        conversation = self.conversation
        events = self.services.session.regenerate(conversation, reply, self.settings)
        self.start_reply(conversation, events, "branch")

    def action_alternative(self, step: int) -> None:
        """Show the previous (-1) or next (1) alternative of the message under the cursor."""
        message = self._target(Role.ASSISTANT) if self.log_view.cursor is None else self._target()
        if message is None or self._busy():
            return
        chosen = self.conversation.switch_alternative(message, step)
        if chosen is None:
            count = len(self.conversation.alternatives(message))
            self.notify(
                _("No other alternative.") if count < 2 else _("No more alternatives that way.")
            )
            return
        self._save()
        self.redraw(chosen)
        self.update_budget()

    def update_budget(self) -> None:
        """Recount the budget (the subclass shows it)."""

    # -- quote, delete, misc --------------------------------------------------------------------

    def action_quote(self) -> None:
        """Quote the code block or message under the cursor into the prompt."""
        message = self._target()
        if message is None:
            return
        cursor = self.log_view.cursor
        text = message.content
        if cursor is not None and cursor.code:
            blocks = self.log_view.code_blocks(message.id)
            if cursor.code <= len(blocks):
                language, code = blocks[cursor.code - 1]
                text = f"```{language}\n{code}\n```"
        current = self.prompt.text.rstrip("\n")
        self.prompt.load_text((current + "\n\n" if current else "") + quoted(text) + "\n\n")
        self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()

    def action_delete_turn(self) -> None:
        """Delete the message under the cursor and what follows it (asks first)."""
        message = self._target()
        if message is None or self._busy():
            return
        conversation = self.conversation
        top = message
        if message.role is Role.ASSISTANT and message.parent_id is not None:
            parent = conversation.find(message.parent_id)
            if parent is not None and len(conversation.children(parent.id)) == 1:
                top = parent
        count = len(conversation.subtree(top))

        def done(confirmed: bool | None) -> None:
            if not confirmed or conversation is not self.conversation:
                return
            conversation.remove_turn(message)
            if conversation.messages:
                self._save()
            else:  # still on screen: a new turn saves it again
                self.delete_soon(conversation.id, keep_out=False)
                self.sidebar.remove_entry(conversation.id)
            self.redraw()
            self.update_budget()
            self.notify(_("Deleted {count} messages.", count=count))

        question = _(
            "Delete this turn: {count} messages, with every reply and branch below it?",
            count=count,
        )
        from chattui.ui.screens.dialogs import ConfirmScreen

        self.app.push_screen(ConfirmScreen(question, _("Delete")), done)

    def action_toggle_system(self) -> None:
        """Expand or collapse the system prompt."""
        self.log_view.toggle_system_prompt()

    def action_focus_prompt(self) -> None:
        self.prompt.focus()

    def action_cursor_from_prompt(self, step: int) -> None:
        """Alt+Up / Alt+Down in the prompt: move the message cursor and focus the chat log."""
        self.log_view.focus()
        self.log_view.move_cursor(step)
