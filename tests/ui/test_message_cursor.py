"""The message cursor shows where keys act: it appears when the chat log gets the focus, a click
puts it on the message (or code block) clicked while a drag still selects text, and it stays on
the turn through a regenerate. "Drawn" means on the screen as composed, in the cursor's style."""

from __future__ import annotations

from textual import events

from chattui.ui.widgets.chat_log import ChatLog
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    chat_log,
    cursor_lines,
    main_screen,
    press_binding,
    prompt,
    send,
    settle,
    wait_for,
)

CODE_REPLY = "Blocks:\n\n```python\nprint('one')\n```\n\nAnd:\n\n```bash\necho two\n```\n"


def line_of(log: ChatLog, text: str) -> int:
    """The line of the view (0: its top) that starts with ``text``."""
    lines = log.rendered_text().split("\n")
    return next(i for i, line in enumerate(lines) if line.startswith(text)) - int(log.scroll_y)


async def test_focusing_the_log_shows_the_cursor_on_the_last_message(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(text="first answer"), Reply(text="second answer"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "one")
        await send(pilot, "two")
        log = chat_log(app)
        assert log.cursor is None and cursor_lines(app) == []
        await press_binding(pilot, "focus_log")  # Ctrl+L
        await wait_for(pilot, lambda: log.has_focus)
        await pilot.pause()
        last = main_screen(app).conversation.branch()[-1]
        assert log.cursor_message is last
        (drawn,) = cursor_lines(app)
        assert drawn.startswith("Assistant")
        await press_binding(pilot, "cursor_up")  # what keys act on is what is highlighted
        await pilot.pause()
        assert log.cursor_message is not None and log.cursor_message.content == "two"
        assert cursor_lines(app) == ["You"]


async def test_a_click_puts_the_cursor_on_the_message_or_code_block_clicked(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(text=CODE_REPLY), Reply(text="second answer"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "question one")
        await send(pilot, "question two")
        log = chat_log(app)
        assert prompt(app).has_focus
        await pilot.click(log, offset=(4, line_of(log, " question one")))
        assert log.has_focus
        first = main_screen(app).conversation.branch()[0]
        assert log.cursor_message is first and log.cursor is not None and log.cursor.code == 0
        assert cursor_lines(app) == ["You"]
        await pilot.click(log, offset=(4, line_of(log, " echo two")))
        reply = main_screen(app).conversation.branch()[1]
        assert log.cursor_message is reply and log.cursor is not None and log.cursor.code == 2
        assert [line.split()[:3] for line in cursor_lines(app)] == [["bash", "·", "2"]]


async def test_a_drag_selects_text_and_leaves_the_cursor_where_it_was(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(text="a long enough answer to drag over"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "question")
        log = chat_log(app)
        await pilot.click(log, offset=(4, line_of(log, " question")))
        assert log.cursor_message is not None and log.cursor_message.content == "question"
        # As a terminal sends it: down, move, up on the same widget, which the app turns into
        # a Click too (Pilot's mouse_up does not).
        y = log.region.y + line_of(log, "a long enough")
        x = log.content_region.x
        for event in (
            events.MouseDown(None, x, y, 0, 0, 1, False, False, False, x, y),
            events.MouseMove(None, x + 10, y, 10, 0, 1, False, False, False, x + 10, y),
            events.MouseUp(None, x + 10, y, 0, 0, 1, False, False, False, x + 10, y),
        ):
            app.post_message(event)
            await pilot.pause()
        assert app.screen.get_selected_text() == "a long enou"
        assert log.cursor_message is not None and log.cursor_message.content == "question"


async def test_the_cursor_stays_on_the_turn_through_a_regenerate(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(text="answer one"), Reply(text="answer two"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "question")
        log = chat_log(app)
        await press_binding(pilot, "cursor_prompt_up")  # Alt+Up: the reply, the log focused
        assert log.cursor_message is not None and log.cursor_message.content == "answer one"
        await press_binding(pilot, "regenerate")
        await settle(pilot)
        new_reply = main_screen(app).conversation.branch()[-1]
        assert new_reply.content == "answer two"
        assert log.cursor_message is new_reply
        assert [line.split("·")[0].strip() for line in cursor_lines(app)] == ["Assistant ◀ 2/2 ▶"]
