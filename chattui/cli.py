"""Command line entry point: ``chattui`` starts the app; subcommands do small jobs.

Imports are lazy so that ``--version`` and ``--help`` answer at once and the app's first frame
is not delayed by modules it does not need yet.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chattui import __version__

if TYPE_CHECKING:
    import argparse

__all__ = ["main"]


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The top-level parser and the ``tokens`` subcommand's (which reports its own errors)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="chattui",
        description="A fast, keyboard-driven terminal chat client for the OpenAI API and "
        "OpenAI-compatible endpoints (DeepSeek, Qwen, Ollama, vLLM, LM Studio...).",
        epilog="The API key comes from OPENAI_API_KEY, the credentials file (set it in the "
        "app's Settings, F2) or api_key_command in config.toml. Run 'chattui --paths' to see "
        "where files are kept.",
    )
    parser.add_argument("--version", action="version", version=f"chattui {__version__}")
    parser.add_argument(
        "--paths", action="store_true", help="print the config, data, cache and themes dirs"
    )
    parser.add_argument("--model", help="model to use (overrides config and environment)")
    parser.add_argument("--base-url", help="API base URL, e.g. http://localhost:11434/v1")
    parser.add_argument("--proxy", help="proxy URL: http://, https://, socks5:// or socks5h://")
    parser.add_argument(
        "--profile", metavar="NAME", help="endpoint profile for this run ([profiles.NAME])"
    )
    parser.add_argument("--theme", help="theme name")
    parser.add_argument("--lang", choices=["auto", "en", "zh"], help="UI language")
    parser.add_argument(
        "--debug", action="store_true", help="write a debug log (see --paths) for this run"
    )
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--continue", dest="continue_last", action="store_true",
        help="open the most recent conversation",
    )  # fmt: skip
    start.add_argument(
        "--new", nargs="?", const="", metavar="PROMPT",
        help="start a new conversation, sending PROMPT at once if given",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _ask_parser(sub)
    opener = sub.add_parser(
        "open",
        help="open a saved conversation",
        description="Open the conversation with this id (or the only one whose id starts "
        "with it). Ids are the file names in the data dir's conversations folder.",
    )
    opener.add_argument("conversation_id", metavar="ID")
    tokens = sub.add_parser(
        "tokens",
        help="count the tokens of the text on standard input",
        description="Count the tokens of the text on standard input and print the number.",
    )
    tokens.add_argument("--model", dest="tokens_model", help="model whose tokenizer to use")
    tokens.add_argument(
        "--chat", action="store_true", help="count as one user message with the chat overhead"
    )
    _transfer_parsers(sub)
    return parser, tokens


def _transfer_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser(
        "export",
        help="write conversations as Markdown, JSON or HTML",
        description="Write conversations as Markdown (the branch on screen), our JSON (exact, "
        "can be imported back) or one self-contained HTML page. Standard output by default.",
    )
    export.add_argument("ids", nargs="*", metavar="ID", help="conversation ids (or prefixes)")
    export.add_argument("--all", action="store_true", help="every conversation")
    export.add_argument("--list", action="store_true", help="list the conversations and ids")
    export.add_argument(
        "--format", choices=["md", "json", "html"], help="default: from -o's extension, else md"
    )
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE|DIR",
        help="a file (one document) or a directory "
        "(one file per conversation; end it with / to create it)",
    )
    importer = sub.add_parser(
        "import",
        help="import conversations (chattui JSON, ChatGPT export .json or .zip)",
        description="Import conversations from our JSON export or from the official ChatGPT "
        "data export (conversations.json, or the .zip holding it). Conversations already "
        "there are skipped; a malformed file imports nothing.",
    )
    importer.add_argument("files", nargs="+", metavar="FILE")


def _ask_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ask = sub.add_parser(
        "ask",
        help="ask one question; the answer goes to stdout",
        description="Ask one question and print the answer: plain text to a pipe, Markdown "
        "in a terminal. With text piped to stdin, stdin is the input and PROMPT the "
        "instruction, e.g. git diff | chattui ask 'review this'.",
        epilog="Exit status: 0 ok, 1 other failure, 2 usage, 3 auth (key missing or "
        "rejected), 4 network (connect, proxy, timeout), 5 server (4xx/5xx, bad reply), "
        "130 interrupted.",
    )
    ask.add_argument("prompt", nargs="*", metavar="PROMPT", help="the question or instruction")
    ask.add_argument("--model", dest="ask_model", metavar="MODEL", help="model to use")
    ask.add_argument("--system", help="system prompt")
    ask.add_argument("--max-tokens", metavar="N", help="upper bound for the reply's length")
    ask.add_argument("--temperature", metavar="T", help="0 to 2")
    ask.add_argument(
        "--continue", dest="ask_continue", action="store_true",
        help="append to the most recent conversation (saved)",
    )  # fmt: skip
    ask.add_argument("--role", metavar="NAME", help="start from a role (its id or name)")
    ask.add_argument(
        "--profile", dest="ask_profile", metavar="NAME",
        help="the endpoint profile to ask ([profiles.NAME] in config.toml)",
    )  # fmt: skip
    ask.add_argument("--save", action="store_true", help="save as a new conversation")
    ask.add_argument(
        "--json", dest="json_output", action="store_true",
        help="print the final message and its usage as one JSON object",
    )  # fmt: skip


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
    parser, tokens = _parser()
    args, unknown = parser.parse_known_args(argv)
    if args.paths or args.command not in (None, "open"):
        gc.enable()  # not the app: no first frame to hurry
    if unknown:  # reported by the parser they were given to, with its usage line
        (tokens if args.command == "tokens" else parser).error(
            f"unrecognized arguments: {' '.join(unknown)}"
        )
    if args.paths:
        from chattui.core.paths import Paths

        for name, path in Paths.discover().describe().items():
            print(f"{name:<7} {path}")
        return 0
    if args.command == "tokens":
        from chattui.tokens_cli import run

        return run(args.tokens_model, args.chat, sys.stdin.read())
    if args.command == "export":
        from chattui.transfer import export_command

        return export_command(args.ids, args.all, args.format, args.output, args.list)
    if args.command == "import":
        from chattui.transfer import import_command

        return import_command(args.files)
    if args.command == "ask":
        from chattui.ask import AskOptions
        from chattui.ask import run as ask

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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
