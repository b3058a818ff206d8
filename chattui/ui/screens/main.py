"""The main screen: conversations on the left, the chat and the prompt on the right.

Its parts are its bases: replies stream in :class:`~chattui.ui.screens.replying.ReplyScreen`,
which builds on the budget, the prompt, the message actions and the library.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message as UIMessage
from textual.widgets import Static

from chattui.core.config import mask_proxy
from chattui.core.models import Conversation, Message
from chattui.core.problems import Problem
from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.budget import usage_text
from chattui.ui.launch import StartAt
from chattui.ui.render.problems import problem_text
from chattui.ui.screens.actions import alternatives_of
from chattui.ui.screens.finding import FindMixin
from chattui.ui.screens.replying import ReplyScreen
from chattui.ui.widgets.chat_log import ChatLog
from chattui.ui.widgets.find_bar import FindBar
from chattui.ui.widgets.prompt import PromptInput
from chattui.ui.widgets.side_panel import SidePanel
from chattui.ui.widgets.status import StatusBar

__all__ = ["MainScreen"]


class KeyCommandsRan(UIMessage):
    """The key commands that pending keys waited for have run (posted from the worker)."""

    bubble = False  # for the screen only

    def __init__(self, failures: list[Problem]) -> None:
        super().__init__()
        self.failures = failures


class MainScreen(FindMixin, ReplyScreen):
    """Sidebar, chat log, prompt and status line."""

    BINDINGS = [
        Binding(
            "escape",
            "stop",
            _("Stop"),
            show=False,
            id="stop",
            tooltip=_("Stop the reply / cancel a queued prompt or an edit / close a dialog"),
        ),
        Binding(
            "alt+up",
            "cursor_from_prompt(-1)",
            _("Messages"),
            show=False,
            id="cursor_prompt_up",
            tooltip=_("Message cursor: move over messages and code blocks"),
        ),
        Binding(
            "alt+down",
            "cursor_from_prompt(1)",
            show=False,
            id="cursor_prompt_down",
            tooltip=_("Message cursor: move over messages and code blocks"),
        ),
        Binding(
            "ctrl+n",
            "new_conversation",
            _("New"),
            id="new_conversation",
            tooltip=_("New conversation"),
        ),
        Binding(
            "ctrl+r",
            "retry",
            _("Retry"),
            id="retry",
            tooltip=_("Retry the last failed or stopped reply"),
        ),
        Binding(
            "ctrl+g",
            "continue_reply",
            _("Continue"),
            show=False,
            id="continue_reply",
            tooltip=_("Continue a stopped or cut-short reply where it ended"),
        ),
        Binding(
            "ctrl+b",
            "toggle_sidebar",
            _("Sidebar"),
            id="toggle_sidebar",
            tooltip=_("Show or hide the sidebar"),
        ),
        Binding(
            "ctrl+l",
            "focus_log",
            _("Scroll"),
            show=False,
            id="focus_log",
            tooltip=_("Focus the conversation (scroll with arrows, PgUp/PgDn)"),
        ),
        Binding(
            "f4", "find", _("Find"), show=False, id="find", tooltip=_("Find in this conversation")
        ),
        Binding(
            "shift+f4",
            "find_previous",
            _("Find previous"),
            show=False,
            id="find_previous",
            tooltip=_("Find in this conversation: previous match"),
        ),
    ]

    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._resumed = False
        self._start_prompt = ""
        """The command line's prompt, waiting for the key command to give the key."""
        self._first_frame_work: list[Callable[[], object]] | None = []
        """Work waiting for the first frame (None once it is painted)."""

    def compose(self) -> ComposeResult:
        # The screen lays the two columns out side by side itself (main.tcss): no container
        # for them to compose, style and paint before the first frame.
        yield SidePanel(id="side")
        with Vertical(id="chat"):
            yield ChatLog(id="log")
            yield FindBar(id="find")
            yield Static(id="prompt-note")
            yield PromptInput(
                id="prompt", placeholder=_("Type a message. Enter sends, Ctrl+J new line.")
            )
            yield StatusBar(id="status")

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            # The first resume comes right after every widget was styled as it was mounted:
            # styling them all again would cost the first frame ~10 ms. Later ones (a dialog
            # closed, maybe after a theme change) restyle as usual.
            self._resumed = True
            event.refresh_styles = False

    def _screen_resized(self, size: Size) -> None:
        # The terminal's size, sent once as the app starts, usually arrives after this screen
        # was laid out at that very size: laying it out and drawing it again would cost the
        # first frame a second full render (~8 ms).
        if size != self._compositor.size:
            super()._screen_resized(size)

    def on_mount(self) -> None:
        self._log = self.query_one("#log", ChatLog)
        # The footer (one widget per key) is not needed to start typing: it comes right
        # after the first frame, which it would otherwise delay by a fifth of a second.
        self._after_first_frame(self._mount_footer)
        self._after_first_frame(self.side_panel.build_filter)
        self.log_view.set_error_hint(_("Ctrl+R retry · F2 settings"))
        self.log_view.set_usage_label(self._usage_label)
        if self.size.width < 80:
            self.side_panel.add_class("-hidden")
        if self.services.store.index_is_big():
            # The list comes a moment after the first frame (the index is read in a thread):
            # the frame, and typing, do not wait for it.
            self._after_first_frame(self.list_in_background)
        else:
            self.refresh_sidebar()
        self.setup_prompt()
        self.show_conversation(self.conversation)
        self.update_endpoint()
        self.prompt.focus()
        self.set_interval(60, self.sidebar.refresh_times)

    async def _mount_footer(self) -> None:
        """The footer, after the first frame; it draws its keys when told of the bindings,
        which a footer mounted after the focus was set would otherwise wait for."""
        from textual.widgets import Footer  # imported after the first frame too

        await self.mount(Footer())
        self.refresh_bindings()

    def _after_first_frame(self, callback: Callable[..., object], *args: object) -> None:
        """Run ``callback`` once the first frame is on the terminal (see :meth:`first_frame`).

        ``call_after_refresh`` alone is not enough: the first refreshes happen inside the
        batch of updates Textual holds while the app mounts, and are not written.
        """
        if self._first_frame_work is None:
            self.call_after_refresh(callback, *args)
        else:
            self._first_frame_work.append(partial(callback, *args))

    def first_frame(self) -> None:
        """The app is ready (Textual's ``Ready``: its first frame is being written): do the
        work that the first frame did not need, after that frame."""
        work, self._first_frame_work = self._first_frame_work or [], None
        for callback in work:
            self.call_after_refresh(callback)

    # -- parts -------------------------------------------------------------------------------

    @property
    def log_view(self) -> ChatLog:
        return self._log

    def _usage_label(self, message: Message) -> str:
        """``↑12 ↓188 tokens · $0.0001`` for a reply's header."""
        if message.usage is None:
            return ""
        from chattui.core.catalog import estimate_cost

        usage = message.usage
        info = self.services.planner.model_info(message.model or self.settings.model)
        cost = estimate_cost(info, usage.prompt_tokens, usage.completion_tokens)
        return usage_text(usage.prompt_tokens, usage.completion_tokens, cost, None)

    def update_endpoint(self) -> None:
        """Show where requests go (host and model) in the status line."""
        settings = self.settings
        host = urlsplit(settings.base_url).netloc or settings.base_url
        model = self.conversation.model or settings.model
        via = _(" via {proxy}", proxy=mask_proxy(settings.proxy)) if settings.proxy else ""
        profile = self.services.profile_of(self.conversation)
        self.status.set_endpoint(f"{profile + ': ' if profile else ''}{host}{via}", model)
        if self.services.endpoint(profile).key.pending:
            self.status.set_state(_("running api_key_command…"), "busy")
            self.run_key_commands()
        elif not self.services.can_send(self.conversation):
            self.status.set_state(_("no API key: press F2"), "error")
        elif not self._streaming(self.conversation.id):
            self.status.set_state(_("ready"))

    def show_conversation(self, conversation: Conversation) -> None:
        self.switch_draft(self.conversation, conversation)
        self.conversation = conversation
        live = self.services.live_reply(conversation.id)
        reply = live.sync() if live is not None else None  # its text so far, from the session
        live_ids = [reply.id] if reply is not None else []
        branch = conversation.branch()
        self.log_view.set_conversation(
            branch,
            conversation.system_prompt,
            live_ids=live_ids,
            alternatives=alternatives_of(conversation),
        )
        self.show_queue()
        self.sidebar.set_current(conversation.id if conversation.messages else None)
        self.update_endpoint()
        if self._streaming(conversation.id):
            self.status.set_state(_("streaming…"), "busy")
        self.status.set_tokens("")
        self.update_budget()

    def start_at(self, start: StartAt) -> None:
        """Show the conversation the command line asked for, and send its prompt."""
        if start.conversation is not None:
            self.refresh_sidebar()
            self.show_conversation(start.conversation)
        elif start.conversation_id:  # read in a thread; the prompt is sent once it is shown
            if start.prompt.strip():
                self.prompt.text = start.prompt
            self.open_conversation(start.conversation_id, partial(self._send_start, start.prompt))
            return
        self._send_start(start.prompt)

    def _send_start(self, text: str) -> None:
        if text.strip():
            self.prompt.text = text
            if self.services.has_key:
                self._submitted(PromptInput.Submitted(self.prompt, text))
            elif self.services.key.pending:
                self._start_prompt = text  # sent once the key command gave the key

    # -- the key command --------------------------------------------------------------------

    def run_key_commands(self) -> None:
        """Run the key commands that pending keys wait for, in a thread (once at a time)."""
        if not any(w.group == "key-commands" and not w.is_finished for w in self.workers):
            self._run_key_commands()

    @work(thread=True, group="key-commands", exit_on_error=False)
    def _run_key_commands(self) -> None:
        self.post_message(KeyCommandsRan(self.services.run_key_commands()))

    @on(KeyCommandsRan)
    def _key_commands_ran(self, event: KeyCommandsRan) -> None:
        self.services.keys_changed()
        for failure in event.failures:
            self.notify(
                _("Could not get the API key: {error}", error=problem_text(failure)),
                severity="error",
                markup=False,
                timeout=15,
            )
        self.update_endpoint()  # a command asked for meanwhile runs now
        self.update_budget()
        waiting, self._start_prompt = self._start_prompt, ""
        if waiting and self.prompt.text == waiting and self.services.can_send(self.conversation):
            self._submitted(PromptInput.Submitted(self.prompt, waiting))

    # -- actions -----------------------------------------------------------------------------

    def action_stop(self) -> None:
        """Esc: leave edit mode, else cancel the last queued prompt, else stop the reply."""
        if self.cancel_edit() or self.unqueue_last():
            return
        if self._streaming(self.conversation.id):
            self.workers.cancel_group(self, f"reply-{self.conversation.id}")

    def action_retry(self) -> None:
        """Ask again for the last user turn (after an error or a stop)."""
        conversation = self.conversation
        if self._streaming(conversation.id) or not conversation.messages:
            return
        if not self.services.session.can_retry(conversation):
            self.notify(_("The last reply is complete; nothing to retry."))
            return
        if not self.ready_to_send():
            return
        events = self.services.session.retry(conversation, self.settings)
        self.start_reply(conversation, events, "again")

    def action_continue_reply(self) -> None:
        """Ask the model to go on with a stopped, cut short or incomplete last reply."""
        conversation = self.conversation
        if not self.services.session.can_continue(conversation):
            self.notify(_("There is no unfinished reply to continue."))
            return
        if not self.ready_to_send():
            return
        events = self.services.session.continue_reply(conversation, self.settings)
        self.start_reply(conversation, events, "again")

    def on_unmount(self) -> None:
        self.save_drafts_now()

    def action_new_conversation(self) -> None:
        if not self.conversation.messages:
            self.prompt.focus()
            return
        self.show_conversation(Conversation(system_prompt=self.settings.system_prompt))
        self.prompt.focus()

    def action_toggle_sidebar(self) -> None:
        self.side_panel.toggle_class("-hidden")

    def action_focus_log(self) -> None:
        self.log_view.focus()

    def on_key(self, event: events.Key) -> None:
        """A character typed while the conversation has focus goes to the prompt (keys the
        conversation binds, and navigation keys, stay with it)."""
        if (
            self.focused is not self.log_view
            or not event.is_printable
            or not event.character
            or event.key in self.app.active_bindings
        ):
            return
        event.stop()
        event.prevent_default()
        self.prompt.focus()
        self.prompt.insert(event.character)
