"""What a conversation cost: the estimated list price of its replies, from their usage."""

from __future__ import annotations

from collections.abc import Callable

from chattui.core.catalog import ModelInfo, estimate_cost
from chattui.core.models import Conversation, Role

__all__ = ["conversation_cost"]


def conversation_cost(
    conversation: Conversation, lookup: Callable[[str], ModelInfo]
) -> float | None:
    """The estimated cost in USD of every reply with usage (None if no price is known).

    Args:
        conversation: Every message counts, on every branch.
        lookup: The catalog entry of a model id.
    """
    total = 0.0
    known = False
    for message in conversation.messages:
        if message.role is not Role.ASSISTANT or message.usage is None:
            continue
        info = lookup(message.model or "")
        cost = estimate_cost(info, message.usage.prompt_tokens, message.usage.completion_tokens)
        if cost is not None:
            total += cost
            known = True
    return total if known else None
