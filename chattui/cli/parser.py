"""The ``chattui`` command line's parser: options, and one subparser per command.

Built only when there are arguments to parse (plain ``chattui`` skips argparse entirely).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from chattui import __version__

__all__ = ["build_parsers"]


def build_parsers() -> tuple[argparse.ArgumentParser, Mapping[str, argparse.ArgumentParser]]:
    """The top-level parser, and each command's by name (a command's errors are reported by
    its own parser, with its usage line: ``chattui ask --frobnicate`` shows ``ask``'s)."""
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
    return parser, sub.choices


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
        "130 interrupted, 141 output closed (| head: the reply is kept as stopped).",
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
