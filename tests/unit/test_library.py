"""The library's core: sidebar order and filter, pin/archive/title source on disk, the
conversation's own settings over the defaults, title cleaning, and the auto_title settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chattui.core.chatparams import (
    ConversationDetails,
    apply_details,
    conversation_settings,
    details_of,
    parse_param,
)
from chattui.core.config import ConfigError, Settings, load_settings
from chattui.core.library import order_summaries
from chattui.core.models import (
    Conversation,
    FormatError,
    Message,
    MessageStatus,
    Role,
    TitleSource,
)
from chattui.core.services import Services
from chattui.core.storage import ConversationStore, ConversationSummary
from chattui.core.titles import clean_title, wants_title


def summary(id: str, title: str, updated: float, **flags: bool) -> ConversationSummary:
    return ConversationSummary(id, title, updated, 0.0, **flags)


def test_order_pinned_first_then_last_activity_archived_behind_a_toggle() -> None:
    items = [
        summary("a", "old", 1),
        summary("b", "new", 5),
        summary("c", "pinned old", 0, pinned=True),
        summary("d", "archived", 9, archived=True),
        summary("e", "pinned new", 3, pinned=True),
    ]
    assert [s.id for s in order_summaries(items)] == ["e", "c", "b", "a"]
    assert [s.id for s in order_summaries(items, show_archived=True)] == [
        "e",
        "c",
        "b",
        "a",
        "d",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("proxy", ["1", "3"]),
        ("PROXY", ["1", "3"]),
        ("ｐｒｏｘｙ", ["1", "3"]),  # full-width letters match too
        ("代理", ["2", "3"]),
        ("proxy 代理", ["3"]),  # every word must match
        ("nothing", []),
        ("  ", ["1", "2", "3"]),
    ],
)
def test_filter_by_title(query: str, expected: list[str]) -> None:
    items = [
        summary("1", "Proxy setup", 3),
        summary("2", "代理设置", 2),
        summary("3", "SOCKS proxy 代理", 1),
    ]
    assert [s.id for s in order_summaries(items, query)] == expected


def test_flags_and_title_source_round_trip_and_reach_the_index(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    store.prepare()
    conversation = Conversation(title="t", pinned=True, archived=True)
    conversation.title_source = TitleSource.AUTO
    conversation.add(Message(Role.USER, "hi"))
    store.save(conversation)
    loaded = store.load(conversation.id)
    assert (loaded.pinned, loaded.archived, loaded.title_source) == (True, True, TitleSource.AUTO)
    (listed,) = ConversationStore(tmp_path).list_conversations()
    assert (listed.pinned, listed.archived) == (True, True)
    # A file written before these fields existed loads with the defaults.
    data = json.loads(store.path_for(conversation.id).read_text("utf-8"))
    for key in ("pinned", "archived", "title_source"):
        del data[key]
    old = Conversation.from_dict(data)
    assert (old.pinned, old.archived, old.title_source) == (False, False, TitleSource.NONE)
    with pytest.raises(FormatError, match="pinned"):
        Conversation.from_dict({**data, "pinned": "yes"})


def test_an_index_of_the_previous_version_is_rebuilt(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    store.prepare()
    conversation = Conversation(title="t", pinned=True)
    conversation.add(Message(Role.USER, "hi"))
    store.save(conversation)
    store.flush_index()
    index = json.loads((tmp_path / "index.json").read_text("utf-8"))
    for entry in index["files"].values():
        del entry["pinned"]
    index["version"] = 1
    (tmp_path / "index.json").write_text(json.dumps(index), "utf-8")
    (listed,) = ConversationStore(tmp_path).list_conversations()
    assert listed.pinned


def test_a_manual_rename_is_recorded(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    store.prepare()
    conversation = Conversation(title="first prompt", title_source=TitleSource.PROMPT)
    conversation.add(Message(Role.USER, "first prompt"))
    store.save(conversation)
    assert store.rename(conversation.id, "Mine").title_source is TitleSource.MANUAL


def test_conversation_settings_over_the_defaults() -> None:
    defaults = Settings(model="gpt-4o-mini", temperature=0.7, max_tokens=None)
    conversation = Conversation()
    assert conversation_settings(conversation, defaults) == defaults
    conversation.model = "gpt-4o"
    conversation.params = {"temperature": 0.2, "max_tokens": 300}
    own = conversation_settings(conversation, defaults)
    assert (own.model, own.temperature, own.max_tokens) == ("gpt-4o", 0.2, 300)
    conversation.params = {"temperature": "hot", "max_tokens": -1}  # edited by hand: ignored
    assert conversation_settings(conversation, defaults).temperature == 0.7
    assert conversation_settings(conversation, defaults).max_tokens is None


def test_details_apply_and_a_new_title_counts_as_a_rename() -> None:
    conversation = Conversation(title="first prompt", title_source=TitleSource.PROMPT)
    details = details_of(conversation)
    assert details == ConversationDetails("first prompt", None, "", None, None)
    assert not apply_details(conversation, details)
    assert (conversation.title, conversation.title_source) == ("first prompt", TitleSource.PROMPT)
    changed = ConversationDetails("Trip \x1b[2J plans", " gpt-4o ", "Be brief.", 0.3, 200)
    assert apply_details(conversation, changed)
    assert conversation.title == "Trip plans"
    assert conversation.title_source is TitleSource.MANUAL
    assert conversation.model == "gpt-4o"
    assert conversation.params == {"temperature": 0.3, "max_tokens": 200}
    assert details_of(conversation).temperature == 0.3
    apply_details(conversation, ConversationDetails("Trip plans", "", "", None, None))
    assert conversation.model is None and conversation.params == {}


def test_parse_param() -> None:
    assert parse_param("temperature", " ") is None
    assert parse_param("temperature", "0.5") == 0.5
    assert parse_param("max_tokens", "1_000") == 1000
    with pytest.raises(ConfigError, match="between 0 and 2"):
        parse_param("temperature", "3")
    with pytest.raises(ConfigError, match="whole number"):
        parse_param("max_tokens", "lots")


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("Proxy setup guide", "Proxy setup guide"),
        ('"Proxy setup guide."', "Proxy setup guide"),
        ("Title: Proxy setup", "Proxy setup"),
        ("“代理设置指南。”\n解释：……", "代理设置指南"),
        ("标题：《代理设置》", "代理设置"),
        ("\n\n  **Bold title**  \n", "Bold title"),
        ("Evil \x1b]0;owned\x07 title", "Evil title"),
        ("", ""),
        ('""', ""),
        ("x" * 100, "x" * 59 + "…"),
    ],
)
def test_clean_title(raw: str, title: str) -> None:
    assert clean_title(raw) == title


def test_wants_a_title_only_after_the_first_complete_reply() -> None:
    conversation = Conversation(title="hello", title_source=TitleSource.PROMPT)
    conversation.add(Message(Role.USER, "hello"))
    assert not wants_title(conversation)
    conversation.add(Message(Role.ASSISTANT, "", status=MessageStatus.ERROR))
    assert not wants_title(conversation)
    conversation.add(Message(Role.ASSISTANT, "Hi!"))  # the retry worked
    assert wants_title(conversation)
    conversation.title_source = TitleSource.MANUAL
    assert not wants_title(conversation)
    conversation.title_source = TitleSource.PROMPT
    conversation.add(Message(Role.USER, "more"))
    conversation.add(Message(Role.ASSISTANT, "more"))
    assert not wants_title(conversation)  # only after the first reply


def test_auto_title_settings(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    assert load_settings(config, environ={}).settings.auto_title is True
    config.write_text('auto_title = false\ntitle_model = "gpt-4o-mini"\n', "utf-8")
    settings = load_settings(config, environ={}).settings
    assert (settings.auto_title, settings.title_model) == (False, "gpt-4o-mini")
    env = {"CHATTUI_AUTO_TITLE": "true"}
    assert load_settings(config, environ=env).settings.auto_title is True
    config.write_text("auto_title = 3\n", "utf-8")
    loaded = load_settings(config, environ={})
    assert loaded.settings.auto_title is True
    assert any("auto_title" in str(w) and "true or false" in str(w) for w in loaded.warnings)


def test_command_line_model_applies_once_to_each_conversation(tmp_path: Path) -> None:
    environ = {"CHATTUI_HOME": str(tmp_path)}
    services = Services.load({"model": "gpt-4.1"}, environ=environ)
    conversation = Conversation(model="gpt-4o")
    services.adopt(conversation)
    assert conversation.model is None  # follows the default: the command line's model
    conversation.model = "o3-mini"  # then picked for it in the details dialog
    services.adopt(conversation)
    assert conversation.model == "o3-mini"
    plain = Services.load(environ=environ)
    kept = Conversation(model="gpt-4o")
    plain.adopt(kept)
    assert kept.model == "gpt-4o"
