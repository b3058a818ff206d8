"""Where a conversation branches: the position of each message among its alternatives."""

from __future__ import annotations

from chattui.core.models import Conversation

__all__ = ["alternatives_of"]


def alternatives_of(conversation: Conversation) -> dict[str, tuple[int, int]]:
    """(position, count) of each message on the branch that has alternatives, by message id:
    what a message's header shows as ``◀ 2/3 ▶``."""
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
