"""Per-conversation settings: a conversation's own model, temperature and max_tokens over the
defaults, and the details the user edits for one conversation.

A conversation follows the default model (config.toml, environment, ``--model``) until a model
is chosen for it; the same goes for each parameter in :attr:`Conversation.params`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from chattui.core.config import ConfigError, Settings, validate_value
from chattui.core.models import Conversation, TitleSource
from chattui.core.sanitize import sanitize_line

__all__ = [
    "CONVERSATION_PARAMS",
    "ConversationDetails",
    "apply_details",
    "conversation_model",
    "conversation_settings",
    "details_of",
    "parse_param",
]

CONVERSATION_PARAMS = ("temperature", "max_tokens")
"""The request parameters a conversation can set for itself."""
TITLE_LIMIT = 200


def conversation_model(conversation: Conversation, settings: Settings) -> str:
    """The model the next turn of ``conversation`` is sent to."""
    return conversation.model or settings.model


def conversation_settings(conversation: Conversation, settings: Settings) -> Settings:
    """``settings`` with the conversation's own model and parameters applied.

    A parameter saved with a bad value (edited by hand) is ignored: the default applies.
    """
    changes: dict[str, Any] = {"model": conversation_model(conversation, settings)}
    for key in CONVERSATION_PARAMS:
        if key in conversation.params:
            try:
                changes[key] = validate_value(key, conversation.params[key])
            except ConfigError:
                continue
    return dataclasses.replace(settings, **changes)


@dataclass(frozen=True)
class ConversationDetails:
    """What the details dialog edits. ``None`` means "follow the default"."""

    title: str
    model: str | None
    system_prompt: str
    temperature: float | None
    max_tokens: int | None


def details_of(conversation: Conversation) -> ConversationDetails:
    """The conversation's own details (defaults left as ``None``)."""
    own = conversation_settings(conversation, Settings())  # whose defaults are all None
    return ConversationDetails(
        title=conversation.title,
        model=conversation.model,
        system_prompt=conversation.system_prompt,
        temperature=own.temperature,
        max_tokens=own.max_tokens,
    )


def parse_param(key: str, text: str) -> Any:
    """The value typed for ``key`` (``None`` when empty: follow the default).

    Raises:
        ConfigError: not a valid value; the message says why.
    """
    if not text.strip():
        return None
    return validate_value(key, text.strip())


def apply_details(conversation: Conversation, details: ConversationDetails) -> bool:
    """Set ``details`` on ``conversation``; return whether anything changed.

    A title that differs from the current one counts as a manual rename: automatic titles
    never replace it afterwards.
    """
    before = (
        conversation.title,
        conversation.model,
        conversation.system_prompt,
        dict(conversation.params),
    )
    title = sanitize_line(details.title, TITLE_LIMIT)
    if title and title != conversation.title:
        conversation.title = title
        conversation.title_source = TitleSource.MANUAL
    conversation.model = (details.model or "").strip() or None
    conversation.system_prompt = details.system_prompt
    for key in CONVERSATION_PARAMS:
        value = getattr(details, key)
        if value is None:
            conversation.params.pop(key, None)
        else:
            conversation.params[key] = value
    after = (
        conversation.title,
        conversation.model,
        conversation.system_prompt,
        dict(conversation.params),
    )
    return before != after
