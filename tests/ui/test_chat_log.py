"""ChatLog under Pilot: streaming, following the bottom, resizing, themes, big conversations."""

from __future__ import annotations

import asyncio

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip

from benchmarks import sample_reply as sample
from chattui.core.models import Message, MessageStatus, Role
from chattui.ui.render.palette import CODE_THEME_DARK, CODE_THEME_LIGHT
from chattui.ui.widgets.chat_log import ChatLog


class LogApp(App[None]):
    """A tiny app with only the chat pane."""

    def compose(self) -> ComposeResult:
        yield ChatLog()


def user(text: str) -> Message:
    return Message(Role.USER, text)


def assistant(
    text: str, status: MessageStatus = MessageStatus.COMPLETE, error: str | None = None
) -> Message:
    return Message(Role.ASSISTANT, text, status=status, error=error)


def screen_lines(log: ChatLog) -> list[str]:
    """What the pane shows now, line by line."""
    return [log.render_line(y).text.rstrip() for y in range(log.scrollable_content_region.height)]


def stream_reply(log: ChatLog, text: str, *, size: int = 4, flush_every: int = 50) -> Message:
    """Stream ``text`` into a new reply, flushing now and then like frames would."""
    reply = assistant("", status=MessageStatus.STREAMING)
    log.add_message(reply)
    for count, delta in enumerate(sample.stream_deltas(text, size)):
        log.append_text(reply.id, delta)
        if count % flush_every == 0:
            log.flush()
    log.flush()
    return reply


async def test_streamed_reply_renders_like_a_one_shot_render() -> None:
    text = sample.sample_reply(1500, seed=3)
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        reply = stream_reply(log, text, flush_every=7)
        streamed = log.rendered_text()
        reply.content = text
        reply.status = MessageStatus.COMPLETE
        log.update_message(reply)
        final = log.rendered_text()
        log.set_conversation([reply])
        await pilot.pause()
        assert log.rendered_text() == final == streamed


async def test_deltas_are_rendered_on_the_next_frame_not_per_call() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(ChatLog)
        reply = assistant("", status=MessageStatus.STREAMING)
        log.add_message(reply)
        log.append_text(reply.id, "Hello ")
        log.append_text(reply.id, "world")
        assert "Hello world" not in "\n".join(screen_lines(log))
        log.flush()
        await pilot.pause()
        assert "Hello world" in "\n".join(screen_lines(log))


class CountingLog(ChatLog):
    """Counts the renders of streamed text and signals each one."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0
        self.rendered = asyncio.Event()

    def flush(self) -> None:
        if self._dirty:
            self.frames += 1
            self.rendered.set()
        super().flush()


class CountingApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CountingLog()


async def test_many_deltas_are_coalesced_into_one_frame() -> None:
    app = CountingApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(CountingLog)
        reply = assistant("", status=MessageStatus.STREAMING)
        log.add_message(reply)
        for delta in sample.stream_deltas("Hello world, " * 50 + "the end.", 4):
            log.append_text(reply.id, delta)
        await asyncio.wait_for(log.rendered.wait(), timeout=10)
        await pilot.pause()
        assert log.frames == 1
        assert "the end." in "\n".join(screen_lines(log))


async def test_follows_the_bottom_while_at_the_bottom() -> None:
    text = sample.sample_reply(800, seed=1)
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        log.add_message(user("Write a long answer"))
        reply = assistant("", status=MessageStatus.STREAMING)
        log.add_message(reply)
        for delta in sample.stream_deltas(text, 40):
            log.append_text(reply.id, delta)
            log.flush()
            assert log.is_following
            assert log.scroll_y == log.max_scroll_y
        await pilot.pause()
        assert log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y
        last = [line for line in text.splitlines() if line.strip()][-1]
        assert last.split()[-1].strip("*`.") in "\n".join(screen_lines(log))


async def test_does_not_jump_when_scrolled_up() -> None:
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        log.add_message(user("question"))
        reply = stream_reply(log, sample.sample_reply(400, seed=2))
        await pilot.pause()
        log.scroll_to(y=5, animate=False)
        await pilot.pause()
        before = screen_lines(log)
        assert not log.is_following
        for delta in sample.stream_deltas("\n\nMore text arriving. " * 40, 8):
            log.append_text(reply.id, delta)
            log.flush()
        await pilot.pause()
        assert log.scroll_y == 5
        assert screen_lines(log) == before
        await pilot.press("end")
        assert log.is_following and log.scroll_y == log.max_scroll_y


async def test_resize_rewraps_to_the_new_width() -> None:
    paragraph = "word " * 120
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation([user("hi"), assistant(paragraph)])
        await pilot.pause()
        wide = log.virtual_size.height
        await pilot.resize_terminal(50, 30)
        await pilot.pause()
        assert log.scrollable_content_region.width < 50
        assert log.virtual_size.height > wide
        assert log.is_following
        lines = log.rendered_text().splitlines()
        assert all(cell_len(line) <= log.scrollable_content_region.width for line in lines)
        assert sum(line.count("word") for line in lines) == 120


async def test_a_shorter_pane_keeps_following_the_bottom() -> None:
    app = LogApp()
    async with app.run_test(size=(100, 40)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation([assistant(sample.sample_reply(300))])
        await pilot.pause()
        assert log.is_following and log.max_scroll_y > 0
        await pilot.resize_terminal(100, 20)
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y


async def test_cjk_wraps_by_cell_width() -> None:
    chinese = "如果用户向上滚动，新内容到达时视图不应跳动。" * 8
    app = LogApp()
    async with app.run_test(size=(40, 30)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation([user(chinese), assistant(chinese)])
        await pilot.pause()
        width = log.scrollable_content_region.width
        lines = log.rendered_text().splitlines()
        assert all(cell_len(line) <= width for line in lines)
        cjk = [line.strip() for line in lines if any("\u4e00" <= char <= "\u9fff" for char in line)]
        assert "".join(cjk) == chinese * 2


async def test_rich_markup_in_messages_is_shown_literally() -> None:
    markup = "[bold]x[/] and [@click=app.quit]quit[/] [link=https://evil]y[/link]"
    app = LogApp()
    async with app.run_test(size=(120, 30)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation([user(markup), assistant(markup)])
        await pilot.pause()
        text = log.rendered_text()
        assert text.count(markup) == 2
        for y in range(log.scrollable_content_region.height):
            for segment in log.render_line(y):
                # Only the selection offsets are metadata: no click action, no link.
                style = segment.style
                assert not (style and (set(style.meta) - {"offset"} or style.link))
        assert app.is_running


async def test_escape_sequences_never_reach_the_screen() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(ChatLog)
        reply = assistant("", status=MessageStatus.STREAMING)
        log.add_message(reply)
        for delta in ("red \x1b[31mtext\x1b[0m ", "title\x1b]0;pwned\x07 ", "bye\n"):
            log.append_text(reply.id, delta)
        log.add_notice("notice \x1b[2J")
        await pilot.pause()
        text = log.rendered_text()
        assert "\x1b" not in text and "\x07" not in text
        assert "red text title bye" in text


async def test_statuses_errors_notices_and_system_prompt() -> None:
    messages = [
        user("hello"),
        assistant("partial", status=MessageStatus.STREAMING),
        assistant("half", status=MessageStatus.STOPPED),
        assistant("", status=MessageStatus.ERROR, error="Rate limit reached"),
    ]
    app = LogApp()
    async with app.run_test(size=(100, 40)) as pilot:
        log = app.query_one(ChatLog)
        log.set_error_hint("Ctrl+R retry")
        log.set_conversation(messages, system_prompt="You are terse.\nNever apologise.")
        log.add_notice("3 earlier messages not sent")
        await pilot.pause()
        text = log.rendered_text()
        assert text.splitlines()[0].startswith("System: You are terse. Never apologise.")
        for expected in ("You", "Assistant", "incomplete", "stopped", "3 earlier messages"):
            assert expected in text
        assert "Rate limit reached  Ctrl+R retry" in text
        log.set_error_hint("F5 retry")
        assert "Rate limit reached  F5 retry" in log.rendered_text()
        log.toggle_system_prompt()
        assert "\n  Never apologise." in log.rendered_text()


async def test_live_replies_of_a_reopened_conversation_keep_streaming() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(ChatLog)
        live = assistant("Streaming so", status=MessageStatus.STREAMING)
        stale = assistant("Crashed mid", status=MessageStatus.STREAMING)
        log.set_conversation([stale, live], live_ids=[live.id])
        log.append_text(live.id, "me more.")
        await pilot.pause()
        text = log.rendered_text()
        assert "Streaming some more." in text
        assert text.count("incomplete") == 1 and text.index("incomplete") < text.index("Stream")


async def test_update_and_remove_messages() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(ChatLog)
        question = user("question")
        reply = assistant("", status=MessageStatus.STREAMING)
        log.set_conversation([question])
        log.add_message(reply)
        log.append_text(reply.id, "Partial answ")
        reply.content = "Final **answer**"
        reply.status = MessageStatus.COMPLETE
        log.update_message(reply)
        await pilot.pause()
        text = log.rendered_text()
        assert "Final answer" in text and "Partial" not in text
        log.remove_message(question.id)
        assert "question" not in log.rendered_text()
        log.clear()
        assert log.rendered_text() == "" and log.virtual_size.height == 0


async def test_theme_change_rerenders_with_theme_colours() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation([assistant("```python\nx = 1\n```\n")])
        await pilot.pause()
        assert log._palette is not None and log._palette.code_theme == CODE_THEME_DARK
        dark_line = log.render_line(1)
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        assert log._palette is not None and log._palette.code_theme == CODE_THEME_LIGHT
        assert log.render_line(1).text == dark_line.text
        assert list(log.render_line(1)) != list(dark_line)


async def test_thousand_message_conversation() -> None:
    replies = [sample.sample_reply(60, seed=seed) for seed in range(20)]
    messages: list[Message] = []
    for index in range(500):
        messages.append(user(f"Question number {index}"))
        messages.append(assistant(replies[index % 20] + f"\nEnd of answer {index}.\n"))
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation(messages)
        await pilot.pause()
        assert log.is_following
        assert "End of answer 499." in "\n".join(screen_lines(log))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert log.is_following and log.scroll_y == log.max_scroll_y
        assert "End of answer 499." in "\n".join(screen_lines(log))
        await pilot.press("home")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert log.scroll_y == 0
        assert "Question number 0" in "\n".join(screen_lines(log))


async def test_background_rendering_keeps_the_view_still() -> None:
    replies = [sample.sample_reply(80, seed=seed) for seed in range(10)]
    messages = [assistant(replies[index % 10] + f"\n#{index}\n") for index in range(200)]
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation(messages)
        target = int(log.max_scroll_y * 0.6)
        log.scroll_to(y=target, animate=False)
        await pilot.pause()
        before = screen_lines(log)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen_lines(log) == before


async def test_painted_lines_are_reused_only_while_they_still_hold() -> None:
    """Lines as painted are kept between frames (a stream scrolls the whole view every frame);
    a new stream line, the message cursor, the width and the theme each repaint what changed."""
    app = LogApp()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(ChatLog)
        first = user("question one")
        log.add_message(first)
        reply = stream_reply(log, "answer " * 40)
        await pilot.pause()

        render_line = log.render_line

        def painted() -> list[Strip]:
            """The pane's lines as its render_line gave them to Textual for one paint."""
            given: dict[int, Strip] = {}

            def spy(y: int) -> Strip:
                given[y] = render_line(y)
                return given[y]

            log.render_line = spy  # type: ignore[method-assign]
            try:
                log.refresh()  # every line dirty, as after a scroll
                log.render_lines(Region(0, 0, log.size.width, log.size.height))
            finally:
                del log.render_line
            return [given[y] for y in sorted(given)]

        before = painted()
        again = painted()
        assert all(a is b for a, b in zip(before, again, strict=True))  # reused as they were
        log.append_text(reply.id, " and a brand new ending")
        log.flush()
        after = painted()
        assert "ending" in "".join(strip.text for strip in after)
        reused = sum(a is b for a, b in zip(before, after, strict=True))
        assert 0 < reused < len(after)  # the lines that did not change are painted once

        log.set_cursor(first.id)
        cursor_style = log.get_component_rich_style("chat-log--cursor")
        top = int(log.scroll_y)
        entry = log._layout.get(first.id)
        assert entry is not None
        line = log._layout.offsets[entry.index] - top
        marked = painted()[line]
        assert any(
            segment.style is not None and segment.style.bgcolor == cursor_style.bgcolor
            for segment in marked
        )
        log.set_cursor(None)
        assert not any(
            segment.style is not None and segment.style.bgcolor == cursor_style.bgcolor
            for segment in painted()[line]
        )
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        assert not any(a is b for a, b in zip(after, painted(), strict=True))
