"""Full-text search: query parsing, the index kept in step with the store, and its recovery
from a missing, damaged, outdated or stale index file. The index is a real SQLite file and the
conversations real JSON files written by the real store."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chattui.core.models import Conversation, Message, MessageStatus, Role
from chattui.core.search import INDEX_NAME, SearchIndex
from chattui.core.search_text import find_hits, index_text, parse_query, snippet
from chattui.core.storage import ConversationStore

# --------------------------------------------------------------------------- text


def test_index_text_holds_words_and_cjk_characters_and_pairs() -> None:
    tokens = set(index_text("我们用代理 Go Proxy 42").split())
    assert {"我", "代", "理", "代理", "用代", "我们"} <= tokens
    assert {"Go", "Proxy", "42"} <= tokens
    assert "我们用代理" not in tokens and "代理Go" not in tokens
    assert index_text("plain English") == "plain English"  # no CJK: the text as it is


def test_query_finds_words_by_prefix_and_cjk_by_pairs() -> None:
    query = parse_query('代理服务 server "proxy setup" go')
    assert query.terms == ("代理服务", "server", "proxy setup", "go")
    assert query.match == (
        '"代理" AND "理服" AND "服务" AND "server"* AND "proxy"* AND "setup"* AND "go"*'
    )
    assert parse_query("猫").match == '"猫"'
    assert parse_query("？！").match == ""  # nothing the index holds: every block is a candidate


def test_latin_terms_match_word_beginnings_cjk_anywhere() -> None:
    query = parse_query("go")
    assert query.matches("Go is fine") and query.matches("let's google it")
    assert not query.matches("a while ago")
    assert parse_query("代理").matches("这是代理服务器")
    assert parse_query("ago").matches("a while ago")
    assert not parse_query("roxy").matches("a proxy")  # the index finds word beginnings
    pattern = parse_query("roxy").pattern
    assert pattern is not None and pattern.search("a proxy")  # F4 still finds it anywhere


def test_a_query_needs_every_term() -> None:
    query = parse_query("proxy 代理")
    assert query.matches("设置 HTTPS proxy 代理")
    assert not query.matches("only a proxy here")


def test_snippet_centres_on_the_match_and_spans_point_at_it() -> None:
    text = "word " * 60 + "the 代理 line\nnext line " + "tail " * 40
    excerpt, spans = snippet(text, parse_query("代理").pattern, width=60)
    assert excerpt.startswith("…") and excerpt.endswith("…") and "\n" not in excerpt
    assert [excerpt[a:b] for a, b in spans] == ["代理"]


def test_find_hits_counts_every_match_per_message() -> None:
    texts = [("a", "proxy and PROXY"), ("b", "nothing"), ("c", "a proxy")]
    assert find_hits(texts, parse_query("proxy").pattern) == [("a", 0), ("a", 1), ("c", 0)]


# --------------------------------------------------------------------------- the index


def conversation(title: str, *texts: str) -> Conversation:
    conv = Conversation(title=title)
    for number, text in enumerate(texts):
        conv.add(Message(Role.USER if number % 2 == 0 else Role.ASSISTANT, text))
    return conv


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    store = ConversationStore(tmp_path / "data" / "conversations")
    store.prepare()
    return store


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / INDEX_NAME


@pytest.fixture
def index(store: ConversationStore, index_path: Path) -> Iterator[SearchIndex]:
    index = open_index(store, index_path)
    yield index
    index.close()


def open_index(store: ConversationStore, path: Path) -> SearchIndex:
    index = SearchIndex(path, store.directory)
    store.listeners.append(index)
    index.start()
    assert index.wait_idle(30)
    return index


def found(index: SearchIndex, text: str) -> list[tuple[str, str | None]]:
    """(conversation id, message id) of every hit."""
    assert index.wait_idle(30)
    return [(hit.conversation_id, hit.message_id) for hit in index.search(text).hits]


def test_saved_conversations_are_found_in_english_and_chinese(
    store: ConversationStore, index: SearchIndex
) -> None:
    proxy = conversation(
        "Proxy setup", "怎么配置代理服务器？", "Set HTTPS_PROXY for the Go client."
    )
    weather = conversation("闲聊", "今天天气不错", "是的，适合出去走走 a while ago。")
    store.save(proxy)
    store.save(weather)
    first, second = (m.id for m in proxy.messages)
    assert found(index, "代理") == [(proxy.id, first)]  # two characters
    assert found(index, "代理服务") == [(proxy.id, first)]  # trigram
    assert found(index, "https_proxy") == [(proxy.id, second)]  # case-insensitive
    assert found(index, "go") == [(proxy.id, second)]  # word beginning: not "ago"
    assert found(index, "天") == [(weather.id, weather.messages[0].id)]
    assert found(index, "setup") == [(proxy.id, None)]  # the title
    assert found(index, "nowhere") == []
    hit = index.search("代理").hits[0]
    assert hit.title == "Proxy setup" and hit.role == "user"
    assert [hit.snippet[a:b] for a, b in hit.spans] == ["代理"]


def test_updates_renames_and_deletes_reach_the_index(
    store: ConversationStore, index: SearchIndex
) -> None:
    conv = conversation("Old title", "first draft about kittens")
    store.save(conv)
    assert found(index, "kittens") == [(conv.id, conv.messages[0].id)]
    conv.messages[0].content = "second draft about puppies"
    conv.add(Message(Role.ASSISTANT, "回复：小狗"))
    store.save(conv)
    assert found(index, "kittens") == []
    assert found(index, "puppies") == [(conv.id, conv.messages[0].id)]
    assert found(index, "小狗") == [(conv.id, conv.messages[1].id)]
    store.rename(conv.id, "Brand new name")
    assert found(index, "Old title") == []
    assert found(index, "brand new") == [(conv.id, None)]
    store.delete(conv.id)
    assert found(index, "puppies") == [] and found(index, "小狗") == []


def test_saves_are_queued_not_indexed_on_the_saving_thread(
    store: ConversationStore, index_path: Path
) -> None:
    index = SearchIndex(index_path, store.directory)
    store.listeners.append(index)
    conv = conversation("t", "queued words")
    store.save(conv)  # the writer is not running: nothing can have been indexed
    assert not index_path.exists()
    index.start()
    try:
        assert found(index, "queued") == [(conv.id, conv.messages[0].id)]
    finally:
        index.close()


def test_deleting_the_index_file_loses_nothing(store: ConversationStore, index_path: Path) -> None:
    conv = conversation("Notes", "the 代理 settings", "more text")
    store.save(conv)
    open_index(store, index_path).close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index_path}{suffix}").unlink(missing_ok=True)
    index = open_index(ConversationStore(store.directory), index_path)
    try:
        assert found(index, "代理") == [(conv.id, conv.messages[0].id)]
    finally:
        index.close()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b"this is not a database" * 100), id="garbage"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:3000]), id="truncated"),
    ],
)
def test_a_damaged_index_file_is_rebuilt(
    store: ConversationStore, index_path: Path, damage: Callable[[Path], object]
) -> None:
    conv = conversation("Notes", "findable words here")
    store.save(conv)
    index = open_index(store, index_path)
    index.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{index_path}{suffix}").unlink(missing_ok=True)
    damage(index_path)
    index = open_index(ConversationStore(store.directory), index_path)
    try:
        assert found(index, "findable") == [(conv.id, conv.messages[0].id)]
        assert index.status.error is None
    finally:
        index.close()


def test_an_index_of_another_schema_is_rebuilt(store: ConversationStore, index_path: Path) -> None:
    conv = conversation("Notes", "versioned words")
    store.save(conv)
    open_index(store, index_path).close()
    with sqlite3.connect(index_path) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
        db.execute("DELETE FROM blocks")  # what an old layout would not have
    db.close()
    index = open_index(ConversationStore(store.directory), index_path)
    try:
        assert found(index, "versioned") == [(conv.id, conv.messages[0].id)]
    finally:
        index.close()


def test_files_changed_while_the_index_was_closed_are_synced(
    store: ConversationStore, index_path: Path
) -> None:
    kept = conversation("Kept", "unchanged words")
    edited = conversation("Edited", "before the edit")
    removed = conversation("Removed", "soon gone words")
    for conv in (kept, edited, removed):
        store.save(conv)
    open_index(store, index_path).close()
    other = ConversationStore(store.directory)  # another instance: no index listening
    added = conversation("Added", "written elsewhere")
    other.save(added)
    edited.messages[0].content = "after the edit"
    other.save(edited)
    other.delete(removed.id)
    index = open_index(ConversationStore(store.directory), index_path)
    try:
        assert found(index, "elsewhere") == [(added.id, added.messages[0].id)]
        assert found(index, "after the edit") == [(edited.id, edited.messages[0].id)]
        assert found(index, "before") == []
        assert found(index, "soon gone") == []
        assert found(index, "unchanged") == [(kept.id, kept.messages[0].id)]
    finally:
        index.close()


def test_a_streaming_reply_is_indexed_when_it_ends_or_at_the_next_start(
    store: ConversationStore, index_path: Path
) -> None:
    """Checkpoint saves of a reply do not re-index its growing text each time (quadratic);
    if the app stops before the reply's last save, the next start indexes the file whole."""
    index = open_index(store, index_path)
    conv = conversation("Stream", "tell me about otters")
    reply = Message(Role.ASSISTANT, "otters hold hands", status=MessageStatus.STREAMING)
    conv.add(reply)
    store.save(conv)  # a checkpoint
    assert found(index, "otters") == [(conv.id, conv.messages[0].id)]  # the question only
    index.close()  # the app stops before the reply's last save
    index = open_index(ConversationStore(store.directory), index_path)
    try:
        assert found(index, "hands") == [(conv.id, reply.id)]  # the file was read again
    finally:
        index.close()
    index = open_index(store, index_path)
    try:
        reply.content = "otters hold hands while they sleep"
        store.save(conv)  # still streaming: the old text leaves the index
        assert found(index, "sleep") == [] and found(index, "hands") == []
        reply.status = MessageStatus.COMPLETE
        store.save(conv)  # the last save
        assert found(index, "sleep") == [(conv.id, reply.id)]
    finally:
        index.close()


def test_unreadable_files_are_skipped(store: ConversationStore, index: SearchIndex) -> None:
    good = conversation("Good", "readable 内容")
    store.save(good)
    (store.directory / "broken.json").write_text("{not json")
    (store.directory / "wrong.json").write_text(json.dumps({"schema": 99}))
    index.sync()
    assert found(index, "内容") == [(good.id, good.messages[0].id)]
    assert index.status.error is None
    assert (store.directory / "broken.json").exists()  # the store, not the index, handles it


def test_the_newest_hits_come_first_and_the_limit_is_reported(
    store: ConversationStore, index: SearchIndex
) -> None:
    convs = [conversation(f"c{n}", f"common word number {n}") for n in range(5)]
    for number, conv in enumerate(convs):
        conv.updated = 1000.0 + number
        store.save(conv)
    assert index.wait_idle(30)
    result = index.search("common", limit=3)
    assert [hit.conversation_id for hit in result.hits] == [c.id for c in convs[:1:-1]]
    assert not result.complete
    assert index.search("common").complete


def test_punctuation_only_queries_still_work(store: ConversationStore, index: SearchIndex) -> None:
    conv = conversation("t", "真的吗？！")
    store.save(conv)
    assert found(index, "？！") == [(conv.id, conv.messages[0].id)]
    assert found(index, "%") == []  # LIKE wildcards are escaped


def test_the_index_is_private_to_the_user(
    store: ConversationStore, index: SearchIndex, index_path: Path
) -> None:
    store.save(conversation("secret", "private words"))
    assert found(index, "private")
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{index_path}{suffix}")
        if path.exists():
            assert path.stat().st_mode & 0o777 == 0o600, path.name
    assert index_path.parent.stat().st_mode & 0o777 == 0o700


def test_a_rebuild_finds_the_newest_files_first(store: ConversationStore, index_path: Path) -> None:
    convs = [conversation(f"c{n}", f"shared word {n}") for n in range(7)]
    for number, conv in enumerate(convs):
        conv.updated = 1000.0 + number
        store.save(conv)
        path = store.path_for(conv.id)
        os.utime(path, ns=(10**18 + number, 10**18 + number))  # file age follows the number
    index = open_index(ConversationStore(store.directory), index_path)
    try:
        result = index.search("shared", limit=3)
        assert [hit.conversation_id for hit in result.hits] == [c.id for c in convs[:3:-1]]
    finally:
        index.close()


def test_deleting_the_index_while_it_runs_rebuilds_it(
    store: ConversationStore, index: SearchIndex, index_path: Path
) -> None:
    """Someone clears the cache while the app runs: search notices the file gone, has it
    made again, and finds what exists (not "no match" until a restart)."""
    conv = conversation("Notes", "the 代理 settings", "more text")
    store.save(conv)
    assert index.wait_idle(30)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index_path}{suffix}").unlink(missing_ok=True)
    index.search("代理")  # notices it (no results yet: the file is being made again)
    assert found(index, "代理") == [(conv.id, conv.messages[0].id)]
    assert index_path.exists()
    later = conversation("Later", "written after the rebuild")
    store.save(later)
    assert found(index, "rebuild") == [(later.id, later.messages[0].id)]


def test_an_index_deleted_while_it_runs_is_made_again_by_a_sync(
    store: ConversationStore, index: SearchIndex, index_path: Path
) -> None:
    """Opening search (a sync) notices the file replaced and brings it up to date."""
    conv = conversation("Notes", "findable words here")
    store.save(conv)
    assert found(index, "findable")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index_path}{suffix}").unlink(missing_ok=True)
    index.sync()  # what opening the search screen does
    assert found(index, "findable") == [(conv.id, conv.messages[0].id)]
    assert index_path.exists()  # made again: the next start finds it whole
    with sqlite3.connect(index_path) as db:
        assert db.execute("SELECT count(*) FROM conversations").fetchone() == (1,)
    db.close()
