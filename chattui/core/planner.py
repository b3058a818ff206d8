"""Token-aware requests: fit the history to the model's window, name max_tokens right.

:class:`RequestPlanner` is the session's request builder. It keeps one cached
:class:`~chattui.core.tokens.TokenCounter` per encoding, so the live budget and each send
count only what is new. The budget is taken in two steps so that its counting can run off the
UI thread: :meth:`RequestPlanner.budget_input` (on the UI thread: a snapshot of the
conversation) and :meth:`RequestPlanner.count_budget` (any thread).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chattui.core.catalog import Catalog, CatalogError, ModelInfo, max_tokens_param
from chattui.core.chatparams import conversation_settings
from chattui.core.config import Settings
from chattui.core.events import ChatError, ChatRequest, ErrorKind
from chattui.core.models import Conversation, Message
from chattui.core.problems import Problem
from chattui.core.tokenhost import CountTexts, count_in_process
from chattui.core.tokens import EncodingError, TokenCounter, counter_for_model
from chattui.core.turns import CONTINUE_PROMPT, build_messages
from chattui.core.window import (
    Budget,
    compute_budget,
    estimate_budget,
    fit_to_window,
    surely_fits,
)

__all__ = ["BudgetInput", "RequestPlanner", "reply_reserve"]

MIN_RESERVE = 1024


def reply_reserve(settings: Settings, info: ModelInfo) -> int:
    """Tokens kept free for the reply: max_tokens if set, else a share of the window."""
    if settings.max_tokens is not None:
        return settings.max_tokens
    share = max(MIN_RESERVE, info.context_window // 8)
    return min(share, info.max_output) if info.max_output else share


@dataclass(frozen=True)
class BudgetInput:
    """What the live budget needs from a conversation, taken on the UI thread; counting it
    (:meth:`RequestPlanner.count_budget`) may then run in any thread."""

    system: str
    """The system prompt ("" for none)."""
    history: tuple[Mapping[str, str], ...]
    """The earlier messages in API form (fresh dicts of immutable strings)."""
    reserve: int
    """Tokens kept free for the reply."""
    window: int
    """The model's context window."""
    counter: TokenCounter
    """The model's shared counter (thread-safe; its cache holds the history's counts)."""
    exact_near_limit: bool = False
    """Estimate far from the window's limit, count only near it (see :func:`estimate_budget`)."""

    def estimate(self, prompt: str) -> Budget | None:
        """The budget estimated without counting, if far from the limit (else None)."""
        if not self.exact_near_limit:
            return None
        return estimate_budget(
            self.system, self.history, prompt, self.reserve, self.window, self.counter
        )

    def is_counted(self, prompt: str = "") -> bool:
        """Whether the history's counts are all cached (counting then encodes the prompt only),
        or not needed (far from the limit)."""
        if self.estimate(prompt) is not None:
            return True
        counter = self.counter
        if self.system and not counter.cached({"role": "system", "content": self.system}):
            return False
        return all(counter.cached(message) for message in self.history)


class RequestPlanner:
    """Builds requests that fit the window, and computes the budget shown while typing."""

    def __init__(
        self,
        settings: Settings,
        counts: CountTexts = count_in_process,
        *,
        exact_near_limit: bool = False,
    ) -> None:
        """Plan for ``settings``; ``counts`` says where tokens are counted (this process, or a
        :class:`~chattui.core.tokenhost.TokenHost` for the full-screen app). With
        ``exact_near_limit`` tokens are counted only near the window's limit: a request that
        surely fits is sent whole, and the budget far from the limit is an estimate."""
        self.counts = counts
        self.exact_near_limit = exact_near_limit
        self._counters: dict[tuple[str, float], TokenCounter] = {}
        self.warning: Problem | None = None
        self.configure(settings)

    def configure(self, settings: Settings) -> None:
        """Rebuild the catalog from the settings' model overrides and default window."""
        self.warning = None
        try:
            self.catalog = Catalog.from_overrides(settings.models, settings.context_window)
        except (CatalogError, ValueError) as error:
            self.warning = Problem("config.models", {"error": str(error)})
            self.catalog = Catalog.bundled()

    def model_info(self, model: str) -> ModelInfo:
        return self.catalog.lookup(model)

    def counter(self, model: str) -> TokenCounter:
        """The cached counter for ``model``'s tokenizer (loads the encoding on first use)."""
        info = self.model_info(model)
        key = (info.encoding, info.token_factor)
        counter = self._counters.get(key)
        if counter is None:
            counter = TokenCounter(counter_for_model(model, self.catalog, self.counts))
            self._counters[key] = counter
        return counter

    def build(self, conversation: Conversation, settings: Settings) -> tuple[ChatRequest, int]:
        """The request for the conversation's last user turn, trimmed to the window.

        Returns:
            The request and how many older messages were left out.

        Raises:
            ChatError: the system prompt and the prompt alone do not fit (``TOO_LONG``).
        """
        model = conversation.model or settings.model
        info = self.model_info(model)
        messages = build_messages(conversation)
        system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
        turns = messages[1:] if system else messages
        if turns and turns[-1]["role"] == "assistant":
            prompt, history = CONTINUE_PROMPT, turns  # continuing the last reply
        else:
            prompt = turns[-1]["content"] if turns else ""
            history = turns[:-1]
        reserve = reply_reserve(settings, info)
        head = [{"role": "system", "content": system}] if system else []
        whole = [*head, *history, {"role": "user", "content": prompt}]
        if surely_fits(whole, reserve, info.context_window, info.token_factor):
            return self._request(model, info, whole, settings), 0  # nothing to count
        try:
            counter = self.counter(model)
            window = info.context_window
            fit = fit_to_window(
                system, history, prompt, reserve, window, counter, bound_first=self.exact_near_limit
            )
        except EncodingError as error:
            raise ChatError(ErrorKind.BAD_RESPONSE, "tokens", error=str(error)) from None
        if fit.prompt_too_big:
            approx = "" if info.exact else "~"
            raise ChatError(
                ErrorKind.TOO_LONG,
                model=model,
                required=f"{approx}{fit.required_tokens:,}",
                reserve=f"{reserve:,}",
                window=f"{info.context_window:,}",
            )
        return self._request(model, info, fit.messages_to_send, settings), fit.dropped

    @staticmethod
    def _request(
        model: str, info: ModelInfo, messages: Sequence[Mapping[str, str]], settings: Settings
    ) -> ChatRequest:
        return ChatRequest(
            model=model,
            messages=list(messages),
            max_tokens=settings.max_tokens,
            max_tokens_param=max_tokens_param(model, settings.base_url, info),
            temperature=None if info.reasoning else settings.temperature,
            reasoning_effort=settings.reasoning_effort if info.reasoning else "",
        )

    def budget(self, conversation: Conversation, prompt: str, settings: Settings) -> Budget:
        """Where the window goes if ``prompt`` were sent now (cheap once history is cached)."""
        return self.count_budget(self.budget_input(conversation, settings), prompt)

    def budget_input(
        self, conversation: Conversation, settings: Settings, editing: Message | None = None
    ) -> BudgetInput:
        """The conversation's part of the budget, taken now (cheap: no token is counted);
        while ``editing`` an earlier prompt, the history is what comes before it."""
        settings = conversation_settings(conversation, settings)
        model = settings.model
        info = self.model_info(model)
        messages: list[Mapping[str, str]] = list(build_messages(conversation, editing))
        system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
        history = messages[1:] if system else messages
        return BudgetInput(
            system,
            tuple(history),
            reply_reserve(settings, info),
            info.context_window,
            self.counter(model),
            self.exact_near_limit,
        )

    def count_budget(self, taken: BudgetInput, prompt: str) -> Budget:
        """Where the window goes if ``prompt`` were sent with ``taken``'s history; encodes the
        prompt and any history not counted yet (slow for big texts: any thread may call it).

        Raises:
            EncodingError: the model's encoding is not available.
        """
        estimated = taken.estimate(prompt)
        if estimated is not None:
            return estimated
        return compute_budget(
            taken.system, taken.history, prompt, taken.reserve, taken.window, taken.counter
        )
