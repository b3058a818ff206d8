"""Fitting a request into the model's context window, and the live budget of the status line.

Both count with a :class:`~chattui.core.tokens.TokenCounter` (its per-message cache makes
repeated fits and keystrokes cheap: only what changed is encoded). Far from the window's
limit, the full-screen app counts nothing (``fit_to_window(bound_first=True)``,
:func:`estimate_budget`): its
tokenizer (a helper process of ~70 MB) starts only when a request comes near the limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chattui.core.tokens import REPLY_PRIMING, TOKENS_PER_MESSAGE, TOKENS_PER_NAME, TokenCounter

__all__ = [
    "Budget",
    "FitResult",
    "compute_budget",
    "estimate_budget",
    "fit_to_window",
    "surely_fits",
]


def surely_fits(
    messages: Sequence[Mapping[str, str]], reserve: int, window: int, factor: float = 1.0
) -> bool:
    """Whether ``messages`` and ``reserve`` fit ``window`` for certain, without counting a
    token (no tokenizer loaded: a third of a second saved on ``chattui ask``).

    Every token of a byte-pair encoding stands for at least one byte, so a text's UTF-8 length
    bounds its token count from above; ``factor`` is the multiplier of an estimated count
    (models without an exact tokenizer), each text rounded up, and the chat framing is added.
    False means "count to know", not "too big".
    """
    scale = max(factor, 1.0)
    bound = REPLY_PRIMING + reserve
    for message in messages:
        bound += TOKENS_PER_MESSAGE + (TOKENS_PER_NAME if message.get("name") else 0)
        for text in message.values():
            bound += math.ceil(len(text.encode("utf-8", "surrogatepass")) * scale)
        if bound > window:
            return False
    return bound <= window


@dataclass(frozen=True)
class FitResult:
    """The request that fits the window, or why none does."""

    messages_to_send: list[Mapping[str, str]]
    """System prompt (if any), the history that fits, and the new prompt, in order."""
    dropped: int
    """Oldest history messages left out."""
    total_tokens: int
    """Prompt tokens of ``messages_to_send`` (chat formula)."""
    prompt_too_big: bool
    """System prompt + new prompt + reserve alone exceed the window."""
    required_tokens: int
    """Tokens needed with no history at all: system + prompt + priming + reserve."""
    window: int
    """The context window it was fitted to."""
    reserve: int
    """Tokens kept free for the reply."""
    counted: bool = True
    """False when everything fitted by an upper bound, no token counted (``total_tokens`` and
    ``required_tokens`` are then upper bounds)."""


def fit_to_window(
    system: str | None,
    history: Sequence[Mapping[str, str]],
    prompt: str,
    reserve: int,
    window: int,
    counter: TokenCounter,
    *,
    bound_first: bool = False,
) -> FitResult:
    """Choose the history to send so that prompt + reply fit the model's context window.

    The system prompt and the new prompt are always kept; the oldest history goes first. After
    a cut, leading replies whose question was cut are dropped too, so the kept history starts
    at a user message.

    Args:
        system: The system prompt (``None`` or empty for none).
        history: Earlier messages, oldest first, in API form.
        prompt: The new user message.
        reserve: Tokens to keep free for the reply (e.g. the max tokens sent).
        window: The model's context window.
        counter: The model's counter (its cache makes repeated fits cheap).
        bound_first: Send the whole history without counting a token if a safe upper bound
            of the request (its UTF-8 bytes, see :meth:`TokenCounter.bound`) fits; count only
            if it may not (``counted`` False in the result when nothing was counted).

    Returns:
        The messages to send and the numbers behind the decision. With ``prompt_too_big``,
        ``messages_to_send`` holds system and prompt only and ``required_tokens`` exceeds
        ``window`` (for the error message).
    """
    head: list[Mapping[str, str]] = [{"role": "system", "content": system}] if system else []
    prompt_message = {"role": "user", "content": prompt}
    if bound_first and (bound := counter.bound([*head, *history, prompt_message])) + reserve <= (
        window
    ):
        return FitResult(
            messages_to_send=[*head, *history, prompt_message],
            dropped=0,
            total_tokens=bound,
            prompt_too_big=False,
            required_tokens=counter.bound([*head, prompt_message]) + reserve,
            window=window,
            reserve=reserve,
            counted=False,
        )
    counter.prefetch([*head, *history, prompt_message])
    fixed = sum(counter.message(m) for m in head) + counter.message(prompt_message)
    fixed += REPLY_PRIMING
    available = window - reserve - fixed
    if available < 0:
        return FitResult(
            messages_to_send=[*head, prompt_message],
            dropped=len(history),
            total_tokens=fixed,
            prompt_too_big=True,
            required_tokens=fixed + reserve,
            window=window,
            reserve=reserve,
        )
    counts: list[int] = []
    used = 0
    start = len(history)
    for index in range(len(history) - 1, -1, -1):
        n = counter.message(history[index])
        if used + n > available:
            break
        used += n
        counts.append(n)
        start = index
    counts.reverse()
    if start > 0:
        # History was cut: don't open with an answer whose question is gone.
        skip = 0
        while start + skip < len(history) and history[start + skip].get("role") != "user":
            used -= counts[skip]
            skip += 1
        start += skip
    return FitResult(
        messages_to_send=[*head, *history[start:], prompt_message],
        dropped=start,
        total_tokens=fixed + used,
        prompt_too_big=False,
        required_tokens=fixed + reserve,
        window=window,
        reserve=reserve,
    )


@dataclass(frozen=True)
class Budget:
    """Where the context window goes, for the status bar (``used`` = the request's prompt
    tokens when nothing is trimmed)."""

    prompt: int
    """Tokens of the prompt text being typed."""
    overhead: int
    """Framing of the prompt message plus the reply priming."""
    history: int
    """All earlier messages, framing included (before any trimming)."""
    system: int
    """The system prompt, framing included (0 without one)."""
    reserve: int
    """Tokens kept free for the reply."""
    window: int
    """The model's context window."""
    exact: bool
    """False when the counts are estimates (show ``~``)."""

    @property
    def used(self) -> int:
        """Prompt tokens of the request if it were sent untrimmed."""
        return self.prompt + self.overhead + self.history + self.system

    @property
    def remaining(self) -> int:
        """Tokens left before history must be trimmed (negative: it will be)."""
        return self.window - self.reserve - self.used


def estimate_budget(
    system: str | None,
    history: Sequence[Mapping[str, str]],
    prompt: str,
    reserve: int,
    window: int,
    counter: TokenCounter,
) -> Budget | None:
    """The live budget estimated without counting (``exact=False``: shown with ``~``), if the
    request is far from the window's limit: the estimate takes at most half of the room for
    it. None near the limit: then :func:`compute_budget` counts. Same arguments as
    :func:`compute_budget`.

    The estimate (:meth:`TokenCounter.estimate`) is within 2x of the true count for prose,
    Markdown, code and Chinese, so far from the limit the window is not in question; what is
    sent is decided by :func:`fit_to_window`, never by this.
    """
    system_message = [{"role": "system", "content": system}] if system else []
    budget = Budget(
        prompt=counter.estimate_text(prompt),
        overhead=counter.estimate([{"role": "user", "content": ""}]),
        history=counter.estimate(history) - REPLY_PRIMING,
        system=counter.estimate(system_message) - REPLY_PRIMING if system_message else 0,
        reserve=reserve,
        window=window,
        exact=not (prompt or system or history),  # nothing to count is an exact 0
    )
    return budget if 2 * budget.used <= window - reserve else None


def compute_budget(
    system: str | None,
    history: Sequence[Mapping[str, str]],
    prompt: str,
    reserve: int,
    window: int,
    counter: TokenCounter,
) -> Budget:
    """The live budget: history comes from the cache, only the prompt text is encoded.

    Args:
        system: The system prompt (``None`` or empty for none).
        history: Earlier messages, oldest first, in API form.
        prompt: The text being typed.
        reserve: Tokens to keep free for the reply.
        window: The model's context window.
        counter: The model's counter.

    Returns:
        The budget breakdown.
    """
    system_message = [{"role": "system", "content": system}] if system else []
    counter.prefetch([*system_message, *history])
    prompt_tokens, user = counter.texts([prompt, "user"])
    return Budget(
        prompt=prompt_tokens,
        overhead=TOKENS_PER_MESSAGE + user + REPLY_PRIMING,
        history=sum(counter.message(message) for message in history),
        system=sum(counter.message(message) for message in system_message),
        reserve=reserve,
        window=window,
        exact=counter.exact,
    )
