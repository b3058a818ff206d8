"""Command line entry point: ``chattui`` starts the app; subcommands do small jobs.

The one-shot commands live in this package (``ask``, ``tokens``, ``export`` and ``import``),
the parser in :mod:`chattui.cli.parser`. Imports are lazy so that ``--version`` and ``--help``
answer at once and the app's first frame is not delayed by modules it does not need yet.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

__all__ = ["main"]


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    pairs = {
        "model": args.model,
        "base_url": args.base_url,
        "proxy": args.proxy,
        "profile": args.profile,
        "theme": args.theme,
        "language": args.lang,
        "log_level": "debug" if args.debug else None,
    }
    return {key: value for key, value in pairs.items() if value is not None}


def _checked_overrides(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> dict[str, object]:
    """The command-line settings, validated: a bad one exits here (status 2) with the fix,
    instead of opening the app with a warning."""
    from chattui.core.config import ConfigError, validate_value

    overrides = _overrides(args)
    for key, value in overrides.items():
        try:
            overrides[key] = validate_value(key, value)
        except ConfigError as error:
            parser.error(f"argument --{key.replace('_', '-')}: {error.detail}")
    return overrides


def main(argv: Sequence[str] | None = None) -> int:
    """Run chattui with ``argv`` (default: the process arguments); return the exit code."""
    # Start-up creates hundreds of thousands of objects and frees few: collecting cycles
    # meanwhile is wasted work (~10% of the time to the first frame). The app turns the
    # collector back on with its first frame (``ChatApp.on_ready``), other commands at once.
    gc.disable()
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl+C before the app or the request took over
        return 130
    finally:
        gc.enable()


def _exit_now(code: int) -> int:
    """Exit at once with ``code``: everything is written and flushed by now, and the
    interpreter's teardown of openai and tiktoken would add seconds to every one-shot call."""
    import logging
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def _main(argv: Sequence[str] | None) -> int:
    if not (sys.argv[1:] if argv is None else argv):
        # Plain ``chattui``: nothing to parse, so neither build the parser nor import
        # argparse (~10 ms of the first frame).
        from chattui.ui.launch import launch

        return launch({})
    from chattui.cli.parser import build_parsers

    parser, commands = build_parsers()
    args, unknown = parser.parse_known_args(argv)
    if args.paths or args.command not in (None, "open"):
        gc.enable()  # not the app: no first frame to hurry
    if unknown:  # reported by the parser they were given to, with its usage line
        commands.get(args.command or "", parser).error(
            f"unrecognized arguments: {' '.join(unknown)}"
        )
    if args.paths:
        from chattui.core.paths import Paths

        for name, path in Paths.discover().describe().items():
            print(f"{name:<7} {path}")
        return 0
    if args.command == "tokens":
        from chattui.cli.tokens import run

        return run(args.tokens_model, args.chat, sys.stdin.read())
    if args.command == "export":
        from chattui.cli.transfer import export_command

        return export_command(args.ids, args.all, args.format, args.output, args.list)
    if args.command == "import":
        from chattui.cli.transfer import import_command

        return import_command(args.files)
    if args.command == "ask":
        from chattui.cli.ask import AskOptions
        from chattui.cli.ask import run as ask

        options = AskOptions(
            prompt=" ".join(args.prompt),
            model=args.ask_model,
            system=args.system,
            max_tokens=args.max_tokens,
            temperature=args.temperature,
            continue_last=args.ask_continue,
            save=args.save,
            json_output=args.json_output,
            role=args.role,
            profile=args.ask_profile,
        )
        return _exit_now(ask(options, _checked_overrides(parser, args)))
    from chattui.ui.launch import launch

    return launch(
        _checked_overrides(parser, args),
        latest=args.continue_last,
        conversation_id=args.conversation_id if args.command == "open" else "",
        prompt=args.new or "",
    )
