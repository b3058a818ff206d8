"""Network faults seen from the app: the UI stays responsive during a hang, the reply fails in
bounded time with its partial text kept, nothing is retried behind the user's back, and a
retry works once the fault is gone."""

from __future__ import annotations

import time

from chattui.core.models import MessageStatus
from tests.fakeserver import FakeOpenAI, Reply
from tests.proxies import HttpProxy
from tests.ui.conftest import (
    MakeApp,
    chat_log,
    main_screen,
    press_now,
    prompt,
    send,
    settle,
    status_text,
    type_prompt,
    wait_for,
)

SIZE = (120, 36)


async def test_hang_after_first_chunk_stays_responsive_and_fails_in_bounded_time(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    app = make_app(env={"CHATTUI_TIMEOUT": "2"})
    fake_server.queue(
        Reply(text="first words then silence", chunk_size=11, fault="hang_after_first")
    )
    async with app.run_test(size=SIZE) as pilot:
        started = time.monotonic()
        await send(pilot, "are you there?", wait=False)
        await wait_for(pilot, lambda: "first words" in chat_log(app).rendered_text())
        # While the server hangs, the prompt still takes input.
        await type_prompt(pilot, "typing while it hangs")
        assert prompt(app).text == "typing while it hangs"
        await settle(pilot)
        elapsed = time.monotonic() - started
        text = chat_log(app).rendered_text()
        assert "first words" in text and "sent nothing more" in text
        assert elapsed < 15  # our read timeout (2 s), not the SDK's 600 s
        reply = main_screen(app).conversation.messages[-1]
        assert reply.status is MessageStatus.ERROR and reply.content.startswith("first words")
        assert len(fake_server.chat_requests) == 1  # no retry behind the user's back

        fake_server.queue(Reply(text="all good now"))
        prompt(app).clear()
        await press_now(pilot, "ctrl+r")
        await settle(pilot)
        assert "all good now" in chat_log(app).rendered_text()
        assert len(fake_server.chat_requests) == 2


async def test_wrong_key_is_sent_once(make_app: MakeApp, fake_server: FakeOpenAI) -> None:
    fake_server.api_key = "sk-the-right-key-000000"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        assert "API key was rejected" in chat_log(app).rendered_text()
        assert len(fake_server.chat_requests) == 1
        assert "error" in status_text(app)


async def test_proxy_down_then_back(make_app: MakeApp, fake_server: FakeOpenAI) -> None:
    with HttpProxy() as proxy:
        port = proxy.port
    # The proxy is gone now: its port refuses connections.
    app = make_app(env={"CHATTUI_PROXY": f"http://127.0.0.1:{port}"})
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "through a dead proxy")
        text = chat_log(app).rendered_text()
        assert f"Cannot connect through the proxy http://127.0.0.1:{port}" in text
        assert fake_server.chat_requests == []
        with HttpProxy() as live:
            settings = app.services.settings
            app.services.update(type(settings)(**{**settings.__dict__, "proxy": live.url}))
            fake_server.queue(Reply(text="through the live proxy"))
            await press_now(pilot, "ctrl+r")
            await settle(pilot)
            assert "through the live proxy" in chat_log(app).rendered_text()
            assert f"127.0.0.1:{fake_server.port}" in live.targets
