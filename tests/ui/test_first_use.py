"""Bugs a new user met on a first try (issue 12): each test failed before its fix.

The chat pane alone runs in a tiny app; the rest drives the real app against the fake server.
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from chattui.core.models import Message, MessageStatus, Role
from chattui.ui.widgets.chat_log import ChatLog


class LogApp(App[None]):
    """A tiny app with only the chat pane."""

    def compose(self) -> ComposeResult:
        yield ChatLog()


def reply(text: str, status: MessageStatus = MessageStatus.COMPLETE) -> Message:
    return Message(Role.ASSISTANT, text, status=status)


# --------------------------------------------------------------------------- the chat pane


async def test_an_empty_reply_says_so() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation([Message(Role.USER, "say nothing"), reply("")])
        await pilot.pause()
        lines = log.rendered_text().splitlines()
        assert lines[lines.index("Assistant") + 1] == "(empty reply)"
        log.set_conversation([reply("", MessageStatus.STOPPED), reply("x")])
        assert "(empty reply)" not in log.rendered_text()  # stopped says "stopped" instead


async def test_single_newlines_in_a_reply_are_kept() -> None:
    text = "".join(f"Line {n:05}: some words\n" for n in range(998, 1001))
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation([reply(text)])
        await pilot.pause()
        lines = log.rendered_text().splitlines()
        assert lines[1:4] == [f"Line {n:05}: some words" for n in range(998, 1001)]
