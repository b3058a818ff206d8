"""A typist never fires an action by accident: sentences typed with any pane focused, slowly
or in one burst, send no request and change no conversation or config file. The text lands in
the prompt (from the chat log and the sidebar, which take no text) or in the focused box."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from chattui.ui.app import ChatApp
from chattui.ui.main.screen import MainScreen
from tests.apptools import burst, terminal_keys
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    chat_app,
    chat_log,
    main_screen,
    prompt,
    send,
    sidebar,
    wait_for,
)

SENTENCES = [
    "rewrite the intro, please",
    "resize test",
    "after delete, pin it up; archive? no.",
    "Quote: 'copy all' & edit 1 2 3 4 5 6 7 8 9 0 (y/n) [d] {q}",
    "Undo it: u, r, e, d, s, c, q, y, a, p, A, j, k, h, l, i /",
    "代理设置好了吗？请帮我重写一下，谢谢。",
    "Hello World! 你好，世界 — ok",
]
"""English and Chinese, with every letter the old keys used (r e d q c y s u p a A / 1-9)."""


def fingerprint(home: Path) -> dict[str, str]:
    """A hash of every conversation file, the index and the config file."""
    files = [*sorted((home / "data" / "conversations").glob("*")), home / "config" / "config.toml"]
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest() for path in files if path.is_file()
    }


async def focus_log(pilot: Pilot[None]) -> Input | None:
    await pilot.press("ctrl+l")
    return None


async def focus_sidebar(pilot: Pilot[None]) -> Input | None:
    sidebar(chat_app(pilot)).focus()
    await pilot.pause()
    return None


async def focus_filter(pilot: Pilot[None]) -> Input | None:
    main_screen(chat_app(pilot)).action_focus_filter()
    await wait_for(pilot, lambda: isinstance(pilot.app.focused, Input))
    assert isinstance(pilot.app.focused, Input)
    return pilot.app.focused


async def focus_find(pilot: Pilot[None]) -> Input | None:
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(pilot.app.focused, Input))
    assert isinstance(pilot.app.focused, Input)
    return pilot.app.focused


async def focus_prompt(pilot: Pilot[None]) -> Input | None:
    prompt(chat_app(pilot)).focus()
    await pilot.pause()
    return None


PANES: dict[str, Callable[[Pilot[None]], Awaitable[Input | None]]] = {
    "chat log": focus_log,
    "sidebar": focus_sidebar,
    "sidebar filter": focus_filter,
    "find bar": focus_find,
    "prompt": focus_prompt,
}


def typed(app: ChatApp, box: Input | None) -> str:
    """What the focused box holds, or the prompt when the pane takes no text."""
    return box.value if box is not None else prompt(app).text


def landed(app: ChatApp, box: Input | None, sentence: str) -> Callable[[], bool]:
    """Whether ``sentence`` is in the box typed into (for :func:`wait_for`)."""
    return lambda: sentence in typed(app, box)


async def type_slowly(pilot: Pilot[None], text: str) -> None:
    """One key at a time, as a terminal sends it, each handled before the next."""
    for key in terminal_keys(text):
        await burst(pilot, key.character or "")


@pytest.mark.parametrize("speed", ["one key at a time", "one burst"])
@pytest.mark.parametrize("pane", list(PANES))
async def test_typing_sentences_never_fires_an_action(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path, pane: str, speed: str
) -> None:
    fake_server.queue(Reply(text="An answer with a code block:\n\n```py\nx = 1\n```"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "the first question")
        assert main_screen(app).panes.log.has_message(main_screen(app).conversation.branch()[-1].id)
        requests = len(fake_server.chat_requests)
        assert app.services.engine.session.saver.flush(30)
        before = fingerprint(home)
        assert before

        for sentence in SENTENCES:
            box = await PANES[pane](pilot)
            if speed == "one burst":
                await burst(pilot, sentence)
            else:
                await type_slowly(pilot, sentence)
            try:
                await wait_for(pilot, landed(app, box, sentence), timeout=5)
            except AssertionError:
                raise AssertionError(f"{pane}: {typed(app, box)!r} != {sentence!r}") from None
            assert isinstance(app.screen, MainScreen), f"{pane}: a dialog opened"
            if box is not None:
                box.value = ""
            prompt(app).clear()

        assert len(fake_server.chat_requests) == requests, f"{pane}: a request was made"
        assert app.services.engine.session.saver.flush(30)
        assert fingerprint(home) == before, f"{pane}: a file changed"
        assert len(main_screen(app).conversation.messages) == 2
        assert "Assistant ◀" not in chat_log(app).rendered_text()  # nothing regenerated


async def test_a_sentence_typed_in_the_log_then_enter_sends_it_once(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    """Before, ``resize test`` + Enter with the log focused sent two requests (``r`` and
    ``e`` regenerated and edited) and none of the words."""
    fake_server.queue(Reply(text="first"), Reply(text="second"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await pilot.press("ctrl+l")
        await burst(pilot, "resize test\r")
        await wait_for(pilot, lambda: len(fake_server.chat_requests) == 2)
        assert fake_server.chat_requests[-1].last_user_text == "resize test"
        await wait_for(pilot, lambda: not app.services.streaming(main_screen(app).conversation.id))
        assert len(fake_server.chat_requests) == 2
