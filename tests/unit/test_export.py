"""Export: the branch on screen, Markdown, JSON, self-contained HTML, never the key."""

from __future__ import annotations

import json
import re

from chattui.core.export import (
    REDACTED,
    ExportFormat,
    conversation_markdown,
    conversations_json,
    export_file_name,
    redacted_copy,
)
from chattui.core.export_html import conversations_html
from chattui.core.models import Conversation, Message, MessageStatus, Role

CODE = "Here:\n\n```python\ndef add(a, b):\n    return a + b\n```\n"


def branched() -> Conversation:
    """question -> (old answer -> thanks) | (new answer), the new answer on screen."""
    conversation = Conversation(title="Adding 数字", model="gpt-4o", system_prompt="Be brief.")
    question = conversation.add(Message(Role.USER, "How do I add two numbers?"))
    old = conversation.add(Message(Role.ASSISTANT, "Use +.", model="gpt-4o-mini"))
    conversation.add(Message(Role.USER, "Thanks, old branch"))
    new = Message(Role.ASSISTANT, CODE, parent_id=question.id, model="gpt-4o")
    conversation.add(new)
    assert old.parent_id == question.id
    return conversation


def test_markdown_shows_the_branch_on_screen() -> None:
    conversation = branched()
    assert "Use +." not in conversation_markdown(conversation)
    conversation.current_leaf = conversation.messages[2].id
    text = conversation_markdown(conversation)
    assert "Use +." in text and "Thanks, old branch" in text and "def add" not in text


def test_markdown_title_date_model_roles_code_and_branch() -> None:
    conversation = branched()
    conversation.messages[-1].status = MessageStatus.STOPPED
    text = conversation_markdown(conversation)
    assert text.startswith("# Adding 数字\n\n- Date: ")
    assert re.search(r"^- Date: \d{4}-\d\d-\d\d \d\d:\d\d$", text, re.MULTILINE)
    assert "- Model: gpt-4o\n" in text
    assert "- Branch: the one on screen (2 messages on other branches)" in text
    assert "## System\n\nBe brief.\n" in text
    assert "## User\n\nHow do I add two numbers?\n" in text
    assert "## Assistant (gpt-4o)\n\n" + CODE in text  # the fence is kept as written
    assert "*Stopped before the end.*" in text
    assert "old branch" not in text and "Use +." not in text


def test_json_is_the_file_format() -> None:
    conversation = branched()
    one = json.loads(conversations_json([conversation]))
    assert one == conversation.to_dict()
    assert Conversation.from_dict(one).to_dict() == conversation.to_dict()
    two = json.loads(conversations_json([conversation, Conversation(title="x")]))
    assert isinstance(two, list) and two[0] == one


def test_html_is_self_contained_highlighted_and_escaped() -> None:
    conversation = branched()
    conversation.add(
        Message(
            Role.USER, '<script>alert(1)</script> [x](javascript:alert(2)) <img src="http://e/x">'
        )
    )
    page = conversations_html([conversation])
    assert page.startswith("<!DOCTYPE html>") and "<title>Adding 数字</title>" in page
    assert "<style>" in page and ".hl .k" in page  # the highlighting styles are inline
    assert '<pre class="hl"><code><span class="k">def</span>' in page
    assert "<script" not in page and 'href="javascript' not in page  # shown as text only
    assert "&lt;script&gt;" in page
    # Nothing is loaded from elsewhere.
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "<link" not in page
    assert "old branch" not in page


def test_the_key_is_never_exported() -> None:
    key = "sk-proj-CANARY0123456789abcdef"
    conversation = branched()
    conversation.add(Message(Role.USER, f"my key is {key}, keep it"))
    clean = redacted_copy(conversation, [key, ""])
    assert clean is not conversation and conversation.messages[-1].content.count(key) == 1
    for fmt in ExportFormat:
        text = {
            ExportFormat.MARKDOWN: conversation_markdown(clean),
            ExportFormat.JSON: conversations_json([clean]),
            ExportFormat.HTML: conversations_html([clean]),
        }[fmt]
        assert key not in text and REDACTED in text
    untouched = branched()
    assert redacted_copy(untouched, [key]) is untouched


def test_file_names_are_safe() -> None:
    conversation = Conversation(id="abc123", title="../Tea: 茶/咖啡? *yes*")
    assert export_file_name(conversation, ExportFormat.HTML) == "tea-茶-咖啡-yes-abc123.html"
    assert export_file_name(Conversation(id="x1"), ExportFormat.JSON) == "x1.json"


def test_anything_shaped_like_a_key_is_never_exported_and_json_stays_valid() -> None:
    conversation = Conversation(title="Headers")
    conversation.add(
        Message(
            Role.USER,
            'curl -H "Authorization: Bearer tok3n-0123456789abcdef" '
            '-d key=sk-ant-api03-Zz9Yy8Xx7Ww6Vv5 (a "quoted" \\ word)',
        )
    )
    clean = redacted_copy(conversation, [])
    text = conversations_json([clean])
    assert "tok3n-0123456789abcdef" not in text and "sk-ant-api03" not in text
    assert json.loads(text)["messages"][0]["content"] == (
        f'curl -H "Authorization: Bearer {REDACTED}" -d key={REDACTED} (a "quoted" \\ word)'
    )
