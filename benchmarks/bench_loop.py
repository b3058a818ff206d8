"""The event loop and the process: first frame, typing echo, CPU while streaming, big library, RSS.

Run with ``uv run python benchmarks/bench_loop.py [--runs 5] [--quick]``. Everything runs the
real ``chattui`` (``python -m chattui``) in a pseudo-terminal (120x36) and reads what it paints,
against baselines measured the same way, interleaved, in the same run. Medians (min-max):

1. **First usable frame**: from spawn until the prompt's placeholder is painted (the prompt has
   the focus by then: it is focused while the screen mounts, before its first paint). The
   baseline is a bare Textual app with one focused ``Input`` whose placeholder is the marker.
   Both with bytecode caches (as after an install): ``PYTHONDONTWRITEBYTECODE`` is removed from
   the children's environment and the untimed first round writes the caches.
   Target: chattui / bare <= 1.3x. Then, for both, the time until the screen is stable:
   the last output before ``STABLE_QUIET`` (0.3 s) without any (a cursor blink comes later).
   Target: chattui / bare <= 1.3x.
2. **Startup with 10,000 saved conversations** (small ones, 4 messages each; the index file
   written by an untimed first start, as after any earlier run) against an empty home.
   Target: <= 0.2 s more.
3. **Key echo while a reply streams into a 1,000-message conversation**: ``chattui --continue``
   opens it; a prompt is sent and the fake server streams a long reply at 100 deltas/s; then
   keys are typed one at a time (one every ``--key-gap`` s) and each is timed from its write to
   the pty until the prompt's new text is painted. Baselines: the same conversation with no
   reply streaming, and the bare Input app. Target: median <= 50 ms (p90 and max printed).
4. **CPU at a paced 100 tokens/s**: a new conversation, a reply paced at one 6-character delta
   (one token, as real APIs send them) every 10 ms; the process's CPU time (user + system, all
   threads, from ``/proc/PID/stat``, plus that of its token helper process) over
   ``--cpu-window`` seconds of streaming, divided by the wall time. Baseline: the same process
   idle for the same window. Target: <= 0.25 of a core.
5. **Peak RSS after a 20k-token reply** (unpaced), all of chattui's processes together: a
   thread samples the summed ``VmRSS`` of the app and every child (the token helper, when
   running) every 10 ms from spawn until the reply is painted and the status line says
   "ready"; the peak of that sum is the target's measure (<= 120 MB). Also shown: the app's own
   ``VmHWM`` and ``VmRSS`` from ``/proc/PID/status``, the children's ``VmHWM``, and the sum of
   every living process's peak (an upper bound: their peaks need not coincide). Baselines:
   the same before the reply (warmed up), and the bare Input app.

``--quick`` takes 2 runs of each, fewer keys and shorter windows (about 1.5 minutes).
Every wait has a timeout; children run in their own process groups and are killed on exit.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_app as ba
from benchmarks.sample_reply import sample_reply

ROOT = ba.ROOT
BARE_MARKER = ba.READY_BARE
CHATTUI_MARKER = ba.READY_CHATTUI
STABLE_QUIET = 0.3
"""The screen is stable once nothing was painted for this long (less than a cursor blink)."""
PACED_CHUNK = 6
PACED_DELAY = 0.01
"""One 6-character delta every 10 ms: 100 deltas (tokens) a second."""
ECHO_PREFIX = "Kq"
"""Typed first into the prompt, so that each echo is found as ``Kq`` + the keys so far."""
ECHO_KEYS = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"

RESULTS = ba.RESULTS
measure = ba.measure
BenchError = ba.BenchError


# --------------------------------------------------------------------------- homes


def _store_for(home: Path) -> object:
    sys.path.insert(0, str(ROOT))
    from chattui.core.paths import Paths
    from chattui.core.storage import ConversationStore

    paths = Paths.discover({"CHATTUI_HOME": str(home)})
    store = ConversationStore(paths.conversations_dir)
    store.prepare()
    return store


def write_big_conversation(home: Path, messages: int = 1000) -> str:
    """A conversation of ``messages`` messages (Markdown replies of ~150 tokens); its id."""
    from chattui.core.models import Conversation, Message, Role
    from chattui.core.storage import ConversationStore

    store = _store_for(home)
    assert isinstance(store, ConversationStore)
    conversation = Conversation(title="A long conversation", model="gpt-4o-mini")
    for turn in range(messages // 2):
        conversation.add(Message(Role.USER, f"Question {turn}: how does part {turn} work?"))
        conversation.add(Message(Role.ASSISTANT, sample_reply(150, seed=turn)))
    store.save(conversation)
    store.flush_index()
    return conversation.id


def write_small_library(home: Path, conversations: int) -> None:
    """``conversations`` small conversations (4 messages each) in chattui's format."""
    import json

    from chattui.core.models import Conversation, Message, Role

    store = _store_for(home)
    directory: Path = store.directory  # type: ignore[attr-defined]
    for index in range(conversations):
        created = 1.6e9 + index * 600.0
        conversation = Conversation(
            id=f"lib{index:06d}", title=f"Conversation {index}", created=created
        )
        for turn in range(2):
            conversation.add(Message(Role.USER, f"Question {turn} of {index}?", created=created))
            conversation.add(Message(Role.ASSISTANT, f"Answer {turn} of {index}.", created=created))
        conversation.updated = created + 60
        data = json.dumps(conversation.to_dict(), ensure_ascii=False)
        (directory / f"{conversation.id}.json").write_text(data, "utf-8")


# --------------------------------------------------------------------------- /proc


def descendants(pid: int) -> list[int]:
    """The living child processes of ``pid``, and theirs (chattui's token helper)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                for child in map(int, children.read().split()):
                    found += [child, *descendants(child)]
    return found


def cpu_seconds(pid: int, family: bool = True) -> float:
    """User + system CPU time of process ``pid`` (all its threads) and, with ``family``, of
    its living descendants (the token helper counts for the app), in seconds."""
    total = 0
    for member in (pid, *descendants(pid)) if family else (pid,):
        with contextlib.suppress(OSError), open(f"/proc/{member}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmHWM, VmRSS) of process ``pid``, in MB (10^6 bytes)."""
    values: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0]) * 1024 / 1e6
    return values["VmHWM"], values["VmRSS"]


def _cmdline(pid: int) -> bytes:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return cmdline.read()
    return b""


def tree_rss_mb(pid: int) -> float:
    """``VmRSS`` of process ``pid`` and all its living descendants together, in MB. A child
    still running the app's command line is a fork not yet turned into its program: it
    shares the app's pages (counted once, with the app)."""
    total = 0.0
    own = _cmdline(pid)
    for member in (pid, *descendants(pid)):
        if member != pid and _cmdline(member) == own:
            continue
        with contextlib.suppress(OSError, KeyError):
            total += memory_mb(member)[1]
    return total


class TreeSampler:
    """Samples the summed RSS of a process tree (the app and every child) in a thread, every
    ``interval`` seconds: its peak is what all of the app's processes took together at once,
    including a child that has ended since (a helper stopped when idle)."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        import threading

        self.pid = pid
        self.peak = 0.0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, tree_rss_mb(self.pid))

    def take(self) -> float:
        """The peak so far (sampled once more now), and start again from zero."""
        peak = max(self.peak, tree_rss_mb(self.pid))
        self.peak = 0.0
        return peak

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


# --------------------------------------------------------------------------- apps


class Apps:
    """The programs compared, with a scratch dir for the bare app and the homes."""

    def __init__(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="chattui-bench-loop-"))
        self.bare = self.scratch / "bare_app.py"
        self.bare.write_text(ba.BARE_APP, encoding="utf-8")

    def home(self, name: str) -> Path:
        path = self.scratch / name
        path.mkdir(exist_ok=True)
        return path

    def bare_argv(self) -> list[str]:
        return [ba._python(), str(self.bare)]

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


def start_chattui(home: Path, base_url: str, *args: str, settle: float = 0.0) -> ba.PtyApp:
    app = ba.PtyApp([*ba.chattui_argv(), *args], ba.chattui_env(home, base_url))
    try:
        app.wait_for(CHATTUI_MARKER, 60)
        if settle:
            app.drain(settle)  # the warm-up after the first frame: openai, the tokenizer
    except BenchError:
        app.close()
        raise
    return app


def type_keys(app: ba.PtyApp, count: int, gap: float, timeout: float = 10.0) -> list[float]:
    """Type ``count`` keys one by one into the focused prompt; each key's echo time."""
    app.send(ECHO_PREFIX.encode())
    app.wait_for(ECHO_PREFIX.encode(), timeout)
    app.drain(gap)
    typed = ECHO_PREFIX
    times: list[float] = []
    for key in ECHO_KEYS[:count]:
        typed += key
        start = time.perf_counter()
        app.send(key.encode())
        times.append(app.wait_for(typed.encode(), timeout, since=start))
        app.drain(gap)
    return times


def send_prompt(app: ba.PtyApp, text: str) -> None:
    app.send(text.encode())
    app.wait_for(text[-12:].encode(), 10)
    app.drain(0.2)
    app.send(b"\r")


# --------------------------------------------------------------------------- 1-2. startup


def bench_startup(apps: Apps, runs: int, library: int) -> None:
    print("first usable frame (pty 120x36)", file=sys.stderr, flush=True)
    empty = apps.home("empty")
    big = apps.home("library")
    started = time.perf_counter()
    write_small_library(big, library)
    print(
        f"  wrote {library:,} conversations in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    url = "http://127.0.0.1:9/v1"  # nothing listens: the first frame must not need the network
    cpu: dict[str, list[float]] = {"bare": [], "chattui": [], "library": []}
    stable: dict[str, list[float]] = {"bare": [], "chattui": [], "library": []}

    def frame(argv: list[str], env: dict[str, str], marker: bytes, key: str) -> float:
        """Wall time to the first frame; the CPU time the process used by then goes to
        ``cpu[key]`` (less sensitive than wall time to other work on the machine), and the
        time until the screen stops changing (nothing painted for ``STABLE_QUIET``) to
        ``stable[key]``."""
        app = ba.PtyApp(argv, env)
        try:
            elapsed = app.wait_for(marker, 60)
            cpu[key].append(cpu_seconds(app.proc.pid))
            stable[key].append(app.wait_quiet(STABLE_QUIET, 30))
            app.quit()
        finally:
            app.close()
        return elapsed

    def bare() -> float:
        return frame(apps.bare_argv(), ba._env(), BARE_MARKER, "bare")

    def chattui(home: Path, key: str) -> Callable[[], float]:
        return lambda: frame(ba.chattui_argv(), ba.chattui_env(home, url), CHATTUI_MARKER, key)

    for index in range(runs):
        warm = 1 if index == 0 else 0  # writes the bytecode caches and the library's index
        measure("start.bare", "bare Textual app (one Input)", 1, bare, warm)
        measure("start.chattui", "chattui, empty home", 1, chattui(empty, "chattui"), warm)
        name = f"chattui, {library:,} conversations"
        measure("start.library", name, 1, chattui(big, "library"), warm)
    for key, name in (
        ("bare", "bare Textual app"),
        ("chattui", "chattui, empty home"),
        ("library", f"chattui, {library:,} conversations"),
    ):
        RESULTS[f"startcpu.{key}"] = ba.Result(f"CPU to first frame: {name}", cpu[key][1:])
    for key, name in (("bare", "bare Textual app"), ("chattui", "chattui, empty home")):
        RESULTS[f"stable.{key}"] = ba.Result(f"screen stable: {name}", stable[key][1:])


# --------------------------------------------------------------------------- 3. echo


def bench_echo(apps: Apps, runs: int, keys: int, gap: float) -> None:
    print("typing echo (pty 120x36)", file=sys.stderr, flush=True)
    template = apps.home("echo")
    write_big_conversation(template, 1000)
    text = sample_reply(20000)
    idle: list[float] = []
    streaming: list[float] = []
    bare: list[float] = []
    url = _paced_server(text)
    for index in range(runs):
        # A copy per run: a killed app may have saved part of its reply.
        home = apps.scratch / f"echo{index}"
        shutil.copytree(template, home)
        app = start_chattui(home, url, "--continue", settle=3.0)
        try:
            idle += type_keys(app, keys, gap)
        finally:
            app.close()
        home = apps.scratch / f"echo{index}s"
        shutil.copytree(template, home)
        app = start_chattui(home, url, "--continue", settle=3.0)
        try:
            send_prompt(app, "Write the long answer, slowly.")
            app.drain(1.0)  # the reply is streaming (and being painted)
            streaming += type_keys(app, keys, gap)
        finally:
            app.close()
        bare_app = ba.PtyApp(apps.bare_argv(), ba._env())
        try:
            bare_app.wait_for(BARE_MARKER, 60)
            bare += type_keys(bare_app, keys, gap)
        finally:
            bare_app.close()
    _keep("echo.bare", "echo: bare Input app", bare)
    _keep("echo.idle", "echo: 1,000 messages, idle", idle)
    _keep("echo.stream", "echo: 1,000 messages, streaming", streaming)


_paced: list[PacedServer] = []


class PacedServer(ba.Server):
    """``tests.fakeserver`` pacing its deltas (``--delay``)."""

    def start(self, timeout: float = 30.0) -> PacedServer:
        import select
        import subprocess

        reply = Path(self._dir.name) / "reply.md"
        reply.write_text(self.text, encoding="utf-8")
        argv = [
            ba._python(), "-m", "tests.fakeserver", "--port", "0", "--reply-file", str(reply),
            "--chunk-size", str(PACED_CHUNK), "--delay", str(PACED_DELAY), "--quiet",
        ]  # fmt: skip
        self.proc = ba._spawn(
            argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ba._env()
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise BenchError(f"the fake server did not start (said {line!r})")
        self.base_url = line
        return self


def _paced_server(text: str) -> str:
    server = PacedServer(text).start()
    _paced.append(server)
    return server.base_url


def _keep(key: str, name: str, samples: list[float]) -> None:
    RESULTS[key] = ba.Result(name, samples)
    shown = ", ".join(f"{s * 1000:.0f}" for s in samples[:12])
    print(f"  {name:<44} ms: {shown}{' ...' if len(samples) > 12 else ''}", file=sys.stderr)


# --------------------------------------------------------------------------- 4. CPU


def bench_cpu(apps: Apps, runs: int, window: float) -> None:
    print(f"CPU while a reply streams at 100 deltas/s ({window:g} s windows)", file=sys.stderr)
    home = apps.home("cpu")
    text = sample_reply(20000)
    url = _paced_server(text)
    idle: list[float] = []
    busy: list[float] = []
    helper: list[float] = []
    for _ in range(runs):
        app = start_chattui(home, url, "--new", settle=3.0)
        try:
            pid = app.proc.pid
            wall, cpu = time.perf_counter(), cpu_seconds(pid)
            app.drain(window)
            idle.append((cpu_seconds(pid) - cpu) / (time.perf_counter() - wall))
            send_prompt(app, "Write the long answer, slowly.")
            app.drain(1.0)
            wall, cpu, own = time.perf_counter(), cpu_seconds(pid), cpu_seconds(pid, False)
            app.drain(window)
            elapsed = time.perf_counter() - wall
            busy.append((cpu_seconds(pid) - cpu) / elapsed)
            helper.append(busy[-1] - (cpu_seconds(pid, False) - own) / elapsed)
            if app.eof:
                raise BenchError("chattui exited while streaming")
        finally:
            app.close()
    RESULTS["cpu.idle"] = ba.Result("CPU: idle (cores)", idle)
    RESULTS["cpu.stream"] = ba.Result("CPU: streaming 100/s (cores)", busy)
    RESULTS["cpu.helper"] = ba.Result("CPU: of which the token helper (cores)", helper)
    print(f"  idle {idle}\n  streaming {busy}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- 5. RSS


def bench_rss(apps: Apps, runs: int, tokens: int, timeout: float) -> None:
    print(f"RSS after a {tokens:,}-token reply", file=sys.stderr, flush=True)
    text = ba.reply_text(tokens)
    peaks: list[float] = []
    after: list[float] = []
    warm_peaks: list[float] = []
    warm: list[float] = []
    bare: list[float] = []
    helper: list[float] = []
    tree_warm: list[float] = []
    tree: list[float] = []
    tree_hwm: list[float] = []
    with ba.Server(text) as server:
        for index in range(runs):
            home = apps.home(f"rss{index}")
            app = ba.PtyApp([*ba.chattui_argv()], ba.chattui_env(home, server.base_url))
            sampler = TreeSampler(app.proc.pid)
            try:
                app.wait_for(CHATTUI_MARKER, 60)
                app.drain(4.0)  # the warm-up after the first frame
                peak, rss = memory_mb(app.proc.pid)
                warm_peaks.append(peak)
                warm.append(rss)
                tree_warm.append(sampler.take())
                send_prompt(app, "Please write the long answer.")
                app.wait_for(ba.SENTINEL.encode(), timeout)
                with contextlib.suppress(BenchError):
                    app.wait_for(ba.READY_STATUS, 10)
                app.drain(1.0)
                peak, rss = memory_mb(app.proc.pid)
                peaks.append(peak)
                after.append(rss)
                helpers = [memory_mb(child)[0] for child in descendants(app.proc.pid)]
                helper.append(sum(helpers))
                tree_hwm.append(peak + sum(helpers))
                tree.append(max(sampler.take(), tree_warm[-1]))
            finally:
                sampler.close()
                app.close()
            bare_app = ba.PtyApp(apps.bare_argv(), ba._env())
            try:
                bare_app.wait_for(BARE_MARKER, 60)
                bare_app.drain(0.5)
                bare.append(memory_mb(bare_app.proc.pid)[0])
            finally:
                bare_app.close()
    k = ba._k(tokens)
    mb = 1e-3  # shown as "ms" by the report: store MB / 1000 so that it prints MB
    RESULTS["rss.bare"] = ba.Result("RSS: bare Input app, peak (MB)", [v * mb for v in bare])
    RESULTS["rss.warm_peak"] = ba.Result(
        "RSS: chattui warmed up, peak (MB)", [v * mb for v in warm_peaks]
    )
    RESULTS["rss.warm"] = ba.Result("RSS: chattui warmed up, now (MB)", [v * mb for v in warm])
    RESULTS["rss.peak"] = ba.Result(f"RSS: after a {k} reply, peak (MB)", [v * mb for v in peaks])
    RESULTS["rss.after"] = ba.Result(f"RSS: after a {k} reply, now (MB)", [v * mb for v in after])
    RESULTS["rss.helper"] = ba.Result(
        "RSS: token helper process, peak (MB)", [v * mb for v in helper]
    )
    RESULTS["rss.total"] = ba.Result(
        "RSS: app + children, sum of peaks (MB)", [v * mb for v in tree_hwm]
    )
    RESULTS["rss.tree_warm"] = ba.Result(
        "RSS: all processes warmed up, peak (MB)", [v * mb for v in tree_warm]
    )
    RESULTS["rss.tree"] = ba.Result(
        f"RSS: all processes to a {k} reply, peak (MB)", [v * mb for v in tree]
    )


# --------------------------------------------------------------------------- report


def _paired_ratio(key: str, base: str) -> float | None:
    """The median of ``key / base`` over the rounds (the two are measured one after the other
    in each round, so a slow spell of the machine weighs on both); None if a run failed."""
    x, y = RESULTS.get(key), RESULTS.get(base)
    if x is None or y is None or x.errors or y.errors or len(x.samples) != len(y.samples):
        return None
    return statistics.median(a / b for a, b in zip(x.samples, y.samples, strict=True) if b)


def _median(key: str) -> float | None:
    result = RESULTS.get(key)
    return result.median if result is not None else None


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def report() -> None:
    print()
    print(
        f"chattui loop benchmark: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"medians (min-max)"
    )
    print()
    for key, result in RESULTS.items():
        if not result.samples:
            print(f"  {result.name:<42} {'—':>10}  {len(result.errors)} failed")
            continue
        lo, hi = min(result.samples), max(result.samples)
        median = statistics.median(result.samples)
        if key.startswith("cpu."):
            shown, spread = f"{median:.3f}", f"({lo:.3f}-{hi:.3f})"
        elif key.startswith("rss."):
            shown, spread = f"{median * 1000:.0f} MB", f"({lo * 1000:.0f}-{hi * 1000:.0f})"
        else:
            shown, spread = f"{median * 1000:,.0f} ms", f"({lo * 1000:,.0f}-{hi * 1000:,.0f})"
        if key.startswith("echo."):
            spread += f" p90 {_pct(result.samples, 0.9) * 1000:.0f}"
        failed = f"  {len(result.errors)} failed" if result.errors else ""
        print(f"  {result.name:<42} {shown:>10}  {spread}{failed}")
    print()
    print("targets")
    rows: list[tuple[str, str, str]] = []
    bare, chat, lib = _median("start.bare"), _median("start.chattui"), _median("start.library")
    if bare and chat:
        rows.append(("first frame: chattui / bare Input app", f"{chat / bare:.2f}x", "<= 1.3x"))
    paired = _paired_ratio("start.chattui", "start.bare")
    if paired is not None:
        rows.append(("  (median of each round's ratio)", f"{paired:.2f}x", "<= 1.3x"))
    cpu_bare, cpu_chat = _median("startcpu.bare"), _median("startcpu.chattui")
    if cpu_bare and cpu_chat:
        rows.append(("  (CPU time: chattui / bare)", f"{cpu_chat / cpu_bare:.2f}x", "<= 1.3x"))
    stable_bare, stable_chat = _median("stable.bare"), _median("stable.chattui")
    if stable_bare and stable_chat:
        ratio = f"{stable_chat / stable_bare:.2f}x"
        rows.append(("screen stable: chattui / bare Input app", ratio, "<= 1.3x"))
    paired = _paired_ratio("stable.chattui", "stable.bare")
    if paired is not None:
        rows.append(("  (median of each round's ratio)", f"{paired:.2f}x", "<= 1.3x"))
    if chat and lib:
        delta = f"{(lib - chat) * 1000:+.0f} ms"
        rows.append(("10,000 conversations - empty home", delta, "<= 200 ms"))
    cpu_lib = _median("startcpu.library")
    if cpu_chat and cpu_lib:
        rows.append(("  (CPU time)", f"{(cpu_lib - cpu_chat) * 1000:+.0f} ms", "<= 200 ms"))
    echo = _median("echo.stream")
    if echo is not None:
        rows.append(("echo while streaming (median)", f"{echo * 1000:.0f} ms", "<= 50 ms"))
    cpu = _median("cpu.stream")
    if cpu is not None:
        rows.append(("CPU at 100 tokens/s", f"{cpu:.3f}", "<= 0.25"))
    peak = _median("rss.tree")
    if peak is not None:
        rows.append(("peak RSS, all processes (sampled)", f"{peak * 1000:.0f} MB", "<= 120 MB"))
    peak = _median("rss.total")
    if peak is not None:
        rows.append(("  (sum of each process's peak)", f"{peak * 1000:.0f} MB", "<= 120 MB"))
    for name, value, goal in rows:
        print(f"  {name:<42} {value:>10}   goal {goal}")
    errors = [(r.name, e) for r in RESULTS.values() for e in r.errors]
    if errors:
        print()
        print(f"{len(errors)} failed runs:")
        for name, error in errors:
            print(f"  {name}: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 runs, fewer keys, short windows")
    parser.add_argument("--only", default="startup,echo,cpu,rss", help="which parts (all)")
    parser.add_argument("--library", type=int, default=10000, help="conversations (10000)")
    parser.add_argument("--keys", type=int, default=20, help="keys typed per echo run (20)")
    parser.add_argument("--key-gap", type=float, default=0.15, help="seconds between keys")
    parser.add_argument("--cpu-window", type=float, default=8.0, help="seconds (default 8)")
    parser.add_argument("--rss-tokens", type=int, default=20000, help="reply size (20000)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per reply")
    args = parser.parse_args()
    runs = 2 if args.quick else max(args.runs, 1)
    keys = 10 if args.quick else args.keys
    window = 4.0 if args.quick else args.cpu_window
    parts = {part.strip() for part in args.only.split(",")}

    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    atexit.register(ba._kill_all)
    signal.signal(signal.SIGTERM, ba._on_signal)
    signal.signal(signal.SIGHUP, ba._on_signal)
    began = time.perf_counter()
    apps = Apps()
    try:
        if "startup" in parts:
            bench_startup(apps, runs, args.library)
        if "echo" in parts:
            bench_echo(apps, min(runs, 3), keys, args.key_gap)
        if "cpu" in parts:
            bench_cpu(apps, min(runs, 3), window)
        if "rss" in parts:
            bench_rss(apps, min(runs, 3), args.rss_tokens, args.timeout)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    finally:
        for server in _paced:
            server.stop()
        ba._kill_all()
        apps.close()
    report()
    print(f"\ntotal time {time.perf_counter() - began:.0f} s")
    return 1 if any(r.errors for r in RESULTS.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
