"""Acting on messages: the message cursor's actions (copy, edit, regenerate, alternatives,
quote, delete a turn), each with a key in the table of actions, a palette entry and a line in
the actions menu (Enter on a message), where a choice needs Enter: a confirmation."""

from __future__ import annotations

from textual.screen import Screen

from chattui.core.branches import alternatives_of
from chattui.core.models import Message, MessageStatus, Role
from chattui.core.services import Services
from chattui.i18n import _, ngettext
from chattui.ui.actions.keymap import first_key
from chattui.ui.main.budget import BudgetMeter
from chattui.ui.main.conversations import Conversations
from chattui.ui.main.drafts import PromptDrafts
from chattui.ui.main.panes import Panes, Shown
from chattui.ui.main.replies import Replies
from chattui.ui.messages import CopyRequested

__all__ = ["MessageActions"]


class MessageActions:
    """What the message cursor's keys, the actions menu and the palette do to a message."""

    def __init__(
        self,
        screen: Screen[None],
        services: Services,
        shown: Shown,
        panes: Panes,
        parts: tuple[Conversations, PromptDrafts, Replies, BudgetMeter],
    ) -> None:
        self._screen = screen
        self._services = services
        self._shown = shown
        self._panes = panes
        self._conversations, self._drafts, self._replies, self._budget = parts

    def redraw(self, cursor: Message | None = None) -> None:
        """Draw the branch on screen again (the cursor on ``cursor`` if given)."""
        conversation = self._shown.conversation
        log = self._panes.log
        log.set_conversation(
            conversation.branch(),
            conversation.system_prompt,
            alternatives=alternatives_of(conversation),
            keep_cursor=True,
        )
        if cursor is not None:
            log.set_cursor(cursor.id)

    # -- targets ---------------------------------------------------------------------------------

    def target(self, role: Role | None = None) -> Message | None:
        """The message under the cursor, else the last one on the branch (of ``role``)."""
        conversation = self._shown.conversation
        message = self._panes.log.cursor_message
        if message is not None and (role is None or message.role is role):
            return message
        if message is not None and role is Role.ASSISTANT and message.role is Role.USER:
            replies = conversation.children(message.id)
            if replies:
                return next((m for m in conversation.branch() if m in replies), replies[-1])
        for candidate in reversed(conversation.branch()):
            if role is None or candidate.role is role:
                return candidate
        return None

    def _busy(self) -> bool:
        if self._shown.streaming():
            self._screen.notify(_("A reply is streaming: wait for it or press Esc to stop it."))
            return True
        return False

    def code_blocks(self) -> list[tuple[str, str]]:
        """(language, code) of the code blocks of the reply under the cursor (else the last)."""
        reply = self.target(Role.ASSISTANT)
        return self._panes.log.code_blocks(reply.id) if reply is not None else []

    # -- menu ------------------------------------------------------------------------------------

    def menu(self) -> None:
        """Open the actions of the message (or code block) under the cursor."""
        log = self._panes.log
        message = log.cursor_message
        if message is None:
            log.move_cursor(-1)
            message = log.cursor_message
            if message is None:
                return
        cursor = log.cursor
        code = cursor.code if cursor is not None else 0
        actions: list[tuple[str, str, str]] = []
        if code:
            actions.append((f"copy_code({code})", _("Copy code block {n}", n=code), "copy"))
        actions.append(("copy_message", _("Copy message"), "" if code else "copy"))
        for n, (language, _code) in enumerate(log.code_blocks(message.id)[:9], start=1):
            if n != code:
                label = _("Copy code block {n}", n=n) + (f" ({language})" if language else "")
                actions.append((f"copy_code({n})", label, f"copy_code_{n}"))
        if message.role is Role.USER:
            actions.append(("edit_message", _("Edit and resend (new branch)"), "edit_message"))
        else:
            actions.append(("regenerate", _("Regenerate (keep this one)"), "regenerate"))
        if len(self._shown.conversation.alternatives(message)) > 1:
            actions.append(("alternative(-1)", _("Previous alternative"), "previous_alternative"))
            actions.append(("alternative(1)", _("Next alternative"), "next_alternative"))
        actions.append(("quote", _("Quote into the prompt"), "quote"))
        actions.append(("copy_conversation", _("Copy the conversation as Markdown"), "copy_all"))
        actions.append(("delete_turn", _("Delete this turn…"), "delete_turn"))
        title = _("You") if message.role is Role.USER else _("Assistant")
        keymap: dict[str, str] = getattr(self._screen.app, "keymap", {})
        items = [
            (action, label, first_key(key, keymap) if key else "") for action, label, key in actions
        ]

        def chosen(action: str | None) -> None:
            if action:
                self._screen.call_later(self._screen.run_action, action)

        from chattui.ui.screens.message_menu import MessageMenuScreen

        self._screen.app.push_screen(MessageMenuScreen(title, items), chosen)

    # -- copy ------------------------------------------------------------------------------------

    def copy(self) -> None:
        """Copy the mouse selection, else the code block or message under the cursor."""
        selection = self._screen.get_selected_text()
        if selection:
            self._screen.post_message(CopyRequested(selection, _("the selection")))
            return
        cursor = self._panes.log.cursor
        if cursor is not None and cursor.code:
            self.copy_code(cursor.code)
        else:
            self.copy_message()

    def copy_message(self) -> None:
        """Copy the text of the message under the cursor (else the last reply)."""
        has_cursor = self._panes.log.cursor is not None
        message = self.target() if has_cursor else self.target(Role.ASSISTANT)
        if message is None or not message.content:
            self._screen.notify(_("Nothing to copy."))
            return
        what = _("your message") if message.role is Role.USER else _("the reply")
        self._screen.post_message(CopyRequested(message.content, what))

    def copy_code(self, number: int) -> None:
        """Copy code block ``number`` of the reply under the cursor (else the last reply)."""
        blocks = self.code_blocks()
        if not 1 <= number <= len(blocks):
            self._screen.notify(_("This reply has no code block {n}.", n=number))
            return
        code = blocks[number - 1][1]
        self._screen.post_message(CopyRequested(code, _("code block {n}", n=number)))

    def copy_conversation(self) -> None:
        """Copy the branch on screen as Markdown."""
        conversation = self._shown.conversation
        if not conversation.messages:
            self._screen.notify(_("Nothing to copy."))
            return
        from chattui.core.transcript import conversation_markdown

        text = conversation_markdown(conversation)
        self._screen.post_message(CopyRequested(text, _("the conversation")))

    # -- edit, regenerate, alternatives ------------------------------------------------------------

    def edit(self) -> None:
        """Put the user message under the cursor (else the last one) in the prompt to edit."""
        message = self.target(Role.USER)
        if message is None:
            self._screen.notify(_("There is no message of yours to edit."))
            return
        self._drafts.edit(message)

    def regenerate(self) -> None:
        """Ask again for the reply under the cursor (else the last one); it stays as an
        alternative."""
        reply = self.target(Role.ASSISTANT)
        if reply is None:
            self._screen.notify(_("There is no reply to regenerate."))
            return
        if reply.status is MessageStatus.STREAMING:
            self._screen.notify(_("This reply is still streaming: stop it first (Esc)."))
            return
        if not self._busy() and self._replies.ready_to_send():
            self._replies.regenerate(reply)

    def alternative(self, step: int) -> None:
        """Show the previous (-1) or next (1) alternative of the message under the cursor."""
        has_cursor = self._panes.log.cursor is not None
        message = self.target() if has_cursor else self.target(Role.ASSISTANT)
        if message is None or self._busy():
            return
        conversation = self._shown.conversation
        chosen = conversation.switch_alternative(message, step)
        if chosen is None:
            count = len(conversation.alternatives(message))
            self._screen.notify(
                _("No other alternative.") if count < 2 else _("No more alternatives that way.")
            )
            return
        self._conversations.saved(conversation)
        self.redraw(chosen)
        self._budget.update()

    # -- quote, delete ----------------------------------------------------------------------------

    def quote(self) -> None:
        """Quote the code block or message under the cursor into the prompt."""
        message = self.target()
        if message is None:
            return
        from chattui.core.transcript import quoted

        log = self._panes.log
        cursor = log.cursor
        text = message.content
        if cursor is not None and cursor.code:
            blocks = log.code_blocks(message.id)
            if cursor.code <= len(blocks):
                language, code = blocks[cursor.code - 1]
                text = f"```{language}\n{code}\n```"
        if not text.strip():
            self._screen.notify(_("Nothing to quote."))
            return
        prompt = self._panes.prompt
        current = prompt.text.rstrip("\n")
        prompt.load_text((current + "\n\n" if current else "") + quoted(text) + "\n\n")
        prompt.move_cursor(prompt.document.end)
        prompt.focus()

    def delete_turn(self) -> None:
        """Delete the message under the cursor and what follows it (asks first)."""
        message = self.target()
        if message is None or self._busy():
            return
        conversation = self._shown.conversation
        top = message
        if message.role is Role.ASSISTANT and message.parent_id is not None:
            parent = conversation.find(message.parent_id)
            if parent is not None and len(conversation.children(parent.id)) == 1:
                top = parent
        count = len(conversation.subtree(top))

        def done(confirmed: bool | None) -> None:
            if not confirmed or not self._shown.is_shown(conversation):
                return
            conversation.remove_turn(message)
            if conversation.messages:
                self._conversations.saved(conversation)
            else:  # still on screen: a new turn saves it again
                self._conversations.delete_soon(conversation.id, keep_out=False)
                self._panes.sidebar.remove_entry(conversation.id)
            self.redraw()
            self._budget.update()
            self._screen.notify(
                ngettext("Deleted {count} message.", "Deleted {count} messages.", count)
            )

        question = ngettext(
            "Delete this turn: {count} message, with every reply and branch below it?",
            "Delete this turn: {count} messages, with every reply and branch below it?",
            count,
        )
        from chattui.ui.screens.dialogs import ConfirmScreen

        self._screen.app.push_screen(ConfirmScreen(question, _("Delete")), done)
