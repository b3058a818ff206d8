"""Acting on messages from the keyboard: the message cursor, copy (through a fake clipboard
tool on PATH), regenerate and alternatives, edit and resend, quote, delete a turn, the menu,
mouse selection, prompt history, drafts, queueing while streaming, the external editor."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from textual.pilot import Pilot

from chattui.ui.screens.dialogs import ConfirmScreen
from chattui.ui.screens.message_menu import MessageMenuScreen
from tests.apptools import palette_titles
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    chat_log,
    main_screen,
    notices,
    only_conversation,
    press_now,
    prompt,
    send,
    settle,
    type_prompt,
    wait_for,
)

CODE_REPLY = (
    "Two blocks:\n\n```python\nprint('one')\n```\n\n"
    "中间的中文段落。\n\n```bash\necho two\necho 2b\n```\n"
)


def fake_tool(tmp_path: Path, name: str = "xclip") -> tuple[dict[str, str], Path]:
    """A clipboard tool on PATH that writes what it is given to a file; the env to find it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    out = tmp_path / "clipboard.txt"
    tool = bin_dir / name
    tool.write_text(f"#!/bin/sh\ncat > '{out}'\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    env = {"DISPLAY": ":99", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return env, out


async def clipboard_gets(pilot: Pilot[None], out: Path, text: str) -> None:
    await wait_for(pilot, lambda: out.exists() and out.read_text("utf-8") == text)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_cursor_moves_over_messages_and_code_blocks_and_copies_code_block_2(
    make_app: MakeApp, fake_server: FakeOpenAI, tmp_path: Path
) -> None:
    env, out = fake_tool(tmp_path)
    fake_server.queue(Reply(text=CODE_REPLY))
    app = make_app(env=env)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "show code")
        log = chat_log(app)
        text = log.rendered_text()
        assert "python · 1" in text and "bash · 2" in text
        await pilot.press("alt+up")
        assert log.has_focus
        assert log.cursor_message is not None and log.cursor_message.role.value == "assistant"
        await pilot.press("down")
        assert log.cursor is not None and log.cursor.code == 1
        await pilot.press("down")
        assert log.cursor.code == 2
        await pilot.press("ctrl+c")  # copies the code block under the cursor: code only
        await clipboard_gets(pilot, out, "echo two\necho 2b")
        assert "Copied code block 2: 2 lines (xclip + terminal)" in notices(app)
        await pilot.press("up", "up", "up")  # to the user message
        assert log.cursor_message is not None and log.cursor_message.content == "show code"
        await main_screen(app).run_action("copy_code(1)")  # code block 1 of the cursor's reply
        await clipboard_gets(pilot, out, "print('one')")


async def test_copy_without_a_tool_uses_the_terminal_only(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(text="just text"))
    app = make_app(env={"PATH": "/nonexistent"})
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await pilot.press("alt+up", "ctrl+c")
        await settle(pilot)
        assert "Copied the reply: 1 line (terminal)" in notices(app)


async def test_copy_conversation_as_markdown(
    make_app: MakeApp, fake_server: FakeOpenAI, tmp_path: Path
) -> None:
    env, out = fake_tool(tmp_path)
    fake_server.queue(Reply(text="```py\nx = 1\n```"))
    app = make_app(env=env)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "a question")
        await pilot.press("alt+up", "alt+y")
        await wait_for(pilot, out.exists)
        markdown = out.read_text("utf-8")
        assert "## You\n\na question" in markdown
        assert "## Assistant (gpt-4o-mini)\n\n```py\nx = 1\n```" in markdown


async def test_regenerate_flip_alternatives_and_next_turn_context(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text="answer one"), Reply(text="answer two"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "question")
        log = chat_log(app)
        await pilot.press("alt+up", "alt+r")
        await settle(pilot)
        text = log.rendered_text()
        assert "Assistant ◀ 2/2 ▶" in text and "answer two" in text
        assert "answer one" not in text
        await pilot.press("left")
        await pilot.pause()
        text = log.rendered_text()
        assert "Assistant ◀ 1/2 ▶" in text and "answer one" in text
        fake_server.queue(Reply(text="third"))
        await send(pilot, "next")
        messages = fake_server.chat_requests[-1].json["messages"]
        assert [m["content"] for m in messages] == ["question", "answer one", "next"]
        saved = only_conversation(home)
        assert len(saved["messages"]) == 5
        assert saved["current_leaf"] == saved["messages"][-1]["id"]


async def test_edit_and_resend_makes_a_branch_shown_with_the_whole_other_branch(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text="a1"), Reply(text="a2"), Reply(text="a2 edited"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "q1")
        await send(pilot, "q2")
        log = chat_log(app)
        await pilot.press("alt+up", "up")  # the last user message
        assert log.cursor_message is not None and log.cursor_message.content == "q2"
        await pilot.press("alt+e")
        box = prompt(app)
        assert box.has_focus and box.text == "q2"
        assert "Editing an earlier message" in str(
            main_screen(app).query_one("#prompt-note").render()
        )
        box.load_text("q2 better")
        await press_now(pilot, "enter")
        await settle(pilot)
        request = fake_server.chat_requests[-1].json["messages"]
        assert [m["content"] for m in request] == ["q1", "a1", "q2 better"]
        text = log.rendered_text()
        assert "You ◀ 2/2 ▶" in text and "a2 edited" in text and "a2\n" not in text
        # The cursor stayed on the turn it acted on (now the new reply): Alt+Up goes to the
        # edited prompt, Left to its previous alternative.
        assert log.cursor_message is not None and log.cursor_message.content == "a2 edited"
        await pilot.press("alt+up", "left")
        await pilot.pause()
        text = log.rendered_text()
        assert "You ◀ 1/2 ▶" in text and "q2" in text and "a2" in text
        assert "q2 better" not in text
        assert len(only_conversation(home)["messages"]) == 6


async def test_escape_leaves_edit_mode_and_gives_back_the_prompt(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(text="a1"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "q1")
        await type_prompt(pilot, "half typed")
        await pilot.press("alt+up", "up", "alt+e")
        assert prompt(app).text == "q1"
        await pilot.press("escape")
        assert prompt(app).text == "half typed"
        assert main_screen(app).drafts.editing is None


async def test_quote_menu_and_delete_turn(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text="line one\nline two"), Reply(text="second"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "q1")
        await send(pilot, "q2")
        log = chat_log(app)
        await pilot.press("alt+up", "up", "up")  # the first reply
        await pilot.press("alt+q")
        assert prompt(app).text == "> line one\n> line two\n\n"
        assert prompt(app).has_focus
        prompt(app).clear()

        await pilot.press("alt+up", "down", "enter")  # the cursor stayed on the first reply
        assert isinstance(app.screen, MessageMenuScreen)
        labels = [action for action, _label, _key in app.screen.actions]
        assert "regenerate" in labels and "delete_turn" in labels
        await pilot.press("escape")

        await pilot.press("down", "alt+d")  # the second user message: delete that turn
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert [m["content"] for m in only_conversation(home)["messages"]] == [
            "q1",
            "line one\nline two",
        ]
        assert "q2" not in log.rendered_text()


async def test_mouse_selection_over_chinese_copies_plain_text(
    make_app: MakeApp, fake_server: FakeOpenAI, tmp_path: Path
) -> None:
    env, out = fake_tool(tmp_path)
    paragraph = "代理服务器需要配置端口和认证方式。" * 8
    fake_server.queue(Reply(text=paragraph))
    app = make_app(env=env)
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, "写一段话")
        log = chat_log(app)
        lines = log.rendered_text().split("\n")
        first = next(i for i, line in enumerate(lines) if line.startswith("代理"))
        top = int(log.scroll_y)
        # Drag from the start of the paragraph's first line to the middle of its second.
        await pilot.mouse_down(log, offset=(1, first - top))
        await pilot.hover(log, offset=(11, first - top + 1))
        await pilot.mouse_up(log, offset=(11, first - top + 1))
        selected = app.screen.get_selected_text()
        assert selected is not None
        # One paragraph the pane wrapped: copied as one line, nothing between the two parts.
        # The pointer on cell 10 is on the 6th wide character, which is included.
        assert selected == lines[first].strip() + lines[first + 1][:6]
        strip = log.render_line(first - top)
        assert any(s.style is not None and s.style.bgcolor for s in strip if s.text.strip())
        await pilot.press("ctrl+c")  # the copy key copies the selection
        await clipboard_gets(pilot, out, selected)


async def test_prompt_history_recall_keeps_the_half_typed_prompt_and_persists(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(text="r1"), Reply(text="r2"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first prompt")
        await pilot.press("ctrl+n")
        await send(pilot, "second prompt")
        await type_prompt(pilot, "half")
        box = prompt(app)
        await pilot.press("up")
        assert box.text == "second prompt"
        await pilot.press("up")
        assert box.text == "first prompt"
        await pilot.press("down", "down")
        assert box.text == "half"
        await settle(pilot)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        box = prompt(app)
        box.clear()
        await pilot.press("up")
        assert box.text == "second prompt"


async def test_drafts_survive_switching_and_restart(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text="r1"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "saved conversation")
        conversation_id = main_screen(app).conversation.id
        await type_prompt(pilot, "draft for the first")
        await pilot.press("ctrl+n")
        assert prompt(app).text == ""
        await type_prompt(pilot, "draft for a new one")
        main_screen(app).conversations.open(conversation_id)
        await pilot.pause()
        assert prompt(app).text == "draft for the first"
        await settle(pilot)
    drafts = json.loads((home / "data" / "drafts.json").read_text("utf-8"))
    assert drafts == {conversation_id: "draft for the first", "": "draft for a new one"}
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert prompt(app).text == "draft for a new one"
        main_screen(app).conversations.open(conversation_id)
        await pilot.pause()
        assert prompt(app).text == "draft for the first"


async def test_prompt_queued_while_streaming_is_sent_when_the_reply_ends(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(
        Reply(text=" ".join(f"w{i}" for i in range(40)), chunk_size=4, delay=0.01),
        Reply(text="answer to the queued one"),
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "long one", wait=False)
        await type_prompt(pilot, "queued question")
        await press_now(pilot, "enter")
        await wait_for(pilot, lambda: "Queued: queued question" in chat_log(app).rendered_text())
        await wait_for(pilot, lambda: len(fake_server.chat_requests) == 2)
        await settle(pilot)
        request = fake_server.chat_requests[1].json["messages"]
        assert request[-1]["content"] == "queued question"
        assert request[-2]["content"].startswith("w0 w1")
        text = chat_log(app).rendered_text()
        assert "answer to the queued one" in text and "Queued" not in text


@pytest.mark.parametrize("variable", ["VISUAL", "EDITOR"])
async def test_external_editor_edits_the_prompt(
    make_app: MakeApp, tmp_path: Path, variable: str
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "%s\\n" "$(cat "$1") 编辑过" > "$1"\n')
    editor.chmod(0o755)
    app = make_app(env={variable: str(editor)})
    async with app.run_test(size=SIZE) as pilot:
        await type_prompt(pilot, "draft")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert prompt(app).text == "draft 编辑过"


async def test_palette_entries_act_on_the_message(
    make_app: MakeApp, fake_server: FakeOpenAI, tmp_path: Path
) -> None:
    env, out = fake_tool(tmp_path)
    fake_server.queue(Reply(text="```sh\nls\n```"), Reply(text="again"))
    app = make_app(env=env)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "q")
        titles = palette_titles(app)
        for title in (
            "Copy message",
            "Copy code block 1 (sh)",
            "Regenerate (keep this one)",
            "Edit and resend (new branch)",
            "Previous alternative",
            "Delete this turn…",
        ):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"Copy code block 1")
        await pilot.pause()
        await pilot.press("enter")
        await clipboard_gets(pilot, out, "ls")
        await pilot.press("ctrl+p")
        await pilot.press(*"Regenerate")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert "Assistant ◀ 2/2 ▶" in chat_log(app).rendered_text()


async def test_regenerate_while_the_reply_streams_says_to_stop_it_first(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(text="first words and more", fault="hang_after_first"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "question", wait=False)
        await wait_for(pilot, lambda: "firs" in chat_log(app).rendered_text())
        await pilot.press("alt+up", "alt+r")  # the cursor on the streaming reply
        assert "This reply is still streaming: stop it first (Esc)." in notices(app)
        assert "There is no reply to regenerate." not in notices(app)
        assert len(fake_server.chat_requests) == 1
        await pilot.press("escape")
        await settle(pilot)


async def test_quote_of_an_empty_reply_says_there_is_nothing_to_quote(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(text=""))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "question")
        await pilot.press("alt+up")  # the cursor on the (empty) reply
        reply = chat_log(app).cursor_message
        assert reply is not None and reply.content == ""
        await pilot.press("alt+q")
        assert prompt(app).text == ""
        assert "Nothing to quote." in notices(app)


async def test_a_selection_joins_what_the_pane_wrapped_and_keeps_real_line_breaks(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    """A paragraph wrapped at the pane's width is copied as it was written: English words
    whole, Chinese without added spaces; a list item and a line break in the text stay; a
    selection ending on the right half of a wide character ends with that character."""
    english = "Proxies are set with the proxies argument of requests " * 3
    chinese = "代理服务器需要配置端口和认证方式。" * 5
    reply = f"{english.strip()}\n\n{chinese}\n\n- item one\n- item two"
    fake_server.queue(Reply(text=reply))
    app = make_app()
    async with app.run_test(size=(60, 30)) as pilot:
        await send(pilot, "写一段话")
        log = chat_log(app)
        lines = log.rendered_text().split("\n")
        top = int(log.scroll_y)
        start = next(i for i, line in enumerate(lines) if line.startswith("Proxies"))
        end = next(i for i, line in enumerate(lines) if "item two" in line)
        await pilot.mouse_down(log, offset=(1, start - top))
        await pilot.hover(log, offset=(20, end - top))
        await pilot.mouse_up(log, offset=(20, end - top))
        selected = app.screen.get_selected_text()
        assert selected is not None
        paragraphs = [english.strip(), "", chinese, "", " • item one", " • item two"]
        assert selected.split("\n") == paragraphs

        # Ending on the right half of the 3rd wide character of a line: up to it, no more.
        second = next(i for i, line in enumerate(lines) if line.startswith("代理")) + 1
        await pilot.mouse_down(log, offset=(1, second - top))
        await pilot.hover(log, offset=(6, second - top))
        await pilot.mouse_up(log, offset=(6, second - top))
        assert app.screen.get_selected_text() == lines[second][:3]
