"""The part of :class:`~chattui.core.services.Services` that plans requests and runs turns:
the :class:`~chattui.core.planner.RequestPlanner` and the
:class:`~chattui.core.session.ChatSession`, made on first use, and the verbs on them.

Neither is needed for the app's first frame: this module imports their modules only when
they are first used (``Services.start_session``, right after the first frame).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from chattui.core.endpoints import EndpointProfiles
from chattui.core.models import Conversation, Message
from chattui.core.problems import Problem
from chattui.core.storage import ConversationStore

if TYPE_CHECKING:
    from chattui.core.catalog import ModelInfo
    from chattui.core.config import Settings
    from chattui.core.events import ChatRequest
    from chattui.core.planner import BudgetInput, RequestPlanner
    from chattui.core.session import ChatSession, LiveReply
    from chattui.core.tokenhost import CountTexts
    from chattui.core.turns import SessionEvent
    from chattui.core.window import Budget

__all__ = ["Engine"]

Events = AsyncGenerator["SessionEvent", None]
"""What a turn yields (see :mod:`chattui.core.turns`)."""


class Engine:
    """The planner and the session, made on first use, and what the UI asks of them: send,
    retry, continue and regenerate replies, save and delete conversations, count budgets.

    Each turn runs with the settings of its conversation's endpoint (``endpoints``).
    """

    def __init__(
        self, store: ConversationStore, endpoints: EndpointProfiles, token_helper: bool = False
    ) -> None:
        self.store = store
        self.endpoints = endpoints
        self.token_helper = token_helper
        """Count tokens in a helper process (see :mod:`chattui.core.tokenhost`)."""
        self._planner: RequestPlanner | None = None
        self._session: ChatSession | None = None

    @property
    def planner(self) -> RequestPlanner:
        """Builds requests and budgets (made on first use)."""
        if self._planner is None:
            from chattui.core.planner import RequestPlanner
            from chattui.core.tokenhost import TokenHost, count_in_process

            counts: CountTexts = TokenHost() if self.token_helper else count_in_process
            self._planner = RequestPlanner(
                self.endpoints.settings, counts, exact_near_limit=self.token_helper
            )
        return self._planner

    @property
    def session(self) -> ChatSession:
        """Runs turns and saves conversations (made on first use)."""
        if self._session is None:
            from chattui.core.session import ChatSession

            self._session = ChatSession(self.store, None, build_request=self.planner.build)
        return self._session

    # -- the client ------------------------------------------------------------------------------

    def connect(self) -> None:
        """(Re)build the session's client from the current settings."""
        self.endpoints.forget_clients()
        self.session.client = self.endpoints.client_for(None)
        self.session.client_for = self.endpoints.client_for

    def connect_if_needed(self) -> None:
        """Build the session's client now if the warm-up has not built it yet."""
        if self.session.client is None:
            self.connect()

    def warm_up(self) -> None:
        """Import the HTTP client and, counting in this process, load the model's tokenizer
        (slow: run in a thread, once :attr:`session` was first used on the UI thread: the
        planner and the session are built by the first thread that uses them).

        With the token helper nothing is loaded for counting: the helper starts when a
        request first comes near the window's limit (see ``RequestPlanner``), and most never
        do. In this process the tokenizer comes first: loading it briefly holds two copies of
        its tables (~30 MB more than it keeps), and the process is smallest before ``openai``
        is imported.
        """
        if not self.token_helper:
            with contextlib.suppress(Exception):  # a broken tokenizer is reported when used
                self.planner.counter(self.endpoints.settings.model).text("warm up")
        import chattui.core.costs
        import chattui.core.titles  # noqa: F401
        from chattui.core.client import preload
        from chattui.core.markdown_blocks import parse_blocks

        preload()  # what the first request imports
        parse_blocks("# A\n\n```python\nx\n```\n\n| a |\n| - |\n| 1 |\n")  # the first reply's

    def close(self, timeout: float = 10.0) -> bool:
        """Stop the running turns and wait for the queued saves (see ``ChatSession.close``);
        False if ``timeout`` passed first."""
        return self._session is None or self._session.close(timeout)

    # -- turns -----------------------------------------------------------------------------------

    def live_reply(self, conversation_id: str) -> LiveReply | None:
        """The turn running in the conversation, if any (the session is not made for this:
        before it is, no turn ran)."""
        return None if self._session is None else self._session.live_reply(conversation_id)

    def live_conversation(self, conversation_id: str) -> Conversation | None:
        """The copy in memory of a conversation whose turn runs, if any."""
        session = self._session
        return None if session is None else session.live_conversation(conversation_id)

    def send(
        self, conversation: Conversation, text: str, instead_of: Message | None = None
    ) -> Events:
        """Send ``text`` as the next turn (or as an edit of ``instead_of``: a new branch), on
        the conversation's endpoint (recorded in it at its first send)."""
        self.endpoints.pin_profile(conversation)
        settings = self.endpoints.settings_for(conversation)
        return self.session.send(conversation, text, settings, instead_of=instead_of)

    def retry(self, conversation: Conversation) -> Events:
        """Ask again for the last user turn (see ``ChatSession.retry``)."""
        return self.session.retry(conversation, self.endpoints.settings_for(conversation))

    def continue_reply(self, conversation: Conversation) -> Events:
        """Go on with the last, unfinished reply (see ``ChatSession.continue_reply``)."""
        settings = self.endpoints.settings_for(conversation)
        return self.session.continue_reply(conversation, settings)

    def regenerate(self, conversation: Conversation, reply: Message) -> Events:
        """Ask again for ``reply``'s turn, as an alternative (see ``ChatSession.regenerate``)."""
        settings = self.endpoints.settings_for(conversation)
        return self.session.regenerate(conversation, reply, settings)

    # -- saving ----------------------------------------------------------------------------------

    def save_soon(
        self, conversation: Conversation, on_failed: Callable[[Problem], object] | None = None
    ) -> Future[int]:
        """Save in the background (see ``ChatSession.save_soon``)."""
        return self.session.save_soon(conversation, on_failed)

    def delete(
        self,
        conversation_id: str,
        *,
        keep_out: bool = True,
        on_failed: Callable[[Problem], object] | None = None,
    ) -> Future[int]:
        """Delete in the background (see ``ChatSession.delete``)."""
        return self.session.delete(conversation_id, keep_out=keep_out, on_failed=on_failed)

    # -- budgets and models ----------------------------------------------------------------------

    def budget_input(
        self, conversation: Conversation, editing: Message | None = None
    ) -> BudgetInput:
        """The conversation's part of the budget, with its endpoint's settings (cheap);
        ``editing``: the earlier prompt being edited (the history ends before it)."""
        settings = self.endpoints.settings_for(conversation)
        return self.planner.budget_input(conversation, settings, editing)

    def count_budget(self, taken: BudgetInput, prompt: str) -> Budget:
        """Where the window goes if ``prompt`` were sent (slow for big texts: any thread)."""
        return self.planner.count_budget(taken, prompt)

    def model_info(self, model: str) -> ModelInfo:
        """What the catalog knows of ``model`` (window, prices)."""
        return self.planner.model_info(model)

    def title_request(self, conversation: Conversation, settings: Settings) -> ChatRequest:
        """The request that asks for the conversation's title (with its ``settings``)."""
        from chattui.core.chatparams import conversation_model
        from chattui.core.titles import title_request

        model = settings.title_model or conversation_model(conversation, settings)
        return title_request(conversation, model, self.planner.catalog, settings.base_url)
