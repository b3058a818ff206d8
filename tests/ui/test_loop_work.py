"""Issue 11: work that must not hold the event loop (long lists, long conversations, the status
line while streaming), and what the app starts only once its first frame is shown."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from benchmarks import sample_reply as sample
from chattui.core.models import Message, Role
from chattui.core.storage import ConversationSummary
from chattui.ui.widgets.chat_log import ChatLog
from chattui.ui.widgets.sidebar import ConversationList
from chattui.ui.widgets.status import StatusBar
from tests.ui.conftest import wait_for


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ConversationList(id="list")


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ChatLog()


class StatusApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")


def summaries(count: int) -> list[ConversationSummary]:
    """``count`` conversations, newest first (``c0`` is the newest)."""
    return [
        ConversationSummary(f"c{i}", f"Conversation {i}", 2e9 - i * 60, 1e9) for i in range(count)
    ]


async def test_a_long_list_shows_its_first_page_at_once_and_the_rest_soon() -> None:
    app = ListApp()
    async with app.run_test(size=(60, 30)) as pilot:
        listing = app.query_one(ConversationList)
        listing.show(summaries(1000), current_id=None)
        first = listing.option_count
        assert 0 < first < 1000  # the screen does not wait for 1,000 options
        assert listing.highlighted == 0
        await wait_for(pilot, lambda: listing.option_count == 1000)
        ids = [listing.get_option_at_index(i).id for i in range(1000)]
        assert ids == [f"c{i}" for i in range(1000)]  # in order, none twice
        assert listing.highlighted == 0


async def test_the_first_list_keeps_what_changed_before_it_came() -> None:
    """A big library is listed in a thread after the first frame: a conversation made or
    deleted meanwhile keeps its place in (or out of) the list that comes later."""
    app = ListApp()
    async with app.run_test(size=(60, 30)):
        listing = app.query_one(ConversationList)
        newer = ConversationSummary("c1", "Renamed meanwhile", 3e9, 1e9)
        listing.upsert(ConversationSummary("new", "Made meanwhile", 3.1e9, 3.1e9))
        listing.upsert(newer)
        listing.remove_entry("c2")
        listing.show(summaries(4), current_id="new")
        assert [s.id for s in listing.summaries] == ["new", "c1", "c0", "c3"]
        assert next(s for s in listing.summaries if s.id == "c1") is newer
        listing.show(summaries(3), current_id=None)  # later lists replace it
        assert [s.id for s in listing.summaries] == ["c0", "c1", "c2"]


async def test_the_current_conversation_is_listed_at_once_wherever_it_is() -> None:
    app = ListApp()
    async with app.run_test(size=(60, 30)) as pilot:
        listing = app.query_one(ConversationList)
        listing.show(summaries(1000), current_id="c700")
        assert listing.option_count >= 701
        assert listing.highlighted_option is not None
        assert listing.highlighted_option.id == "c700"
        await wait_for(pilot, lambda: listing.option_count == 1000)
        assert listing.highlighted_option.id == "c700"


async def test_a_rebuild_drops_the_batches_of_the_one_before() -> None:
    app = ListApp()
    async with app.run_test(size=(60, 30)) as pilot:
        listing = app.query_one(ConversationList)
        listing.show(summaries(1000), current_id=None)
        assert listing.filling
        newer = [ConversationSummary(f"n{i}", f"Newer {i}", 3e9 - i * 60, 1e9) for i in range(900)]
        listing.show(newer, current_id=None)  # while the first list is still being added
        await wait_for(pilot, lambda: not listing.filling)
        assert listing.option_count == 900
        ids = [listing.get_option_at_index(i).id for i in range(900)]
        assert ids == [f"n{i}" for i in range(900)]


async def test_a_long_conversation_renders_near_the_view_and_the_rest_when_scrolled_to() -> None:
    replies = [sample.sample_reply(60, seed=seed) for seed in range(10)]
    messages: list[Message] = []
    for index in range(500):
        messages.append(Message(Role.USER, f"Question number {index}"))
        messages.append(Message(Role.ASSISTANT, replies[index % 10] + f"\nAnswer {index}.\n"))
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation(messages)
        await app.workers.wait_for_complete()
        await pilot.pause()
        pending = log._layout.pending()
        assert pending  # the far past is left for later...
        assert messages[-1].id not in {entry.key for entry in pending}  # ...not the bottom
        await pilot.press("home")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert log.scroll_y == 0
        assert "Question number 0" in "\n".join(
            log.render_line(y).text for y in range(log.scrollable_content_region.height)
        )
        assert "Answer 0." in log.rendered_text() and "Answer 499." in log.rendered_text()


async def test_token_counts_while_busy_end_with_the_latest_value() -> None:
    app = StatusApp()
    async with app.run_test(size=(100, 3)) as pilot:
        status = app.query_one(StatusBar)
        status.set_state("streaming…", "busy")
        for n in range(1, 30):
            status.set_tokens(f"{n} chunks")
        assert "29 chunks" in status.text  # the data is current at once
        status.set_state("ready")  # not busy: drawn now, with the latest count
        await pilot.pause()
        left = app.query_one("#status-left", Static).render()
        assert "29 chunks" in str(left) and "ready" in str(left)


async def test_a_status_redraw_that_changes_nothing_keeps_the_same_text() -> None:
    app = StatusApp()
    async with app.run_test(size=(100, 3)) as pilot:
        status = app.query_one(StatusBar)
        status.set_endpoint("example.com", "gpt-4o-mini")
        status.set_budget(Text("12 left", style="red"))
        await pilot.pause()
        budget = app.query_one("#status-budget", Static)
        before = budget.render()
        status.set_budget(Text("12 left", style="green"))  # same text, other colour
        await pilot.pause()
        after = budget.render()
        assert str(before) == str(after) == "12 left"
        shown = budget.content
        assert isinstance(shown, Text) and shown.style == "green"  # Text == ignores the style
