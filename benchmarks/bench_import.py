"""Import and export speed on a generated ChatGPT data export.

Builds ``conversations.json`` with ``--conversations`` conversations of ``--messages``
visible messages each (every fifth reply regenerated, so every conversation has branches; a
hidden system node and a tool call per conversation, Chinese and English text, code blocks),
then measures, medians over ``--runs``:

- ``json.loads`` of the file alone (the baseline: the least any importer must spend);
- reading and checking it into conversations (``read_import_file``), and the ratio to the
  baseline;
- importing it into an empty store (one atomic, fsynced file per conversation);
- importing it again (every conversation already there);
- exporting everything as Markdown, JSON and HTML (rendering only, no writing).

Run: ``UV_PYTHON_DOWNLOADS=never uv run python benchmarks/bench_import.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from chattui.core.export import ExportFormat
from chattui.core.export_files import render
from chattui.core.importer import import_conversations, read_import_file
from chattui.core.storage import ConversationStore

TEXTS = [
    "如何在 Python 里给 requests 设置代理？请给出完整示例。",
    "Here is the fix:\n\n```python\ndef total(items):\n"
    "    return sum(i.price for i in items)\n```\nThe bug was the missing `return`.",
    "量子纠缠是指两个粒子的状态只能作为整体描述。测量其中一个会立即确定另一个的结果。" * 3,
    "Sure. The main points are:\n\n1. Cache the result.\n2. Batch the writes.\n3. Measure first.",
]


def _message(node_id: str, role: str, text: str, stamp: float, **extra: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": stamp,
        "update_time": None,
        "content": {"content_type": "text", "parts": [text]},
        "status": "finished_successfully",
        "end_turn": True,
        "weight": 1.0,
        "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
        "recipient": "all",
        "channel": None,
        **extra,
    }


def make_export(conversations: int, messages: int) -> list[dict[str, Any]]:
    export = []
    for c in range(conversations):
        base = 1_700_000_000.0 + c * 3600
        mapping: dict[str, Any] = {}

        def node(
            node_id: str,
            parent: str | None,
            message: dict[str, Any] | None,
            mapping: dict[str, Any] = mapping,
        ) -> None:
            mapping[node_id] = {"id": node_id, "message": message, "parent": parent}
            mapping[node_id]["children"] = []
            if parent is not None:
                mapping[parent]["children"].append(node_id)

        node(f"c{c}-root", None, None)
        system = _message(f"c{c}-sys", "system", "", base)
        system["metadata"] = {"is_visually_hidden_from_conversation": True}
        node(f"c{c}-sys", f"c{c}-root", system)
        parent = f"c{c}-sys"
        for m in range(messages):
            role = "user" if m % 2 == 0 else "assistant"
            node_id = f"c{c}-m{m}"
            node(node_id, parent, _message(node_id, role, TEXTS[m % len(TEXTS)], base + m))
            if role == "assistant" and m % 10 == 9:  # a regenerated reply beside it
                other = f"c{c}-m{m}-alt"
                node(other, parent, _message(other, role, TEXTS[1], base + m + 0.5))
            parent = node_id
        export.append(
            {
                "title": f"会话 {c} conversation",
                "create_time": base,
                "update_time": base + messages,
                "mapping": mapping,
                "current_node": parent,
                "conversation_id": f"00000000-0000-4000-8000-{c:012d}",
                "id": f"00000000-0000-4000-8000-{c:012d}",
            }
        )
    return export


def median_time(
    runs: int, action: Callable[[], object], setup: Callable[[], None] | None = None
) -> float:
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="chattui-bench-import-"))
    try:
        source = work / "conversations.json"
        source.write_text(json.dumps(make_export(args.conversations, args.messages)), "utf-8")
        size_mb = source.stat().st_size / 1e6
        store_dir = work / "store"

        def fresh_store() -> None:
            shutil.rmtree(store_dir, ignore_errors=True)

        baseline = median_time(args.runs, lambda: json.loads(source.read_bytes()))
        parse = median_time(args.runs, lambda: read_import_file(source))
        parsed = read_import_file(source)
        total_messages = sum(len(c.messages) for c in parsed.conversations)

        def import_all() -> None:
            store = ConversationStore(store_dir)
            store.prepare()
            report = import_conversations(store, parsed)
            assert report.conversations in (0, args.conversations)

        first = median_time(args.runs, import_all, setup=fresh_store)
        again = median_time(args.runs, import_all)
        exports = {
            fmt.value: median_time(args.runs, partial(render, parsed.conversations, fmt))
            for fmt in ExportFormat
        }
        print(
            f"{args.conversations} conversations, {total_messages} messages "
            f"({size_mb:.1f} MB conversations.json), medians of {args.runs} runs"
        )
        print(f"  json.loads alone (baseline)   {baseline * 1000:8.0f} ms")
        print(f"  read and check                {parse * 1000:8.0f} ms  ({parse / baseline:.1f}x)")
        print(f"  import into an empty store    {first * 1000:8.0f} ms")
        print(f"  import again (all duplicates) {again * 1000:8.0f} ms")
        for name, seconds in exports.items():
            print(f"  render all as {name:<4}            {seconds * 1000:8.0f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
