"""Import: the ChatGPT export sample (branches, non-text parts, Chinese), our JSON, zips,
duplicates, malformed files (nothing partial) and a disk failing half-way (rolled back)."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chattui.core import atomic
from chattui.core.export import conversations_json
from chattui.core.importer import ImportError_, import_conversations, import_files, read_import_file
from chattui.core.models import Conversation, Message, MessageStatus, Role, TitleSource
from chattui.core.storage import ConversationStore, StorageError
from tests.reliability.test_disk import _FullDiskOs

SAMPLE = Path(__file__).parent.parent / "data" / "chatgpt" / "conversations.json"
PROXY_ID = "chatgpt-6631f2a0-1c2b-8000-9a4e-3f1d2c5b7a10"
SALES_ID = "chatgpt-6631f7b3-55aa-8000-b2c1-0d9e8f7a6b5c"
QUANTUM_ID = "chatgpt-66320a11-9f00-8000-aa55-77e0c4d3b2a1"


def sample() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(SAMPLE.read_text("utf-8"))
    return data


def parsed_sample() -> dict[str, Conversation]:
    return {c.id: c for c in read_import_file(SAMPLE).conversations}


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    store = ConversationStore(tmp_path / "conversations")
    store.prepare()
    return store


def stored_files(store: ConversationStore) -> list[str]:
    return sorted(p.name for p in store.directory.glob("*.json") if p.name != "index.json")


def test_chatgpt_titles_times_and_every_branch() -> None:
    conversations = parsed_sample()
    assert set(conversations) == {
        PROXY_ID,
        SALES_ID,
        QUANTUM_ID,
        "chatgpt-66320b22-0000-8000-8000-000000000000",
    }
    proxy = conversations[PROXY_ID]
    assert proxy.title == "Python requests 代理设置"
    assert (proxy.created, proxy.updated) == (1714546800.0, 1714546886.0)
    # Every branch: two answers to the first question, an edited first question, replies
    # under both answers: 9 visible messages; the system and hidden context nodes are gone.
    assert len(proxy.messages) == 9
    assert {m.role for m in proxy.messages} == {Role.USER, Role.ASSISTANT}
    by_id = {m.id: m for m in proxy.messages}
    roots = [m for m in proxy.messages if m.parent_id is None]
    assert sorted(m.content for m in roots) == [
        "How do I set a proxy for requests in Python?",
        "如何在 Python 里给 requests 设置代理？",
    ]
    first = next(m for m in roots if m.content.startswith("如何"))
    answers = [m for m in proxy.messages if m.parent_id == first.id]
    assert len(answers) == 2 and all(m.model == "gpt-4o" for m in answers)
    # Parents always come before their children in the list.
    positions = {m.id: i for i, m in enumerate(proxy.messages)}
    assert all(positions[m.parent_id] < positions[m.id] for m in proxy.messages if m.parent_id)
    # current_node is the branch on screen: question, second answer, follow-up, its answer.
    assert proxy.current_leaf == "e1e2f3a4-0008-4c1e-8000-000000000008"
    # Alternatives in time order, as ChatGPT numbers them: the original prompt first.
    assert [m.content[:6] for m in proxy.alternatives(first)] == ["如何在 Py", "How do"]
    branch = proxy.branch()
    assert [m.content[:6] for m in branch] == ["如何在 Py", "有两种常见做", "那 SOCK", "先安装 `r"]
    assert by_id["c3e2f3a4-0012-4c1e-8000-000000000012"].model == "gpt-4o-mini"
    # What is sent next continues the branch that was on screen.
    assert proxy.add(Message(Role.USER, "还有别的方法吗？")).parent_id == branch[-1].id


def test_chatgpt_non_text_parts_leave_notes_and_hidden_content_is_left_out() -> None:
    sales = parsed_sample()[SALES_ID]
    assert [m.role for m in sales.messages] == [Role.USER, Role.ASSISTANT] * 2
    question = sales.messages[0].content
    assert question.startswith("Here is a screenshot of last year's chart")
    assert question.endswith("[Not imported: image, file “sales_2024.csv”]")
    # The tool call and its output (a separate node) are noted in the reply that follows.
    reply = sales.messages[1].content
    assert reply.startswith("[Not imported: tool call, tool output]\n\n")
    assert "| Jan | 12,000 |" in reply
    assert "pandas" not in json.dumps(sales.to_dict())  # the code sent to the tool is gone
    assert sales.messages[1].parent_id == sales.messages[0].id  # joined over skipped nodes
    assert sales.current_leaf == sales.messages[-1].id
    assert sales.archived and not parsed_sample()[PROXY_ID].archived  # is_archived is kept
    assert sales.title_source is TitleSource.AUTO  # ChatGPT named it: no new title asked for

    quantum = parsed_sample()[QUANTUM_ID]
    user, answer = quantum.messages
    assert user.content == "用三句话解释量子纠缠。\n\n[Not imported: audio]"  # voice transcript
    assert answer.content.startswith("两个粒子纠缠后")
    assert "Planning" not in answer.content and "已思考" not in answer.content
    assert answer.status is MessageStatus.STOPPED  # finished_partial_completion
    assert answer.created == user.created  # no create_time: the parent's
    assert quantum.updated == quantum.created  # update_time null


def test_import_counts_and_no_duplicates_on_reimport(store: ConversationStore) -> None:
    report = import_files(store, [SAMPLE])
    assert (report.conversations, report.messages, report.duplicates) == (3, 15, 0)
    assert (report.empty, report.skipped_parts, report.errors) == (1, 7, [])
    assert report.summary().startswith("Imported 3 conversations (15 messages)")
    files = stored_files(store)
    assert len(files) == 3
    titles = {s.title for s in store.list_conversations()}
    assert titles == {"Python requests 代理设置", "Sales trend from CSV", "量子纠缠 三句话"}

    again = import_files(store, [SAMPLE])
    assert (again.conversations, again.messages, again.duplicates) == (0, 0, 3)
    assert again.skipped_parts == 0
    assert stored_files(store) == files


def test_zip_export_is_read(tmp_path: Path, store: ConversationStore) -> None:
    archive = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("chat.html", "<html></html>")
        handle.write(SAMPLE, "conversations.json")
        handle.writestr("file-Qm3x9TzY1bV7-screenshot.png", b"\x89PNG")
    report = import_files(store, [archive])
    assert (report.conversations, report.messages, report.errors) == (3, 15, [])


def test_our_json_round_trips_exactly(store: ConversationStore, tmp_path: Path) -> None:
    conversation = Conversation(title="Round trip «ok»", model="gpt-4o", system_prompt="Be brief.")
    conversation.params["temperature"] = 0.3
    conversation.add(Message(Role.USER, "Hi\n```py\nprint('x')\n```"))
    reply = conversation.add(Message(Role.ASSISTANT, "Hello 你好", model="gpt-4o"))
    reply.status = MessageStatus.STOPPED
    store.save(conversation)
    original = store.path_for(conversation.id).read_bytes()
    exported = tmp_path / "one.json"
    exported.write_text(conversations_json([store.load(conversation.id)]), "utf-8")
    store.delete(conversation.id)

    report = import_files(store, [exported])
    assert (report.conversations, report.messages, report.errors) == (1, 2, [])
    assert store.path_for(conversation.id).read_bytes() == original
    assert import_files(store, [exported]).duplicates == 1


def test_several_of_ours_in_one_list(store: ConversationStore, tmp_path: Path) -> None:
    first, second = Conversation(title="a"), Conversation(title="b")
    for item in (first, second):
        item.add(Message(Role.USER, item.title))
    path = tmp_path / "two.json"
    path.write_text(conversations_json([first, second]), "utf-8")
    assert import_files(store, [path]).conversations == 2


def broken(mutate: Any) -> list[dict[str, Any]]:
    data = copy.deepcopy(sample())
    mutate(data)
    return data


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    target[key] = value


NODE = "d1e2f3a4-0007-4c1e-8000-000000000007"
MALFORMED = {
    "missing parent": (
        lambda d: _set(d[2]["mapping"][NODE], "parent", "no-such-node"),
        "conversation 3 (“Python requests 代理设置”): node 'd1e2f3a4-0007-4c1e-8000-"
        "000000000007' has parent 'no-such-node', which is not there",
    ),
    "loop": (
        lambda d: _set(d[2]["mapping"]["aaa1c0de-0001-4c1e-8000-000000000001"], "parent", NODE),
        "a loop",
    ),
    "mapping not an object": (lambda d: _set(d[1], "mapping", []), "'mapping' is not an object"),
    "parts not a list": (
        lambda d: _set(d[2]["mapping"][NODE]["message"]["content"], "parts", "text"),
        "'parts' is not a list",
    ),
    "no id": (lambda d: d[0].pop("conversation_id") and d[0].pop("id"), "'conversation_id'"),
    "unknown item": (lambda d: d.append({"hello": 1}), "conversation 5: neither a chattui"),
    "bad time": (lambda d: _set(d[0], "create_time", "yesterday"), "'create_time' is not a"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_export_imports_nothing(
    case: str, tmp_path: Path, store: ConversationStore
) -> None:
    mutate, expected = MALFORMED[case]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(broken(mutate), ensure_ascii=False), "utf-8")
    report = import_files(store, [path])
    assert report.conversations == 0 and len(report.errors) == 1
    assert report.errors[0].text().startswith(f"{path}: ")
    assert expected in report.errors[0].text()
    assert stored_files(store) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'[{"title": "x", "mapping": {}', "not valid JSON (line 1, column 30"),
        (b"\xff\xfe\x00bad", "not a text file (not UTF-8)"),
        (b'"just a string"', "neither a chattui conversation"),
        (b'{"schema": 99, "id": "a"}', "unsupported schema 99"),
        (b'{"schema": 1, "id": "../../etc/passwd"}', "is not a plain id"),
    ],
)
def test_unreadable_files(
    content: bytes, expected: str, tmp_path: Path, store: ConversationStore
) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(content)
    with pytest.raises(ImportError_, match="^" + str(path)) as caught:
        read_import_file(path)
    assert expected in str(caught.value)


def test_zip_without_conversations_and_missing_file(tmp_path: Path) -> None:
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("a.png", b"png")
    with pytest.raises(ImportError_, match=r"holds no conversations\.json"):
        read_import_file(archive)
    with pytest.raises(ImportError_, match="no such file"):
        read_import_file(tmp_path / "nope.json")


def test_a_bad_file_does_not_stop_the_good_ones(tmp_path: Path, store: ConversationStore) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", "utf-8")
    report = import_files(store, [bad, SAMPLE])
    assert report.conversations == 3 and len(report.errors) == 1
    assert report.errors[0].text().startswith(f"{bad}: conversation 1: neither")


def test_disk_failing_half_way_leaves_nothing(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = read_import_file(SAMPLE)
    fake_os = _FullDiskOs(store.directory, allowed=1)
    monkeypatch.setattr(atomic, "os", fake_os)
    with pytest.raises(StorageError, match="No space left"):
        import_conversations(store, parsed)
    assert fake_os.refused == 1
    assert stored_files(store) == []  # the one written before the failure was removed
    monkeypatch.undo()
    assert import_conversations(store, parsed).conversations == 3


def test_import_problems_are_data_worded_in_the_users_language(tmp_path: Path) -> None:
    from chattui.i18n import _, set_language

    bad = tmp_path / "bad.json"
    bad.write_text('[{"title": "x"}]', "utf-8")
    report = import_files(ConversationStore(tmp_path / "store"), [bad])
    (problem,) = report.errors
    assert problem.code == "import.bad_item"
    set_language("zh")
    try:
        assert problem.text(_) == (
            f"{bad}：第 1 个对话（“x”）：既不是 chattui 对话（没有 'schema'），"
            "也不是 ChatGPT 导出的对话（没有 'mapping'）"
        )
    finally:
        set_language("en")


def test_why_an_item_is_malformed_is_worded_in_the_users_language(
    tmp_path: Path, store: ConversationStore
) -> None:
    """The detail of a malformed item is a problem too, not English built into a string."""
    from chattui.i18n import _, set_language

    mutate, _expected = MALFORMED["parts not a list"]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(broken(mutate), ensure_ascii=False), "utf-8")
    [error] = import_files(store, [path]).errors
    set_language("zh")
    try:
        text = error.text(_)
    finally:
        set_language("en")
    assert "'parts' 不是列表" in text and "节点" in text
    assert "is not" not in text and "node" not in text


def test_chatgpt_default_model_slug_names_replies_without_their_own() -> None:
    """Replies with no ``model_slug`` take the conversation's ``default_model_slug``, so the
    log and a Markdown export name the model."""
    from chattui.core.chatgpt import chatgpt_conversation
    from chattui.core.export import conversation_markdown

    item = next(c for c in sample() if f"chatgpt-{c['conversation_id']}" == QUANTUM_ID)
    for node in item["mapping"].values():
        if node.get("message"):
            node["message"].get("metadata", {}).pop("model_slug", None)
    item["default_model_slug"] = "o3-mini"
    conversation, _ = chatgpt_conversation(item)
    user, answer = conversation.messages
    assert (user.model, answer.model) == (None, "o3-mini")
    assert "- Model: o3-mini" in conversation_markdown(conversation)
