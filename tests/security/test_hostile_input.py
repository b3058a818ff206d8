"""Hostile input: huge pastes go in whole and are sent whole; markup and escape sequences
from the user are sent verbatim and shown literally, never acted on or passed to the terminal.
"""

from __future__ import annotations

import json
import re
import time

from chattui.core.sanitize import sanitize, sanitize_line
from tests.fakeserver import FakeOpenAI, Reply
from tests.security.helpers import (
    BIG_WINDOW,
    SIZE,
    PtyApp,
    chat_log,
    conversation_files,
    home_dir,
    make_app,
    paste,
    press_now,
    prompt,
    screen_text,
    settle,
    type_keys,
)

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
TYPED = "[bold]x[/] [@click=app.quit]quit[/] [link=file:///etc/passwd]p[/link] [/] [bold"
PASTED = (
    "esc \x1b]0;PWNED\x07 clip \x1b]52;c;UFdORUQ=\x1b\\ cls\x1b[2J cpr\x1b[6n "
    "c1 \x9b6n \x9d0;PWNED\x9c bidi \u202eabc nul\x00 end"
)


def pasted_text(size: int) -> str:
    """``size`` bytes of multi-line text: CJK, tabs, markup, long and blank lines."""
    parts: list[str] = []
    total = n = 0
    while total < size:
        line = f"{n:07d}\tpasted log line, 中文 text, [bold]markup[/] and {'x' * (n % 150)}\n"
        if n % 97 == 0:
            line += "\n"
        parts.append(line)
        total += len(line.encode())
        n += 1
    return "".join(parts)


async def paste_and_send(size: int, server: FakeOpenAI) -> tuple[float, float]:
    """Paste ``size`` bytes, check it all went in, send, check it all went out."""
    text = pasted_text(size)
    server.queue(Reply(text="ok"))  # not the default echo: 250,000 deltas of 4 characters
    app = make_app(server.base_url, env=BIG_WINDOW)
    async with app.run_test(size=SIZE) as pilot:
        start = time.perf_counter()
        await paste(pilot, text)
        pasted = time.perf_counter() - start
        assert prompt(app).text == text
        assert server.chat_requests == []  # a multi-line paste never sends by itself
        start = time.perf_counter()
        await press_now(pilot, "enter")
        await settle(pilot)
        sent = time.perf_counter() - start
        assert prompt(app).text == ""
    body = server.chat_requests[-1].json
    assert body["messages"][-1] == {"role": "user", "content": text}
    saved = json.loads(conversation_files(home_dir())[0].read_text("utf-8"))
    assert saved["messages"][0]["content"] == text
    print(f"{size / 1e6:g} MB: paste {pasted:.1f} s, Enter to reply done {sent:.1f} s")
    return pasted, sent


async def test_a_one_megabyte_paste_is_inserted_and_sent_whole(fake_server: FakeOpenAI) -> None:
    await paste_and_send(1_000_000, fake_server)


async def test_a_five_megabyte_paste_is_inserted_and_sent_whole(fake_server: FakeOpenAI) -> None:
    # The prompt holds all 5 MB; the chat shows the first 20,000 characters and a note.
    await paste_and_send(5_000_000, fake_server)


async def test_markup_and_escapes_from_the_user_are_sent_verbatim_and_shown_literally(
    fake_server: FakeOpenAI,
) -> None:
    app = make_app(fake_server.base_url, env=BIG_WINDOW)
    async with app.run_test(size=SIZE) as pilot:
        await paste(pilot, PASTED)
        await press_now(pilot, "enter")
        await settle(pilot)
        prompt(app).focus()
        await type_keys(pilot, TYPED)
        assert prompt(app).text == TYPED
        await press_now(pilot, "enter")
        await settle(pilot)
        assert app.is_running and app.return_code is None  # [@click=app.quit] did nothing
        rendered = chat_log(app).rendered_text()
        shown = screen_text(app)
    sent = [request.json["messages"][-1]["content"] for request in fake_server.chat_requests]
    assert sent == [PASTED, TYPED]
    assert TYPED in rendered
    assert sanitize(PASTED) in rendered  # the fake server echoes it too: sanitized there
    assert not UNSAFE.search(rendered) and not UNSAFE.search(shown)
    saved = json.loads(conversation_files(home_dir())[0].read_text("utf-8"))
    assert [m["content"] for m in saved["messages"] if m["role"] == "user"] == [PASTED, TYPED]
    assert saved["title"] == sanitize_line(PASTED, 60)  # the sidebar shows the clean title


async def test_a_pasted_lone_surrogate_is_sent_as_a_replacement_character(
    fake_server: FakeOpenAI,
) -> None:
    app = make_app(fake_server.base_url, env=BIG_WINDOW)
    async with app.run_test(size=SIZE) as pilot:
        await paste(pilot, "lone \ud800 surrogate")
        await press_now(pilot, "enter")
        await settle(pilot)
        assert "error" not in chat_log(app).rendered_text()
    assert fake_server.chat_requests[-1].json["messages"][-1]["content"] == "lone \ufffd surrogate"


async def test_the_prompt_never_draws_control_characters(fake_server: FakeOpenAI) -> None:
    app = make_app(fake_server.base_url, env=BIG_WINDOW)
    async with app.run_test(size=SIZE) as pilot:
        await paste(pilot, PASTED)
        box = prompt(app)
        drawn = "\n".join(
            "".join(segment.text for segment in box.render_line(y)) for y in range(box.size.height)
        )
        assert prompt(app).text == PASTED  # kept as typed, to be sent verbatim
    assert "esc ␛]0;PWNED" in drawn  # shown literally, with a visible stand-in for ESC
    assert not UNSAFE.search(drawn), repr(drawn)


# Textual's parser turns the first 32 characters after an ESC inside a bracketed paste into
# key presses, then keeps the ESC and what follows in the pasted text: padding the payload
# gets a whole OSC sequence into the prompt.
PASTE_JACK = (
    "a\x1b" + "x" * 32 + "]52;c;UFdORUQ=\x07 b\x1b" + "y" * 32 + "]0;PWNED-TITLE\x07 ZZPASTEDZZ"
)


def test_a_bracketed_paste_never_reaches_the_terminal_raw(fake_server: FakeOpenAI) -> None:
    env = {
        "CHATTUI_HOME": str(home_dir()),
        "OPENAI_API_KEY": "sk-security-pty-0000111122223333",
        "OPENAI_BASE_URL": fake_server.base_url,
        **BIG_WINDOW,
    }
    fake_server.queue(Reply(text="ZZREPLYZZ"))
    with PtyApp(env, size=(100, 30)) as app:
        assert app.wait_for_text("Type a message", 15)
        app.write(b"\x1b[200~" + PASTE_JACK.encode() + b"\x1b[201~")
        assert app.wait_for_text("ZZPASTEDZZ", 10)
        app.write(b"\r")
        assert app.wait_for_text("ZZREPLYZZ", 15)
        app.write(b"\x11")
        assert app.wait_exit(10) == 0
        output = bytes(app.output)
    # The sequence did reach the prompt (so this test can see a leak) ...
    # (The request with the paste: a title request may follow it, cut off by the exit.)
    sent = next(
        str(request.messages[-1].get("content"))
        for request in fake_server.chat_requests
        if request.messages and "ZZPASTEDZZ" in str(request.messages[-1].get("content"))
    )
    assert "\x1b]52;c;UFdORUQ=\x07" in sent and "\x1b]0;PWNED-TITLE\x07" in sent
    # ... and was never written to the terminal as a sequence.
    assert b"\x1b]52;" not in output and b"\x1b]0;" not in output
