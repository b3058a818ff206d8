"""The message tree: branches, alternatives, switching, deleting a turn, old files."""

from __future__ import annotations

import json

from chattui.core.models import Conversation, Message, Role


def turn(conversation: Conversation, prompt: str, reply: str) -> tuple[Message, Message]:
    user = conversation.add(Message(Role.USER, prompt))
    return user, conversation.add(Message(Role.ASSISTANT, reply))


def texts(conversation: Conversation) -> list[str]:
    return [m.content for m in conversation.branch()]


def test_linear_conversation_is_one_branch() -> None:
    conversation = Conversation()
    turn(conversation, "q1", "a1")
    turn(conversation, "q2", "a2")
    assert texts(conversation) == ["q1", "a1", "q2", "a2"]
    assert conversation.alternatives(conversation.messages[1]) == [conversation.messages[1]]


def test_regenerated_reply_is_an_alternative_and_switching_shows_the_branch_below() -> None:
    conversation = Conversation()
    q1, a1 = turn(conversation, "q1", "a1")
    turn(conversation, "q2", "a2")
    # Regenerate a1: the new reply is a sibling; the later turn stays on the old branch.
    conversation.current_leaf = q1.id
    a1b = conversation.add(Message(Role.ASSISTANT, "a1b"))
    assert texts(conversation) == ["q1", "a1b"]
    assert [m.content for m in conversation.alternatives(a1b)] == ["a1", "a1b"]
    back = conversation.switch_alternative(a1b, -1)
    assert back is a1
    assert texts(conversation) == ["q1", "a1", "q2", "a2"]
    assert conversation.switch_alternative(a1, -1) is None
    assert conversation.switch_alternative(a1, +1) is a1b
    assert texts(conversation) == ["q1", "a1b"]


def test_editing_the_first_prompt_makes_a_second_root() -> None:
    conversation = Conversation()
    q1, _a1 = turn(conversation, "q1", "a1")
    conversation.current_leaf = None
    q1b = conversation.add(Message(Role.USER, "q1 edited"), root=True)
    conversation.add(Message(Role.ASSISTANT, "a1 for the edit"))
    assert texts(conversation) == ["q1 edited", "a1 for the edit"]
    assert conversation.alternatives(q1b) == [q1, q1b]
    conversation.switch_alternative(q1b, -1)
    assert texts(conversation) == ["q1", "a1"]


def test_remove_turn_takes_the_subtree_and_shows_what_remains() -> None:
    conversation = Conversation()
    q1, a1 = turn(conversation, "q1", "a1")
    q2, a2 = turn(conversation, "q2", "a2")
    removed = conversation.remove_turn(q2)
    assert removed == [q2, a2]
    assert texts(conversation) == ["q1", "a1"]
    # Deleting the only reply of a prompt takes the prompt too (the whole turn).
    removed = conversation.remove_turn(a1)
    assert removed == [q1, a1]
    assert conversation.messages == [] and conversation.current_leaf is None


def test_remove_one_alternative_shows_the_other() -> None:
    conversation = Conversation()
    q1, _a1 = turn(conversation, "q1", "a1")
    conversation.current_leaf = q1.id
    a1b = conversation.add(Message(Role.ASSISTANT, "a1b"))
    assert conversation.remove_turn(a1b) == [a1b]
    assert texts(conversation) == ["q1", "a1"]


def test_round_trip_keeps_tree_and_leaf() -> None:
    conversation = Conversation(title="t")
    q1, _ = turn(conversation, "q1", "a1")
    conversation.current_leaf = q1.id
    conversation.add(Message(Role.ASSISTANT, "a1b"))
    conversation.switch_alternative(conversation.messages[-1], -1)
    data = json.loads(json.dumps(conversation.to_dict()))
    loaded = Conversation.from_dict(data)
    assert loaded.current_leaf == conversation.current_leaf
    assert texts(loaded) == ["q1", "a1"]
    assert [m.parent_id for m in loaded.messages] == [m.parent_id for m in conversation.messages]


def test_old_linear_files_load_unchanged() -> None:
    """A file written before branches (linear parent ids) shows the same messages."""
    data = {
        "schema": 1,
        "id": "c1",
        "title": "old",
        "created": 1.0,
        "updated": 2.0,
        "model": "gpt-4o-mini",
        "system_prompt": "",
        "params": {},
        "current_leaf": "m4",
        "messages": [
            {"id": "m1", "parent_id": None, "role": "user", "content": "q1", "created": 1.0},
            {"id": "m2", "parent_id": "m1", "role": "assistant", "content": "a1", "created": 1.1},
            {"id": "m3", "parent_id": "m2", "role": "user", "content": "q2", "created": 1.2},
            {"id": "m4", "parent_id": "m3", "role": "assistant", "content": "a2", "created": 1.3},
        ],
    }
    loaded = Conversation.from_dict(data)
    assert texts(loaded) == ["q1", "a1", "q2", "a2"]
    assert (
        loaded.to_dict()["messages"]
        == Conversation.from_dict(loaded.to_dict()).to_dict()["messages"]
    )


def test_hand_written_file_without_parents_or_leaf_is_one_branch() -> None:
    data = {
        "schema": 1,
        "id": "c2",
        "messages": [
            {"id": "a", "role": "user", "content": "q"},
            {"id": "b", "role": "assistant", "content": "r"},
            {"id": "c", "role": "user", "content": "q2"},
        ],
    }
    loaded = Conversation.from_dict(data)
    assert texts(loaded) == ["q", "r", "q2"]
    assert loaded.current_leaf == "c"


def test_cycle_in_a_hand_edited_file_does_not_hang() -> None:
    data = {
        "schema": 1,
        "id": "c3",
        "current_leaf": "b",
        "messages": [
            {"id": "a", "parent_id": "b", "role": "user", "content": "q"},
            {"id": "b", "parent_id": "a", "role": "assistant", "content": "r"},
        ],
    }
    loaded = Conversation.from_dict(data)
    assert texts(loaded) == ["q", "r"]


def test_going_back_to_an_alternative_shows_the_branch_last_viewed_below_it() -> None:
    """Prompt q2 has two replies and the first was on screen; after showing an edit of q2,
    going back to q2 shows that first reply again, not the newest one (also after a save)."""
    conversation = Conversation()
    turn(conversation, "q1", "a1")
    q2, _a2 = turn(conversation, "q2", "a2")
    conversation.current_leaf = q2.id
    a2b = conversation.add(Message(Role.ASSISTANT, "a2 regenerated"))
    assert conversation.switch_alternative(a2b, -1) is not None  # back to a2
    conversation.current_leaf = q2.parent_id
    q2b = conversation.add(Message(Role.USER, "q2 edited"))
    conversation.add(Message(Role.ASSISTANT, "a2 for the edit"))
    assert texts(conversation) == ["q1", "a1", "q2 edited", "a2 for the edit"]
    assert conversation.switch_alternative(q2b, -1) is q2
    assert texts(conversation) == ["q1", "a1", "q2", "a2"]
    assert conversation.switch_alternative(q2, +1) is q2b
    loaded = Conversation.from_dict(json.loads(json.dumps(conversation.to_dict())))
    assert loaded.switch_alternative(loaded.messages[-2], -1) is not None
    assert texts(loaded) == ["q1", "a1", "q2", "a2"]
