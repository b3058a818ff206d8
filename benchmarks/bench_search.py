"""Search benchmark: a 10,000-conversation library (~1M messages), index build and query latency.

Run with ``uv run python benchmarks/bench_search.py [--conversations 10000] [--repeats 5]``.

1. The library (``search_library.py``: English, Chinese and mixed conversations, 20-180
   messages each) is written to ``--library`` once and reused by later runs with the same
   size.
2. **Build**: a fresh index built from the JSON files by :class:`SearchIndex` (the writer
   thread, exactly as the app does it at start-up), timed until it is idle; plus the index's
   size, and a no-op sync (nothing changed: what every start-up and every Ctrl+F costs).
3. **Save**: what a save costs the UI thread (the store's listener call) for a 100-message
   conversation, and how long until the change is searchable.
4. **Queries**: several queries of each kind (common and rare English words, a two-word query,
   one- and two-letter English, one-, two- and 3+-character Chinese, mixed, no match), each
   repeated; the median per kind and over all queries, against the 100 ms target. The first
   query after opening (cold page cache of the process) is reported separately.
5. **Baseline**: the same rare-word queries answered by a LIKE scan of every message (what
   "no index" would cost at best), in the same run, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.search_library import vocabulary, write_library
from chattui.core.models import Message, Role
from chattui.core.search import SearchIndex
from chattui.core.storage import ConversationStore

TARGET_MS = 100.0


def ensure_library(directory: Path, conversations: int, seed: int) -> int:
    """Write the library unless ``directory`` already holds this one; return its messages."""
    marker = directory / ".library.json"
    wanted = {"conversations": conversations, "seed": seed}
    if marker.exists():
        saved = json.loads(marker.read_text())
        if {k: saved.get(k) for k in wanted} == wanted:
            return int(saved["messages"])
    shutil.rmtree(directory, ignore_errors=True)
    started = time.perf_counter()
    messages = write_library(directory, conversations, seed)
    print(
        f"library written: {conversations:,} conversations, {messages:,} messages "
        f"in {time.perf_counter() - started:.0f} s"
    )
    marker.write_text(json.dumps({**wanted, "messages": messages}))
    return messages


def query_set(seed: int) -> dict[str, list[str]]:
    vocab = vocabulary(seed)
    return {
        "english common word": ["server", "proxy", "model", "terminal", "cache"],
        "english rare word": vocab.rare_english(5),
        "english two words": ["proxy server", "retry timeout", "theme layout", "the cache"],
        "english 1-2 letters": ["go", "ai", "db", "z"],
        "chinese 1 char": ["猫", "代", "理", "鬱"],
        "chinese 2 chars common": ["代理", "配置", "网络", "缓存", "日志"],
        "chinese 2 chars rare": vocab.rare_chinese_pairs(5),
        "chinese 3+ chars": ["服务器", "数据库", "快捷键", "代理服务器", "用户界面"],
        "mixed": ["proxy 代理", "python 服务器", "go 配置"],
        "no match": ["zzqxjv", "鬰鬲鬯", "xq", "qqqqqq"],
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def run(args: argparse.Namespace) -> None:
    library = Path(args.library)
    messages = ensure_library(library, args.conversations, args.seed)
    work = Path(tempfile.mkdtemp(prefix="chattui-bench-search-"))
    index_path = work / "search.sqlite3"
    try:
        # -- build -------------------------------------------------------------------------
        index = SearchIndex(index_path, library)
        started = time.perf_counter()
        index.start()
        assert index.wait_idle(3600), "the build did not finish"
        build = time.perf_counter() - started
        size = sum(p.stat().st_size for p in work.iterdir())
        print(
            f"\nbuild from {args.conversations:,} files ({messages:,} messages): "
            f"{build:.1f} s ({messages / build:,.0f} messages/s), index {size / 1e6:,.0f} MB"
        )
        syncs = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            index.sync()
            index.wait_idle(600)
            syncs.append(time.perf_counter() - started)
        print(
            f"no-op sync (nothing changed), median of {args.repeats}: "
            f"{ms(statistics.median(syncs))}"
        )

        # -- a save ------------------------------------------------------------------------
        store = ConversationStore(library)
        store.listeners.append(index)
        conversation = store.load("bench000000")
        path = store.path_for(conversation.id)
        listener, searchable = [], []
        for run_number in range(args.repeats):
            word = f"freshword{run_number}x"
            conversation.add(Message(Role.USER, f"a new turn with {word} in it"))
            started = time.perf_counter()
            store.save(conversation)
            index.wait_idle(60)
            assert index.search(word).hits, "the saved turn is not searchable"
            searchable.append(time.perf_counter() - started)
            stat = path.stat()
            for _ in range(100):  # the call a save makes on the saving thread, alone
                started = time.perf_counter()
                index.saved(conversation, stat)
                listener.append(time.perf_counter() - started)
            index.wait_idle(60)
        print(
            f"save of a {len(conversation.messages)}-message conversation: listener call "
            f"{statistics.median(listener) * 1e6:.0f} µs on the saving thread, "
            f"searchable {ms(statistics.median(searchable))} after the save began"
        )

        # -- queries -----------------------------------------------------------------------
        cold = SearchIndex(index_path, library)
        started = time.perf_counter()
        first = cold.search("proxy")
        print(
            f"first query in a new process state (opens the file): "
            f"{ms(time.perf_counter() - started)} ({len(first.hits)} hits)"
        )
        cold.close()
        print(f"\nqueries (each repeated {args.repeats} times; median):")
        everything: list[float] = []
        kind_medians: dict[str, float] = {}
        for kind, queries in query_set(args.seed).items():
            times: list[float] = []
            hits = []
            for query in queries:
                for _ in range(args.repeats):
                    started = time.perf_counter()
                    result = index.search(query)
                    times.append(time.perf_counter() - started)
                hits.append(len(result.hits))
            kind_medians[kind] = statistics.median(times)
            everything.extend(times)
            print(
                f"  {kind:24s} {ms(kind_medians[kind])}   max {ms(max(times))}   "
                f"conversations found: {hits}"
            )
        overall = statistics.median(everything)
        worst = max(kind_medians.values())
        print(
            f"\nall queries: median {ms(overall)}, p90 "
            f"{ms(statistics.quantiles(everything, n=10)[-1])}, slowest kind {ms(worst)} "
            f"(target <= {TARGET_MS:.0f} ms: {'met' if worst * 1000 <= TARGET_MS else 'MISSED'})"
        )

        # -- baseline ----------------------------------------------------------------------
        db = sqlite3.connect(index_path)
        baseline: list[float] = []
        for word in query_set(args.seed)["english rare word"][:2]:
            started = time.perf_counter()
            db.execute("SELECT count(*) FROM docs WHERE body LIKE ?", (f"%{word}%",)).fetchone()
            baseline.append(time.perf_counter() - started)
        db.close()
        rare = kind_medians["english rare word"]
        print(
            f"baseline LIKE scan of every message (rare word): {ms(statistics.median(baseline))}"
            f" = {statistics.median(baseline) / max(rare, 1e-9):,.0f}x the indexed query"
        )
        index.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--library",
        default=os.path.join(tempfile.gettempdir(), "chattui-bench-search-library"),
        help="where the generated library is kept between runs",
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
