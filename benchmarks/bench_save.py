"""Save benchmark: what a conversation save costs the event loop, before and after moving it
to the writer thread.

Run with ``uv run python benchmarks/bench_save.py [--repeats 15]``.

For conversations of 200 and 1,000 messages (~700 characters each):

1. **sync**: ``ConversationStore.save`` called on the loop's thread (lock, merge check, JSON,
   temp file, fsync, rename): what every checkpoint cost the loop before.
2. **loop side**: what ``Saver.save`` costs the caller now (the snapshot and the enqueue); the
   write itself runs in the writer thread.
3. **lag**: the longest gap seen by a 1 ms ticker on the loop while one save runs, with the
   save on the loop (sync) and in the writer thread (the thread still shares the GIL: the pure
   Python JSON encoder used for indented output lets the loop in every switch interval).

Medians over ``--repeats`` runs, all in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chattui.core.models import Conversation, Message, Role
from chattui.core.saver import Saver
from chattui.core.storage import ConversationStore

TEXT = "The quick brown fox jumps over the lazy dog; 敏捷的棕色狐狸. " * 12


def conversation_of(count: int) -> Conversation:
    conversation = Conversation(title=f"{count} messages")
    for number in range(count):
        role = Role.USER if number % 2 == 0 else Role.ASSISTANT
        conversation.add(Message(role, f"{number} {TEXT}"))
    return conversation


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def lag_during(save: str, store: ConversationStore, saver: Saver, c: Conversation) -> float:
    """The longest gap between ticks of a 1 ms ticker while one save runs (seconds)."""
    longest = 0.0
    done = False

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            longest = max(longest, now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    longest = 0.0
    if save == "sync":
        await asyncio.sleep(0)
        store.save(c)
        await asyncio.sleep(0.002)
    else:
        await asyncio.wrap_future(saver.save(c))
        await asyncio.sleep(0.002)
    done = True
    await task
    return longest


async def measure(count: int, repeats: int, directory: Path) -> dict[str, float]:
    store = ConversationStore(directory / str(count))
    store.prepare()
    saver = Saver(store)
    conversation = conversation_of(count)
    store.save(conversation)
    sync: list[float] = []
    loop_side: list[float] = []
    lag_sync: list[float] = []
    lag_thread: list[float] = []
    for _ in range(repeats):
        conversation.updated = time.time()
        start = time.perf_counter()
        store.save(conversation)
        sync.append(time.perf_counter() - start)
        conversation.updated = time.time()
        start = time.perf_counter()
        future = saver.save(conversation)
        loop_side.append(time.perf_counter() - start)
        await asyncio.wrap_future(future)
        lag_sync.append(await lag_during("sync", store, saver, conversation))
        lag_thread.append(await lag_during("thread", store, saver, conversation))
    return {
        "sync": median_ms(sync),
        "loop side": median_ms(loop_side),
        "lag sync": median_ms(lag_sync),
        "lag thread": median_ms(lag_thread),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        print(
            f"{'messages':>8}  {'sync save':>10}  {'loop side':>10}  {'ratio':>6}  "
            f"{'lag: sync':>10}  {'lag: thread':>11}"
        )
        for count in (200, 1000):
            result = asyncio.run(measure(count, args.repeats, Path(temp)))
            ratio = result["sync"] / result["loop side"]
            print(
                f"{count:>8}  {result['sync']:>8.2f}ms  {result['loop side']:>8.2f}ms  "
                f"{ratio:>5.0f}x  {result['lag sync']:>8.2f}ms  {result['lag thread']:>9.2f}ms"
            )


if __name__ == "__main__":
    main()
