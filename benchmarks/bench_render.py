"""How fast the chat pane renders long streamed replies (docs/ARCHITECTURE.md, "Rendering
replies").

Run: ``uv run python benchmarks/bench_render.py [--runs 5] [--tokens 4000 20000]``.

For replies of 4,000 and 20,000 tokens from ``sample_reply.py``, at a width of 100 cells:

(a) baseline: ``rich.markdown.Markdown`` renders the whole document once;
(b) our pipeline (``BlockStream`` + ``BlockRenderer`` through an ``AssistantEntry``) fed 4-char
    deltas, flushed every N deltas as the frame timer would (N=4: ~100 tokens/s at 40 Hz;
    N=16: ~400 tokens/s at 40 Hz);
(c) a headless Textual app (``App.run_test``) whose ``ChatLog`` receives the deltas paced at the
    speed the openai SDK reads a local stream (measured at the start: 4k tokens in 0.35 s, 73k/s),
    8 deltas per network chunk, then the final message; wall time from the first delta until
    the last line is on screen, and the frames (renders of the streamed text) it took;
(d) opening a 1,000-message conversation: ``set_conversation`` plus drawing the visible lines,
    and the time until every message is rendered in the background.

(a) and (b) are CPU time of this process (other work on the machine skews wall time); (c) and
(d) are wall time. Medians over the runs; ratios to (a); microseconds per character show
whether the cost is linear (20k/4k time ratio ~5x for 5x the text, not ~25x).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from time import perf_counter, process_time

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.markdown import Markdown
from textual.app import App, ComposeResult

from benchmarks.sample_reply import sample_reply, stream_deltas
from chattui.core.models import Message, MessageStatus, Role
from chattui.ui.render.entries import AssistantEntry, RenderContext
from chattui.ui.render.markdown import BlockRenderer, make_console
from chattui.ui.render.palette import Palette
from chattui.ui.widgets.chat_log import ChatLog

WIDTH = 100


SDK_CHARS_PER_SECOND = 73_000
"""How fast the openai SDK alone reads a local stream (25.7k chars in 0.35 s, measured once)."""


def median_cpu_time(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = process_time()
        function()
        times.append(process_time() - start)
    return statistics.median(times)


def baseline(text: str) -> None:
    """(a) Rich renders the whole document once."""
    console = make_console(Palette(), WIDTH)
    console.render_lines(Markdown(text), console.options.update(width=WIDTH))


def pipeline(text: str, every: int) -> None:
    """(b) Our entry fed 4-char deltas, flushed every ``every`` deltas, then finished."""
    context = RenderContext(BlockRenderer(Palette()), WIDTH)
    message = Message(Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    entry = AssistantEntry(message, live=True)
    for count, delta in enumerate(stream_deltas(text, 4), 1):
        entry.append(delta)
        if count % every == 0:
            entry.update_stream(context)
    message.content = text
    message.status = MessageStatus.COMPLETE
    entry.set_message(message)
    entry.render(context)
    assert entry.height > 0


class CountingLog(ChatLog):
    """A ChatLog that counts its renders of streamed text (frames)."""

    flushes = 0

    def flush(self) -> None:
        if self._dirty:
            CountingLog.flushes += 1
        super().flush()


class BenchApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CountingLog()


def _visible_text(log: ChatLog) -> str:
    height = log.scrollable_content_region.height
    return "\n".join(log.render_line(y).text for y in range(height))


async def _app_stream(text: str) -> tuple[float, int]:
    app = BenchApp()
    async with app.run_test(size=(WIDTH + 4, 40)) as pilot:
        log = app.query_one(CountingLog)
        await pilot.pause()
        CountingLog.flushes = 0
        last_words = text.split()[-1].strip("*`.|")
        start = perf_counter()
        reply = Message(Role.ASSISTANT, "", status=MessageStatus.STREAMING)
        log.add_message(reply)
        sent = 0
        for count, delta in enumerate(stream_deltas(text, 4), 1):
            log.append_text(reply.id, delta)
            sent += len(delta)
            if count % 8 == 0:  # one network chunk, at the SDK's pace
                due = start + sent / SDK_CHARS_PER_SECOND
                await asyncio.sleep(max(0.0, due - perf_counter()))
        reply.content = text
        reply.status = MessageStatus.COMPLETE
        log.update_message(reply)
        await pilot.pause()
        elapsed = perf_counter() - start
        assert last_words in _visible_text(log), "final line not on screen"
        return elapsed, CountingLog.flushes


def app_stream(text: str, runs: int) -> tuple[float, int]:
    """(c) Time from the first delta to the last line on screen, in a headless app."""
    results = [asyncio.run(_app_stream(text)) for _ in range(runs)]
    return statistics.median(r[0] for r in results), int(statistics.median(r[1] for r in results))


async def _open_conversation() -> tuple[float, float]:
    replies = [sample_reply(150, seed=seed) for seed in range(50)]
    messages: list[Message] = []
    for index in range(500):
        messages.append(Message(Role.USER, f"Question {index}: explain the next step."))
        messages.append(Message(Role.ASSISTANT, replies[index % 50]))
    app = BenchApp()
    async with app.run_test(size=(WIDTH + 4, 40)) as pilot:
        log = app.query_one(CountingLog)
        await pilot.pause()
        start = perf_counter()
        log.set_conversation(messages)
        visible = _visible_text(log)
        first_paint = perf_counter() - start
        assert replies[499 % 50].split()[-1].strip("*`.|") in visible, "bottom not shown"
        await app.workers.wait_for_complete()
        return first_paint, perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, nargs="+", default=[4000, 20000])
    args = parser.parse_args()
    runs: int = args.runs

    baseline("# warm up\n\n```python\nx = 1\n```\n| a |\n|---|\n| 1 |\n")
    rows: dict[int, dict[str, float]] = {}
    for tokens in args.tokens:
        text = sample_reply(tokens)
        row = rows[tokens] = {"chars": len(text)}
        row["a"] = median_cpu_time(partial(baseline, text), runs)
        for every in (4, 16):
            row[f"b{every}"] = median_cpu_time(partial(pipeline, text, every), runs)
        row["c"], frames = app_stream(text, runs)
        row["frames"] = frames
        print(f"\n{tokens} tokens, {len(text):,} chars (median of {runs} runs)")
        print(f"  (a) rich Markdown, whole document once  {row['a'] * 1000:8.0f} ms   1.00x")
        for every in (4, 16):
            value = row[f"b{every}"]
            frame_count = len(text) // (4 * every)
            print(
                f"  (b) ours, 4-char deltas, flush every {every:2d}  {value * 1000:8.0f} ms"
                f"  {value / row['a']:5.2f}x   ({frame_count} frames,"
                f" {value / frame_count * 1000:.2f} ms/frame)"
            )
        delivery = len(text) / SDK_CHARS_PER_SECOND
        print(
            f"  (c) headless app, first delta -> last line {row['c'] * 1000:6.0f} ms"
            f"  {row['c'] / row['a']:5.2f}x   ({frames} frames; deltas delivered over"
            f" {delivery * 1000:.0f} ms, last line +{(row['c'] - delivery) * 1000:.0f} ms)"
        )
    if len(rows) >= 2:
        small, large = sorted(rows)[0], sorted(rows)[-1]
        scale = rows[large]["chars"] / rows[small]["chars"]
        print(f"\nper-char cost ({large} vs {small} tokens; {scale:.1f}x the text):")
        for key, label in (("a", "(a)"), ("b4", "(b) N=4"), ("b16", "(b) N=16"), ("c", "(c)")):
            per = [rows[t][key] / rows[t]["chars"] * 1e6 for t in (small, large)]
            ratio = rows[large][key] / rows[small][key]
            print(f"  {label:9} {per[0]:6.2f} -> {per[1]:6.2f} us/char   time ratio {ratio:5.1f}x")
    first_paint, complete = asyncio.run(_open_conversation())
    print("\n(d) 1,000-message conversation (500 replies of ~150 tokens):")
    print(f"  set_conversation + visible lines drawn {first_paint * 1000:6.0f} ms")
    print(f"  every message rendered (background) {complete * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
