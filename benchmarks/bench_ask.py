"""``echo hi | chattui ask`` against the least a Python client can do: a 10-line SDK script.

Both send the same streamed request to the fake server on 127.0.0.1 (``tests/fakeserver``)
and print the reply; each is a fresh process, timed from spawn to exit. Rounds interleave
the contenders (in a new order each round) so machine noise hits them alike; the first round
is an untimed warm-up. Two ways to start, each timed:

- ``cached``: bytecode caches as a user has them after the first run;
- ``no-pyc``: no bytecode cache at all (``PYTHONDONTWRITEBYTECODE`` and an empty
  ``PYTHONPYCACHEPREFIX`` per run): every module compiled from source, as on a first run.

Prints medians of the wall-clock time and of the CPU time (user + system, which a busy
machine disturbs far less; a grandchild process's is not counted), and the ratios
chattui / SDK per way (target: <= 1.15). ``--also DIR`` adds chattui from another source
tree (``PYTHONPATH=DIR``), e.g. an older commit unpacked with
``git archive REV chattui | tar -x -C DIR``, for before/after figures in the same run.

Run: ``UV_PYTHON_DOWNLOADS=never uv run python benchmarks/bench_ask.py [--runs 9]``
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.fakeserver import FakeOpenAI, Reply

SDK_SCRIPT = """\
import sys
from openai import OpenAI

text = sys.stdin.read()
client = OpenAI()
stream = client.chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": text}], stream=True
)
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        sys.stdout.write(chunk.choices[0].delta.content)
print()
"""

REPLY = "Hello! How can I help you today?"
MODES = ("cached", "no-pyc")


def _command(name: str, script: Path) -> list[str]:
    if name == "sdk":
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "chattui", "ask"]


def _environ(
    base: dict[str, str], name: str, mode: str, also: str, scratch: Path
) -> dict[str, str]:
    env = dict(base)
    if name == "chattui-also":
        env["PYTHONPATH"] = also
    if mode == "no-pyc":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(dir=scratch)  # empty: nothing cached
    return env


def _time(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock seconds from spawn to exit, and the CPU seconds (user + system) the
    process used: the CPU time hardly moves with the machine's load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # Not run from the repository: ``-m`` would put it first on sys.path, before PYTHONPATH.
    done = subprocess.run(
        command, input="hi\n", capture_output=True, text=True, env=env, cwd=tempfile.gettempdir()
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or done.stdout.strip() != REPLY:
        raise SystemExit(f"{command} failed ({done.returncode}): {done.stdout}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed rounds (default 9)")
    parser.add_argument("--also", metavar="DIR", help="also time chattui from this tree")
    args = parser.parse_args()
    server = FakeOpenAI(default_reply=Reply(text=REPLY))
    server.start()
    names = ["sdk", "chattui"] + (["chattui-also"] if args.also else [])
    times: dict[tuple[str, str], list[float]] = {(n, m): [] for n in names for m in MODES}
    cpu: dict[tuple[str, str], list[float]] = {(n, m): [] for n in names for m in MODES}
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        script = scratch / "sdk_ask.py"
        script.write_text(SDK_SCRIPT, "utf-8")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHATTUI"))}
        base.update(
            OPENAI_BASE_URL=server.base_url,
            OPENAI_API_KEY="sk-bench-ask",
            CHATTUI_HOME=str(scratch / "home"),
        )
        base.pop("PYTHONPATH", None)
        jobs = list(times)
        for round_ in range(args.runs + 1):
            random.shuffle(jobs)
            for name, mode in jobs:
                env = _environ(base, name, mode, args.also or "", scratch)
                elapsed, used = _time(_command(name, script), env)
                if round_:  # the first round warms caches (disk, bytecode) up
                    times[name, mode].append(elapsed)
                    cpu[name, mode].append(used)
    server.stop()
    print(f"echo hi | ... against a loopback fake server, medians of {args.runs} runs (ms)")
    for mode in MODES:
        print(f"\n{mode}:{'wall':>22}{'CPU':>25}")
        for name in names:
            print(f"  {name:<13}", end="")
            for table in (times, cpu):
                median = statistics.median(table[name, mode])
                ratio = median / statistics.median(table["sdk", mode])
                spread = f"{min(table[name, mode]) * 1000:.0f}-{max(table[name, mode]) * 1000:.0f}"
                print(f"{median * 1000:7.0f} ({spread:>9}) x{ratio:.2f}", end="")
            print()


if __name__ == "__main__":
    main()
