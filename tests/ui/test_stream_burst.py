"""Issue 18: a reply that arrives in one burst (already in the socket when it is read) must
not freeze the screen until its last chunk is processed."""

from __future__ import annotations

import pytest
from textual.message import Message as UIMessage

from benchmarks.sample_reply import sample_reply
from chattui.ui.main import replies
from tests.apptools import chat_log
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import MakeApp, send

TEXT = sample_reply(150).rstrip() + "\n\nThe last line of the burst.\n"
"""~1,000 characters: ~210 deltas of 5, ~45 kB of events written at once: all of it is in
the socket when the app reads it (one read)."""


async def test_a_burst_reply_is_painted_while_it_is_read(
    make_app: MakeApp, fake_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stream gives way to the screen after holding the loop for a frame; a test machine
    # reads this burst in about one frame, so it gives way after every event here.
    monkeypatch.setattr(replies, "FRAME", 0.0, raising=False)
    fake_server.queue(Reply(text=TEXT, chunk_size=5, burst=True))
    heights: list[int] = []
    """The chat log's height each time the loop handled a message with the reply incomplete."""

    def hook(message: UIMessage) -> None:
        screen = app.main_screen
        if screen is None or not screen.is_mounted:
            return
        live = screen.services.live_reply(screen.conversation.id)
        if live is not None and live.message is not None and 0 < len(live.text()) < len(TEXT):
            heights.append(chat_log(app).virtual_size.height)

    app = make_app()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await send(pilot, "All of it at once, please.")
        assert "The last line of the burst." in chat_log(app).rendered_text()
    # The loop ran while the reply was read, and the log grew: part of it was painted before
    # the last chunk was processed (before the fix: nothing until the end).
    assert heights and max(heights) > heights[0]
