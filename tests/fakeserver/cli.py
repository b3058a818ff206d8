"""`python -m tests.fakeserver`: serve a fake OpenAI API on 127.0.0.1 until killed."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from tests.fakeserver.models import DEFAULT_MODELS
from tests.fakeserver.replies import DEMO_MARKDOWN, Reply
from tests.fakeserver.server import FakeOpenAI

__all__ = ["main"]


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakeserver", description="Run a fake OpenAI server on 127.0.0.1."
    )
    parser.add_argument("--port", type=int, default=8765, help="port (0 = random)")
    parser.add_argument("--reply-file", help="reply with the contents of this file")
    parser.add_argument("--echo", action="store_true", help="echo the last user message")
    parser.add_argument("--chunk-size", type=int, default=3, help="characters per delta")
    parser.add_argument("--delay", type=float, default=None, help="seconds between deltas")
    parser.add_argument("--key", default=None, help="require this API key")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the reply text N times")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.echo:
        text: str | None = None
        delay = 0.0 if args.delay is None else args.delay
    else:
        if args.reply_file:
            text = Path(args.reply_file).read_text(encoding="utf-8")
        else:
            text = DEMO_MARKDOWN
        delay = 0.02 if args.delay is None else args.delay
    if text is not None:
        text = text * max(args.repeat, 1)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    server = FakeOpenAI(
        port=args.port,
        api_key=args.key,
        models=[m for m in args.models.split(",") if m],
        default_reply=Reply(text=text, chunk_size=args.chunk_size, delay=delay),
        log=None if args.quiet else log,
    )

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    server.start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
