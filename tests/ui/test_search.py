"""Search in the real app: Ctrl+F, results as you type, Enter opens the conversation scrolled to
the hit with the match highlighted, and find next / previous in the open conversation."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rich.text import Text
from textual import events
from textual.pilot import Pilot
from textual.widgets import Label

from chattui.core.models import Conversation, Message, Role
from chattui.core.storage import ConversationStore
from chattui.ui.main import screen as screen_module
from chattui.ui.screens.search import SearchScreen
from chattui.ui.widgets.chat_log import ChatLog
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    chat_app,
    chat_log,
    conversations_dir,
    main_screen,
    notices,
    screen_text,
    send,
    settle,
    status_text,
    wait_for,
)

FILLER = "\n\n".join(f"Filler paragraph {n} with nothing to find." for n in range(4))


def long_conversation(title: str, hits: dict[int, str], count: int = 30) -> Conversation:
    """``count`` messages of filler; message ``n`` in ``hits`` gets that text instead."""
    conversation = Conversation(title=title)
    for number in range(count):
        role = Role.USER if number % 2 == 0 else Role.ASSISTANT
        conversation.add(Message(role, hits.get(number, f"{FILLER}\n\nend of {number}")))
    return conversation


def save(home: Path, *conversations: Conversation) -> None:
    store = ConversationStore(conversations_dir(home))
    store.prepare()
    for conversation in conversations:
        store.save(conversation)


async def index_ready(pilot: Pilot[None]) -> None:
    """Wait until the app started its index and indexed everything (off the event loop)."""
    index = chat_app(pilot).services.search
    assert index is not None
    await wait_for(pilot, lambda: index.running)
    assert await asyncio.to_thread(index.wait_idle, 30)


async def search_for(pilot: Pilot[None], text: str) -> SearchScreen:
    """Ctrl+F, then type ``text`` (pasted, as an IME commits it), and wait for results."""
    await pilot.press("ctrl+f")
    screen = pilot.app.screen
    assert isinstance(screen, SearchScreen)
    pilot.app.post_message(events.Paste(text))
    await wait_for(pilot, lambda: bool(screen.hits))
    return screen


def visible_lines(log: ChatLog) -> list[str]:
    return [log.render_line(y).text for y in range(log.scrollable_content_region.height)]


def styled_match(log: ChatLog, word: str) -> set[str]:
    """How each visible occurrence of ``word`` is drawn: "current", "match" or "plain"."""
    current = log.get_component_rich_style("chat-log--match-current", partial=True)
    other = log.get_component_rich_style("chat-log--match", partial=True)
    kinds: set[str] = set()
    for y in range(log.scrollable_content_region.height):
        for segment in log.render_line(y):
            if word not in segment.text:
                continue
            style = segment.style
            if segment.text == word and style is not None and style.bgcolor == current.bgcolor:
                kinds.add("current")
            elif segment.text == word and style is not None and style.bgcolor == other.bgcolor:
                kinds.add("match")
            else:
                kinds.add("plain")
    return kinds


async def test_ctrl_f_finds_chinese_and_enter_opens_the_conversation_at_the_hit(
    make_app: MakeApp, home: Path
) -> None:
    target = long_conversation(
        "Network notes", {3: "如何设置代理？ MARKER-THREE", 22: "代理 again"}
    )
    other = long_conversation("Other", {}, count=4)
    save(home, target, other)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await index_ready(pilot)
        screen = await search_for(pilot, "代理")
        hit = screen.hits[0]
        assert [h.conversation_id for h in screen.hits] == [target.id]
        assert hit.message_id == target.messages[22].id  # the newest hit first
        prompt = screen.results.get_option_at_index(0).prompt
        assert isinstance(prompt, Text)
        assert "Network notes" in prompt.plain and "代理 again" in prompt.plain
        lit = {prompt.plain[span.start : span.end] for span in prompt.spans}
        assert "代理" in lit
        await pilot.press("down")  # the list follows the arrows while typing
        assert screen.results.highlighted == 0  # (one result only)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        await settle(pilot)
        main = main_screen(app)
        assert main.conversation.id == target.id
        bar = main.panes.find_bar
        assert bar.is_open and bar.text == "代理"
        assert main.finder.position == (2, 2)
        log = chat_log(app)
        assert any("代理 again" in line for line in visible_lines(log))
        assert styled_match(log, "代理") == {"current"}
        assert not any("end of 29" in line for line in visible_lines(log))  # not the bottom


async def test_find_next_previous_and_close(make_app: MakeApp, home: Path) -> None:
    conversation = long_conversation(
        "Long", {2: "first proxy MARK-A", 14: "second proxy MARK-B", 28: "third proxy MARK-C"}
    )
    save(home, conversation)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = main_screen(app)
        main.conversations.open(conversation.id)
        await settle(pilot)
        log = chat_log(app)
        assert "MARK-C" in "\n".join(visible_lines(log))  # opened at the bottom
        await pilot.press("f4")
        assert main.panes.find_bar.input.has_focus
        await pilot.press(*"proxy")
        await pilot.pause()
        # From the bottom, the first match at or below the top of the view: the third.
        assert main.finder.position == (3, 3)
        assert "3/3" in screen_text(app)
        await pilot.press("down")  # next: wraps to the first
        await pilot.pause()
        assert main.finder.position == (1, 3)
        assert any("MARK-A" in line for line in visible_lines(log))
        assert styled_match(log, "proxy") == {"current"}
        await pilot.press("enter")  # next
        await pilot.pause()
        assert main.finder.position == (2, 3)
        assert any("MARK-B" in line for line in visible_lines(log))
        assert not any("MARK-A" in line for line in visible_lines(log))
        await pilot.press("up")  # previous
        await pilot.pause()
        assert main.finder.position == (1, 3)
        assert any("MARK-A" in line for line in visible_lines(log))
        await pilot.press("escape")
        await pilot.pause()
        assert not main.panes.find_bar.is_open
        assert main.prompt.has_focus
        assert styled_match(log, "proxy") == {"plain"}
        await pilot.press("f4")  # opens again with the same text, found again
        await pilot.pause()
        assert main.panes.find_bar.text == "proxy" and main.finder.position[1] == 3
        assert styled_match(log, "proxy") == {"current"}


async def test_results_are_plain_text_never_markup(make_app: MakeApp, home: Path) -> None:
    hostile = Conversation(title="[b]bold[/b] [link=file:///etc/passwd]x[/link]")
    hostile.add(Message(Role.USER, "[red]代理[/red] \x1b[31mred\x1b]0;title\x07 [@click=app.quit]"))
    save(home, hostile)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await index_ready(pilot)
        await search_for(pilot, "代理")
        await pilot.pause()
        text = screen_text(app)
        assert "[b]bold[/b]" in text and "[red]代理[/red]" in text
        assert "\x1b" not in text and "\x07" not in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        assert app.is_running  # the [@click=app.quit] text did nothing


async def test_a_reply_sent_now_is_found(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text="The answer mentions 翻译服务 and kiwis."))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await index_ready(pilot)
        await send(pilot, "Tell me about fruit")
        index = app.services.search
        assert index is not None and await asyncio.to_thread(index.wait_idle, 30)
        screen = await search_for(pilot, "kiwis")
        assert screen.hits[0].role == "assistant"
        assert screen.hits[0].conversation_id == main_screen(app).conversation.id
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SearchScreen)
    assert not index.running  # the app stopped the writer thread on exit


def test_ctrl_f_is_documented_in_help() -> None:
    from chattui.ui.actions.keymap import help_sections

    rows = {what: key for _section, items in help_sections({}) for key, what in items}
    keys = set(rows.values())
    assert any("ctrl+f" in key.lower() for key in keys), rows
    assert any(key.lower() in ("f4", "shift+f4") for key in keys), rows


async def test_a_hit_in_another_branch_shows_that_branch(make_app: MakeApp, home: Path) -> None:
    conversation = Conversation(title="Branches")
    question = conversation.add(Message(Role.USER, "which one?"))
    old = conversation.add(Message(Role.ASSISTANT, "the old answer mentions 代理"))
    new = conversation.add(Message(Role.ASSISTANT, "the new answer", parent_id=question.id))
    assert conversation.current_leaf == new.id
    save(home, conversation)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await index_ready(pilot)
        screen = await search_for(pilot, "代理")
        assert screen.hits[0].message_id == old.id
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        await settle(pilot)
        main = main_screen(app)
        assert main.conversation.current_leaf == old.id
        log = chat_log(app)
        assert log.has_message(old.id) and not log.has_message(new.id)
        assert main.finder.position == (1, 1)
        assert styled_match(log, "代理") == {"current"}


async def test_the_find_bar_is_built_when_first_opened(make_app: MakeApp) -> None:
    """Its widgets are not made before the first frame (start-up); F4 makes and focuses them."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = main_screen(app)
        bar = main.panes.find_bar
        assert not bar.query("#find-input") and bar.text == "" and not bar.is_open
        await pilot.press("f4")
        await pilot.pause()
        assert bar.is_open and bar.input.has_focus
        await pilot.press(*"abc")
        await pilot.pause()
        assert bar.text == "abc" and "no matches" in screen_text(app)


async def test_a_hit_in_the_title_only_says_so_instead_of_no_matches(
    make_app: MakeApp, home: Path
) -> None:
    conversation = long_conversation("Kubernetes notes", {}, count=4)
    save(home, conversation)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await index_ready(pilot)
        screen = await search_for(pilot, "Kubernetes")
        assert screen.hits[0].message_id in ("", None)  # the title matched
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        await settle(pilot)
        main = main_screen(app)
        assert main.conversation.id == conversation.id
        assert not main.panes.find_bar.is_open
        assert "no matches" not in screen_text(app)
        assert "“Kubernetes” is in the title only." in notices(app)


@pytest.mark.parametrize(("width", "hint"), [(80, ""), (96, "Esc close"), (130, "long")])
async def test_the_find_bar_keeps_a_usable_field_beside_the_sidebar(
    make_app: MakeApp, fake_server: FakeOpenAI, width: int, hint: str
) -> None:
    """At 80 columns with the sidebar shown the field keeps 20 cells and the count shows; the
    hint is shown whole (long or short) or not at all, never cut."""
    fake_server.queue(Reply(text="some words to find"))
    app = make_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await send(pilot, "a question")
        main = main_screen(app)
        assert main.panes.side.display
        await pilot.press("f4", *"zzz")
        await pilot.pause()
        bar = main.panes.find_bar
        assert bar.input.size.width >= 20
        row = bar.region.y
        line = screen_text(app).split("\n")[row]
        assert "no matches" in line
        hint_label = bar.query_one("#find-hint", Label)
        shown_hint = str(hint_label.render()) if hint_label.display else ""
        expected = {"": "", "Esc close": "Esc close"}.get(
            hint, "↓/Enter next · ↑ previous · Esc close"
        )
        assert shown_hint == expected
        assert line.rstrip().endswith(expected or "no matches")


async def test_the_first_build_shows_its_progress_in_the_status_line(
    make_app: MakeApp, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library with no search index yet (an upgrade, a cleared cache): the build's
    progress is in the main screen's status line, not only in the search dialog."""
    monkeypatch.setattr(screen_module, "INDEX_PROGRESS_SECONDS", 0.02)
    monkeypatch.setattr(screen_module, "INDEX_PROGRESS_FROM", 10)
    folder = conversations_dir(home)  # written as another tool would: quicker than saves
    folder.mkdir(parents=True)
    for number in range(400):
        conversation = long_conversation(f"c{number}", {}, count=40)
        text = json.dumps(conversation.to_dict(), ensure_ascii=False)
        (folder / f"{conversation.id}.json").write_text(text, "utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "search index" in status_text(app))
        assert "/400" in status_text(app)
        await index_ready(pilot)
        await wait_for(pilot, lambda: "search index" not in status_text(app))
