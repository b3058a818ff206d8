"""Hostile model output: nothing the model sends reaches the terminal raw, markup is shown
literally and never acted on, nothing crashes, and the history stays valid JSON.

The pseudo-terminal tests run the real ``python -m chattui`` against a loopback server and
read every byte the app writes; the in-process tests look at the rendered chat and the
styles on screen.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chattui.core.sanitize import clean_surrogates
from chattui.core.storage import ConversationStore
from tests.security.helpers import (
    BIG_WINDOW,
    SIZE,
    PtyApp,
    ScriptedServer,
    SSEReply,
    chat_log,
    conversation_files,
    home_dir,
    line_meta,
    make_app,
    screen_text,
    send,
    status_text,
    visible,
)

CLIP = base64.b64encode(b"PWNED-CLIPBOARD rm -rf ~").decode()
END = "ZZENDZZ"
BIG_END = "ZZBIGENDZZ"

# One delta per item (a server may split anywhere; the renderer sanitizes what it has).
HOSTILE: list[str] = [
    "Start of the reply\n\n",
    "long " + "A" * 100_000 + "\n\n",
    "clear\x1b[2J\x1b[3J\x1bc screen\n\n",
    "title\x1b]0;PWNED-TITLE\x07 and\x1b]2;PWNED-TITLE2\x1b\\ done\n\n",
    f"clipboard\x1b]52;c;{CLIP}\x07 and\x1b]52;p;{CLIP}\x1b\\ done\n\n",
    "link \x1b]8;;file:///etc/shadow\x07CLICKLINK\x1b]8;;\x07 done\n\n",
    "cpr\x1b[6n dsr\x1b[5n da\x1b[c da2\x1b[>c done\n\n",
    "decrqss\x1bP$qm\x1b\\ xtgettcap\x1bP+q544e\x1b\\ apc\x1b_PWNED-APC\x1b\\ done\n\n",
    "cursor\x1b[4242;4242H\x1b[?1049l\x1b[?25h moves\n\n",
    "c1 \x9b6n \x9b4242;4242H \x9d0;PWNED-C1\x9c \x90$qm\x9c done\n\n",
    "controls nul\x00 bel\x07 bs\x08 vt\x0b ff\x0c cr\r del\x7f done\n\n",
    "bidi \u202eDESREVER\u202c \u2066isolate\u2069 \u200fmark done\n\n",
    "split\x1b",
    "]0;SPLIT-TITLE\x07 and \x1b]5",
    "2;c;SPLITCLIP\x07 done\n\n",
    "markup [@click=app.quit]CLICKME[/] then [link=file:///etc/passwd]LINKME[/link] done\n\n",
    "unbalanced [/] and [bold never closed and [/link] done\n\n",
    "markdown [doc](file:///etc/hosts) and <a href='file:///etc/group'>html</a> done\n\n",
    "surrogates \ud800 and \udfff done\n\n",
    f"{END}\n",
]
HOSTILE_TEXT = "".join(HOSTILE)
HARMLESS = ["Start of the reply\n\n", "just some harmless text\n\n", f"{END}\n"]


def big_reply() -> list[str]:
    """About 1 MB in 4 kB deltas, an escape sequence every few hundred lines, END at the end."""
    lines = []
    for i in range(18_000):
        hostile = "\x1b]52;c;QklHQ0xJUA==\x07\x9b6n" if i % 500 == 0 else ""
        end = "\n\n" if i % 10 == 9 else "\n"  # paragraphs of ten lines
        lines.append(f"line {i:05d} of the big reply, lorem ipsum dolor sit amet{hostile}{end}")
    text = "".join(lines) + f"\n{BIG_END}\n"
    assert len(text) > 1_000_000
    return [text[i : i + 4096] for i in range(0, len(text), 4096)]


# Byte sequences a terminal acts on; Textual itself never writes them while drawing.
QUERIES = [
    b"\x1b[2J",
    b"\x1b[3J",
    b"\x1bc",
    b"\x1b[6n",
    b"\x1b[5n",
    b"\x1b[c",
    b"\x1b[>c",
    b"\x1bP",
    b"\x1b_",
    b"\x1b]0;",
    b"\x1b]2;",
    b"\x1b]8;",
    b"\x1b]52;",
    b"\x08",
    b"\x00",
]
MARKERS = [
    "PWNED",
    CLIP,
    "QklHQ0xJUA",
    "file:///etc/shadow",
    "DESREVER\u202c",
    "4242;4242",
]


def pty_env(base_url: str, home: Path) -> dict[str, str]:
    return {
        "CHATTUI_HOME": str(home),
        "OPENAI_API_KEY": "sk-security-pty-0000111122223333",
        "OPENAI_BASE_URL": base_url,
        "CHATTUI_AUTO_TITLE": "false",  # its request would take a scripted reply
        **BIG_WINDOW,
    }


def run_in_pty(
    home: Path, replies: Sequence[Sequence[str]], ends: Sequence[str]
) -> tuple[bytes, float]:
    """Run the app, send one prompt per reply and wait for its end marker, then quit.

    Returns every byte the app wrote, and the seconds the replies took to show.
    """
    scripted = [SSEReply(list(chunks)) for chunks in replies]
    with (
        ScriptedServer(replies=scripted) as server,
        PtyApp(pty_env(server.base_url, home), size=(100, 60)) as app,
    ):
        assert app.wait_for_text("Type a message", 15), app.output[-2000:]
        started = time.monotonic()
        for index, end in enumerate(ends):
            app.write(f"prompt {index}\r".encode())
            assert app.wait_for_text(end, 20), f"{end} never shown"
        took = time.monotonic() - started
        assert app.process.poll() is None, "the app quit"
        app.write(b"\x11")  # Ctrl+Q
        assert app.wait_exit(10) == 0, bytes(app.output[-3000:])
        assert len(server.bodies) == len(replies)
        return bytes(app.output), took


def osc_strings(output: bytes) -> list[bytes]:
    """Every OSC / DCS / APC / PM string in the output."""
    return re.findall(rb"\x1b[\]P_^][^\x07\x1b]*", output)


def test_hostile_reply_never_reaches_the_terminal_raw() -> None:
    # The baseline (a harmless reply) and the hostile run go side by side.
    with ThreadPoolExecutor(2) as pool:
        harmless = pool.submit(run_in_pty, home_dir() / "baseline", [HARMLESS], [END])
        hostile = pool.submit(run_in_pty, home_dir(), [HOSTILE, big_reply()], [END, BIG_END])
        baseline, _ = harmless.result()
        output, took = hostile.result()
    print(f"hostile replies shown in {took:.1f} s")
    text = output.decode("utf-8", "replace")
    for query in QUERIES:
        assert output.count(query) <= baseline.count(query), (query, output.count(query))
    for marker in MARKERS:
        assert marker not in text, marker
    for string in osc_strings(output):
        assert b"SPLIT" not in string and b"file:" not in string, string
    c1 = [char for char in text if "\x80" <= char <= "\x9f"]
    assert not c1, c1[:5]
    assert not re.search("[\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]", text)
    # What is left of each line was drawn: the hostile text went through the whole pipeline.
    shown = visible(output)
    for words in (
        "clear screen",
        "title and done",
        "clipboard and done",
        "cpr dsr da da2 done",
        "decrqss xtgettcap apc done",
        "cursor moves",
        "bidi DESREVER isolate mark done",
        "[@click=app.quit]CLICKME[/]",
        "unbalanced [/] and [bold never closed",
        "surrogates \ufffd and \ufffd done",
    ):
        assert words in shown, words

    # The history is valid JSON and loads, holding the reply verbatim (lone surrogates
    # replaced: they cannot be stored as UTF-8).
    files = conversation_files(home_dir())
    assert len(files) == 1
    json.loads(files[0].read_text("utf-8"))
    conversation = ConversationStore(files[0].parent).load(files[0].stem)
    replies = [m.content for m in conversation.messages if m.role.value == "assistant"]
    assert replies == [clean_surrogates(HOSTILE_TEXT), clean_surrogates("".join(big_reply()))]


async def test_markup_in_a_reply_is_shown_literally_and_never_acted_on() -> None:
    with ScriptedServer(replies=[SSEReply(HOSTILE)]) as server:
        app = make_app(server.base_url, env=BIG_WINDOW)
        async with app.run_test(size=SIZE) as pilot:
            await send(pilot, "hello")
            rendered = chat_log(app).rendered_text()
            for literal in (
                "[@click=app.quit]CLICKME[/]",
                "[link=file:///etc/passwd]LINKME[/link]",
                "unbalanced [/] and [bold never closed and [/link] done",
                "<a href='file:///etc/group'>html</a>",
                "surrogates \ufffd and \ufffd done",
                "DESREVER isolate mark done",
                "title and done",
            ):
                assert literal in rendered, literal
            # A file: link is no link: markdown-it refuses it (shown as typed) or the
            # renderer drops its target.
            assert (
                "markdown [doc](file:///etc/hosts) and" in rendered
                or "markdown doc and" in rendered
            )
            bad = re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", rendered)
            assert not bad
            assert not re.search(r"[\ud800-\udfff]", rendered)
            assert "A" * 5000 in rendered.replace("\n", "")

            # Scroll the markup into view: no action or file link anywhere on screen, and a
            # click on the would-be action does nothing.
            log = chat_log(app)
            rows = rendered.split("\n")
            row = next(i for i, line in enumerate(rows) if "CLICKME" in line)
            log.scroll_to(y=max(row - 2, 0), animate=False, immediate=True)
            await pilot.pause()
            lines = screen_text(app).split("\n")
            y = next(i for i, line in enumerate(lines) if "CLICKME" in line)
            x = lines[y].index("CLICKME") + 2
            for meta in line_meta(log):
                assert not any(str(k).startswith("@") for k in meta), meta
                assert not str(meta.get("link") or "").startswith("file:"), meta
            await pilot.click(offset=(x, y))
            await pilot.pause()
            assert app.is_running and app.return_code is None
            assert not app._exit_renderables
            assert "ready" in status_text(app)

            # The next turn carries the history (surrogates replaced) and works.
            await send(pilot, "and now?")
            assert len(server.bodies) == 2
            sent = server.bodies[1]["messages"]
            assert sent[1]["content"] == clean_surrogates(HOSTILE_TEXT)
            assert "error" not in status_text(app), status_text(app)
    for path in conversation_files(home_dir()):
        json.loads(path.read_text("utf-8"))


ODD_REPLIES: list[list[str]] = [
    ["[", "@click=app.quit]x[/", "]"],
    ["[/]"],
    ["[bold"],
    ["\x1b"],
    ["\ud800"],
    ["\x9b"],
    ["```\n[@click=app.quit]code[/]\x1b]0;PWNED\x07\n"],  # an unclosed fence
    ["| a | [/] |\n|---|---|\n| \x1b[2J | [link=file:///x]y[/link] |\n"],
    ["# [@click=app.quit]heading[/]\n> [red]quote\n- \x1b]8;;file:///x\x07item\n"],
]


async def test_odd_replies_do_not_crash() -> None:
    with ScriptedServer(replies=[SSEReply(reply) for reply in ODD_REPLIES]) as server:
        app = make_app(server.base_url, env=BIG_WINDOW)
        async with app.run_test(size=SIZE) as pilot:
            for index in range(len(ODD_REPLIES)):
                await send(pilot, f"turn {index}")
                assert "ready" in status_text(app), (index, status_text(app))
            rendered = chat_log(app).rendered_text()
            assert app.is_running and not app._exit_renderables
            assert "\x1b" not in rendered and "PWNED" not in rendered
            assert not re.search(r"[\ud800-\udfff\x80-\x9f]", rendered)
            assert "@click=app.quit]x[/]" in rendered and "[red]quote" in rendered
            assert len(server.bodies) == len(ODD_REPLIES)
