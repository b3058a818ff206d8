"""Saving in the running app: a stopped (or cut by quitting) reply is on disk after the app
ends, a conversation switched back to mid-stream shows the live text the session holds, and a
conversation deleted while its reply streams stays deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from chattui.ui.app import ChatApp
from tests.apptools import chat_log, main_screen
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    conversations_dir,
    only_conversation,
    press_now,
    send,
    settle,
    wait_for,
)

FULL = " ".join(f"word{i}" for i in range(400))


def live_text(app: ChatApp) -> str:
    """The text so far of the reply streaming in the conversation on screen (from the
    session), or ""."""
    session = app.services.engine.session
    live = session.live_reply(main_screen(app).conversation.id)
    if live is None or live.message is None:
        return ""
    return session.live_text(live.message.id) or ""


@pytest.mark.parametrize("how", ["stop then quit", "quit while streaming"])
async def test_a_reply_stopped_or_cut_by_quitting_is_on_disk_after_the_app_ends(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path, how: str
) -> None:
    fake_server.queue(Reply(text=FULL, chunk_size=8, delay=0.01))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "a long one", wait=False)
        await wait_for(pilot, lambda: "word20 " in live_text(app))
        if how == "stop then quit":
            await press_now(pilot, "escape")
        # Leave at once: no settling, the stopped save may still be queued.
    saved = only_conversation(home)
    reply = saved["messages"][-1]
    assert reply["status"] == "stopped"
    assert reply["content"].startswith("word0 word1") and "word20 " in reply["content"]
    assert len(reply["content"]) < len(FULL)


async def test_switching_away_and_back_mid_stream_shows_the_live_text(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text=FULL, chunk_size=8, delay=0.01))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "a long one", wait=False)
        screen = main_screen(app)
        conversation = screen.conversation
        await wait_for(pilot, lambda: "word5 " in live_text(app))
        screen.action_new_conversation()
        await pilot.pause()
        assert screen.conversation is not conversation
        reply = conversation.messages[-1]
        session = app.services.engine.session
        # More text arrives while another conversation is on screen.
        await wait_for(pilot, lambda: "word60 " in (session.live_text(reply.id) or ""))
        screen.conversations.open(conversation.id)
        await pilot.pause()
        assert screen.conversation is conversation
        shown = chat_log(app).rendered_text()
        assert "word60" in shown  # drawn from the session's live text
        assert not hasattr(screen, "_partials")
        await settle(pilot)
        assert "word399" in chat_log(app).rendered_text()  # and it went on streaming here
    assert only_conversation(home)["messages"][-1]["content"] == FULL


async def test_deleting_while_a_reply_streams_keeps_the_file_gone(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text=FULL, chunk_size=8, delay=0.01))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "to be deleted", wait=False)
        screen = main_screen(app)
        conversation_id = screen.conversation.id
        await wait_for(pilot, lambda: "word5 " in live_text(app))
        screen.conversations.delete()
        await pilot.pause()
        assert (conversations_dir(home) / f"{conversation_id}.json").exists()  # undo window
        screen.conversations.delete_now(conversation_id)  # the undo notice expired
        await settle(pilot)
        assert not app.services.engine.session.streaming(conversation_id)
        assert app.services.engine.session.saver.flush(30)
        assert not (conversations_dir(home) / f"{conversation_id}.json").exists()
        assert all(s.id != conversation_id for s in screen.panes.sidebar.summaries)
    assert not (conversations_dir(home) / f"{conversation_id}.json").exists()
