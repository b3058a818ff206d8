"""Token counting benchmark: encoding load, a 100k-token history, the per-keystroke cost.

Run with ``uv run python benchmarks/bench_tokens.py [--runs N]``. Prints the median of N runs
for each measurement:

- first use in a fresh process (``import chattui.core.tokens`` + load o200k_base + count);
- load of each encoding in-process (read + gunzip + sha256 + parse, then tiktoken's build);
- counting a ~100,000-token history (a few hundred English / Chinese / code messages) from
  scratch with the chat formula;
- one more message with the per-message cache warm (what happens after each reply);
- the live budget for a prompt being typed (what happens per keystroke);
- trimming the history to a 32k window with the cache warm.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

from chattui.core import encodings, tokens
from chattui.core.tokens import TokenCounter, counter_for_model, get_encoding, load_ranks
from chattui.core.window import compute_budget, fit_to_window

ENGLISH = (
    "The scheduler keeps a queue of pending jobs and wakes the worker when one is ready. "
    "Each job records its owner, its deadline and how many times it has been retried. "
)
CHINESE = "我们在周末把整个数据管道重新设计了一遍，现在每个任务都会记录开始时间和结束时间。"
CODE = (
    "def retry(job: Job, limit: int = {n}) -> Result:\n"
    "    for attempt in range(limit):\n"
    "        result = job.run(timeout=attempt * 1.5)\n"
    "        if result.ok:\n"
    "            return result\n"
    "    raise RetryError(job.id, limit)\n"
)
WORDS = [
    "alpha", "beta", "gamma", "delta", "queue", "worker",
    "队列", "任务", "deadline", "owner", "retry", "管道",
]  # fmt: skip


def messages(seed: int) -> Iterator[dict[str, str]]:
    """Endless alternating user/assistant messages, every one unique."""
    rng = random.Random(seed)
    for index in itertools.count():
        parts = [
            f"[{seed}:{index}] " + " ".join(rng.choices(WORDS, k=12)),
            ENGLISH * rng.randint(1, 3),
            CHINESE * rng.randint(1, 3),
            CODE.format(n=index) if index % 3 == 0 else "",
        ]
        role = "user" if index % 2 == 0 else "assistant"
        yield {"role": role, "content": "\n\n".join(part for part in parts if part)}


def make_history(target_tokens: int, seed: int = 7) -> list[dict[str, str]]:
    """Messages from :func:`messages` until they add up to ``target_tokens`` (o200k_base)."""
    counter = TokenCounter(counter_for_model("gpt-4o"))
    history: list[dict[str, str]] = []
    total = 0
    for message in messages(seed):
        if total >= target_tokens:
            break
        history.append(message)
        total += counter.message(message)
    return history


def median_ms(
    runs: int, func: Callable[[], object], setup: Callable[[], None] | None = None
) -> float:
    samples = []
    for _ in range(runs):
        if setup is not None:
            setup()
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def first_use_ms(runs: int) -> float:
    code = (
        "import time; t = time.perf_counter()\n"
        "from chattui.core.tokens import counter_for_model\n"
        "counter_for_model('gpt-4o').count('hello')\n"
        "print((time.perf_counter() - t) * 1000)\n"
    )
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        samples.append(float(out.stdout))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (default 7)")
    runs = parser.parse_args().runs

    print(f"python {sys.version.split()[0]}, median of {runs} runs")
    print(
        f"first use in a fresh process (import + load o200k + count): {first_use_ms(runs):8.1f} ms"
    )
    for name in tokens.EXACT_ENCODINGS:
        spec = encodings._SPECS[name]
        path = tokens.bundled_ranks_path(name)
        parse = median_ms(runs, functools.partial(load_ranks, path, spec.sha256))
        load = median_ms(runs, functools.partial(get_encoding, name), encodings._encodings.clear)
        print(f"load {name:<12} total {load:7.1f} ms   (read+gunzip+sha256+parse {parse:6.1f} ms)")

    history = make_history(100_000)
    counter = TokenCounter(counter_for_model("gpt-4o"))
    total = counter.messages(history)
    chars = sum(len(m["content"]) for m in history)
    print(f"history: {len(history)} messages, {chars:,} chars, {total:,} tokens (o200k_base)")

    scratch = median_ms(runs, lambda: counter.messages(history), setup=counter.clear)
    print(f"count 100k-token history from scratch:         {scratch:8.2f} ms")

    counter.messages(history)
    fresh = messages(seed=99)
    extra: list[dict[str, str]] = []

    def add_one() -> None:
        extra.append(next(fresh))
        counter.messages([*history, *extra])

    per = total // len(history)
    print(f"one more message, cache warm (~{per} tokens):    {median_ms(runs, add_one):8.2f} ms")

    prompt = ENGLISH * 8 + CHINESE * 4
    ptok = counter.text(prompt)

    def keystroke() -> None:
        compute_budget("Be concise.", history, prompt, 4096, 128_000, counter)

    print(f"live budget per keystroke (~{ptok}-token prompt): {median_ms(runs, keystroke):8.2f} ms")

    def fit() -> None:
        fit_to_window("Be concise.", history, prompt, 4096, 32_000, counter)

    print(f"fit 100k history to a 32k window, cache warm:  {median_ms(runs, fit):8.2f} ms")


if __name__ == "__main__":
    main()
