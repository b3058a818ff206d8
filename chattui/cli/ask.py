"""``chattui ask [PROMPT]``: one question, the answer on stdout, for shells and scripts.

With stdin piped, stdin is the input and PROMPT the instruction (``git diff | chattui ask
"review this"``). The reply streams as plain text to a pipe and as Markdown to a terminal;
``--json`` prints the final message and its usage as one JSON object. Errors are one line on
stderr, in the user's language, with an exit code per kind (see :data:`EXIT_CODES`).

The turn runs through the core's :class:`~chattui.core.session.ChatSession`, the same as the
app's; without ``--save`` or ``--continue`` nothing is written. Textual is never imported here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Final, TextIO, TypeVar

from chattui.cli.ask_output import MarkdownOutput, PlainOutput, ReplyOutput, SilentOutput
from chattui.cli.pipes import EXIT_PIPE_CLOSED, output_closed
from chattui.cli.warned import not_yet_shown
from chattui.core.config import ConfigError, load_settings, validate_value
from chattui.core.events import Finished, TextDelta
from chattui.core.models import Conversation, Message, MessageStatus
from chattui.core.paths import Paths
from chattui.core.problems import ErrorKind, Problem
from chattui.core.roles import RoleSpec, builtin_roles, load_roles
from chattui.core.services import Services, resolve_language
from chattui.core.session import ChatSession
from chattui.core.storage import ConversationStore, StorageError
from chattui.core.turns import ReplyFinished, SaveFailed
from chattui.i18n import _, set_language

__all__ = ["EXIT_CODES", "AskOptions", "run"]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
"""Anything else: the conversation could not be saved or loaded..."""
EXIT_USAGE: Final = 2
EXIT_AUTH: Final = 3
EXIT_NETWORK: Final = 4
EXIT_SERVER: Final = 5
EXIT_INTERRUPTED: Final = 130
EXIT_OUTPUT_CLOSED: Final = EXIT_PIPE_CLOSED
"""Standard output was closed by its reader (``| head``): 141, as for a tool killed by SIGPIPE."""

EXIT_CODES: Final[Mapping[ErrorKind, int]] = {
    ErrorKind.AUTH: EXIT_AUTH,
    ErrorKind.FORBIDDEN: EXIT_AUTH,
    ErrorKind.NO_KEY: EXIT_AUTH,
    ErrorKind.CONNECT: EXIT_NETWORK,
    ErrorKind.PROXY: EXIT_NETWORK,
    ErrorKind.TIMEOUT: EXIT_NETWORK,
    ErrorKind.STREAM_CUT: EXIT_NETWORK,
    ErrorKind.SERVER: EXIT_SERVER,
    ErrorKind.RATE_LIMIT: EXIT_SERVER,
    ErrorKind.QUOTA: EXIT_SERVER,
    ErrorKind.NOT_FOUND: EXIT_SERVER,
    ErrorKind.BAD_REQUEST: EXIT_SERVER,
    ErrorKind.BAD_RESPONSE: EXIT_SERVER,
    ErrorKind.INCOMPLETE: EXIT_SERVER,
    ErrorKind.TOO_LONG: EXIT_USAGE,
}
"""Exit status by kind of error: 3 auth, 4 network, 5 server, 2 usage (input too long)."""

PREFIX: Final = "chattui ask: "

_T = TypeVar("_T")


@dataclass(frozen=True)
class AskOptions:
    """What the command line asked for."""

    prompt: str = ""
    model: str | None = None
    system: str | None = None
    max_tokens: str | None = None
    temperature: str | None = None
    continue_last: bool = False
    """Append to the most recently updated conversation (and save it)."""
    save: bool = False
    """Save the exchange as a new conversation."""
    json_output: bool = False
    role: str | None = None
    """A role (its id or name): its system prompt, model and temperature, under the flags."""
    profile: str | None = None
    """The endpoint profile to ask (``[profiles.NAME]`` in config.toml)."""


class _Unsaved(ConversationStore):
    """A store that keeps nothing: a one-shot question leaves no file behind."""

    def save(self, conversation: Conversation, *, revive: bool = False) -> int:
        return 0


class _UsageError(Exception):
    pass


class _OutputClosed(Exception):
    """Standard output's reader went away (``chattui ask ... | head``)."""


def _overrides(options: AskOptions, base: Mapping[str, object]) -> dict[str, object]:
    """The command line's settings, checked: a bad value is a usage error, not a warning."""
    given: dict[str, object] = dict(base)
    pairs: tuple[tuple[str, str | None], ...] = (
        ("model", options.model),
        ("system_prompt", options.system),
        ("max_tokens", options.max_tokens),
        ("temperature", options.temperature),
    )
    for key, value in pairs:
        if value is not None:
            given[key] = value
    checked: dict[str, object] = {}
    for name, raw in given.items():
        try:
            checked[name] = validate_value(name, raw, "command line")
        except ConfigError as error:
            raise _UsageError(error.problem.text(_)) from None
    return checked


def _language(overrides: Mapping[str, object], environ: Mapping[str, str] | None) -> str:
    """The language to word usage errors in, before the flags are checked: --lang, else
    ``language`` from CHATTUI_LANGUAGE or config.toml (read once more, a millisecond), else
    the locale's."""
    given = str(overrides.get("language", "auto"))
    if given == "auto":
        paths = Paths.discover(environ)
        given = load_settings(paths.config_file, environ).settings.language
    return resolve_language(given, environ)


def _input_text(prompt: str, stdin: TextIO | None) -> str:
    """PROMPT, stdin, or the instruction followed by the piped input."""
    piped = ""
    if stdin is not None and not stdin.isatty():
        try:
            piped = stdin.read()
        except UnicodeDecodeError:
            raise _UsageError(_("Standard input is not UTF-8 text.")) from None
    if prompt.strip() and piped.strip():
        return f"{prompt.strip()}\n\n{piped}"
    text = prompt if prompt.strip() else piped
    if not text.strip():
        raise _UsageError(_("Nothing to ask: give a prompt, or pipe text to standard input."))
    return text


def find_role(services: Services, name: str) -> RoleSpec:
    """The role called ``name`` (its id, or its name in either language, any case)."""
    language = resolve_language(services.settings.language, services.environ)
    roles, failures = load_roles(services.paths.roles_dir, language)
    wanted = name.strip().casefold()
    other = builtin_roles("en" if language == "zh" else "zh")
    aliases = {role.name.casefold(): role.id for role in other}
    for role in roles:
        if wanted in (role.id.casefold(), role.name.casefold()) or aliases.get(wanted) == role.id:
            return role
    known = ", ".join(role.id for role in roles)
    broken = "".join(f" ({failure.text(_)})" for failure in failures)
    raise _UsageError(_("No role named “{name}”. Roles: {known}.", name=name, known=known) + broken)


def _conversation(services: Services, options: AskOptions, role: RoleSpec | None) -> Conversation:
    """The conversation to ask in (the last one with ``--continue``), with the flags and the
    role applied: the command line wins over the role, the role over the conversation."""
    settings = services.settings
    conversation: Conversation | None = None
    if options.continue_last:
        summaries = services.list_conversations()
        if summaries:
            conversation = services.load_conversation(summaries[0].id)
    if conversation is None:
        conversation = Conversation(system_prompt=settings.system_prompt)
    if role is not None:
        conversation.system_prompt = role.system_prompt
        conversation.model = role.model or conversation.model
        if role.temperature is not None:
            conversation.params["temperature"] = role.temperature
    if options.model:
        conversation.model = settings.model
    if options.system is not None:
        conversation.system_prompt = settings.system_prompt
    for key, flag in (("temperature", options.temperature), ("max_tokens", options.max_tokens)):
        if flag is not None:
            conversation.params[key] = getattr(settings, key)
    if options.profile:
        conversation.params["profile"] = options.profile
    return conversation


def _note_dropped_temperature(services: Services, conversation: Conversation, err: TextIO) -> None:
    """Say that ``--temperature`` is not sent when the model is a reasoning model (the
    planner leaves it out: such models refuse it)."""
    model = conversation.model or services.settings_for(conversation).model
    if services.engine.planner.model_info(model).reasoning:
        why = _("{model} is a reasoning model, which takes no temperature: --temperature is "
                "not sent.", model=model)  # fmt: skip
        _say(err, _("note: {text}", text=why))


def _key_hint(kind: ErrorKind, profile_help: Problem | None = None) -> str:
    """What to do about a missing or rejected key: a profile's own sources, if it has some."""
    if kind in (ErrorKind.AUTH, ErrorKind.NO_KEY) and profile_help is not None:
        return " " + _(
            "{sources} Or save a key for it in chattui's settings (run chattui, press F2).",
            sources=profile_help.text(_),
        )
    if kind in (ErrorKind.AUTH, ErrorKind.NO_KEY):
        return " " + _(
            "Set OPENAI_API_KEY, or save a key in chattui's settings (run chattui, press F2)."
        )
    return ""


def _say(err: TextIO, text: str) -> None:
    print(PREFIX + text, file=err, flush=True)


def _result(message: Message, conversation: Conversation | None, finish: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "content": message.content,
        "model": message.model,
        "status": message.status.value,
        "finish_reason": finish or None,
        "usage": message.usage.to_dict() if message.usage is not None else None,
        "conversation_id": conversation.id if conversation is not None else None,
    }
    if message.problem is not None:
        problem = message.problem
        data["error" if message.status is MessageStatus.ERROR else "note"] = {
            "code": problem.code,
            "kind": problem.kind.value,
            "message": problem.text(_),
        }
    return data


async def _ask(
    services: Services,
    options: AskOptions,
    conversation: Conversation,
    text: str,
    output: ReplyOutput,
    err: TextIO,
) -> tuple[Message | None, str, Conversation]:
    """Send ``text`` and stream the reply to ``output``; return it and the finish reason."""
    keep = options.save or options.continue_last
    store = services.store if keep else _Unsaved(services.paths.conversations_dir)
    services.endpoints.pin_profile(conversation)
    client = services.endpoints.make_client(services.profile_of(conversation))
    session = ChatSession(store, client, build_request=services.engine.planner.build)
    reply: Message | None = None
    finish = ""
    output.start()
    try:
        try:
            settings = services.settings_for(conversation)
            # Closed at once when the loop stops early (the output closed): the session then
            # marks the reply stopped and saves what came, as for Ctrl+C.
            async with contextlib.aclosing(session.send(conversation, text, settings)) as events:
                async for event in events:
                    if isinstance(event, TextDelta):
                        output.write(event.text)
                    elif isinstance(event, Finished):
                        finish = event.reason
                    elif isinstance(event, SaveFailed):
                        _say(err, _("Could not save: {error}", error=event.problem.text(_)))
                    elif isinstance(event, ReplyFinished):
                        reply = event.message
        finally:
            output.finish()
    except BrokenPipeError:
        raise _OutputClosed from None
    finally:
        if client is not None:
            await client.aclose()
    return reply, finish, conversation


async def _interruptible(job: Coroutine[Any, Any, _T]) -> _T | None:
    """``job``, cancelled cleanly by Ctrl+C (SIGINT): None when interrupted."""
    task = asyncio.ensure_future(job)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not on the main thread
        loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        return None
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)


def run(
    options: AskOptions,
    overrides: Mapping[str, object] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Ask one question and print the answer; return the exit status.

    Args:
        options: The ``ask`` command's arguments.
        overrides: Settings from the global options (``--base-url``, ``--proxy``...).
        stdin: Piped input (default ``sys.stdin``); a terminal is not read.
        stdout: Where the reply goes (default ``sys.stdout``).
        stderr: Where errors and notes go (default ``sys.stderr``).
        environ: The environment (default ``os.environ``).
    """
    stdin = sys.stdin if stdin is None else stdin
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    set_language(_language(overrides or {}, environ))
    try:
        checked = _overrides(options, overrides or {})
        text = _input_text(options.prompt, stdin)
    except _UsageError as error:
        _say(err, str(error))
        return EXIT_USAGE
    services = Services.load(checked, environ)
    services.start_log()
    set_language(resolve_language(services.settings.language, environ))
    try:
        missing = services.missing_profile(options.profile or str(checked.get("profile") or ""))
        if missing is not None:
            raise _UsageError(missing.text(_))
        role = find_role(services, options.role) if options.role else None
    except _UsageError as error:
        _say(err, str(error))
        return EXIT_USAGE
    paths = services.paths
    for warning in not_yet_shown(services.warnings, paths.config_file, paths.cache_dir):
        _say(err, _("warning: {text}", text=warning.text(_)))
    if (options.save or options.continue_last) and services.fatal is not None:
        _say(err, services.fatal.text(_))
        return EXIT_FAILED
    try:
        conversation = _conversation(services, options, role)
    except StorageError as error:
        _say(err, error.problem.text(_))
        return EXIT_FAILED
    if not services.can_send(conversation):
        profile_help = services.key_help(services.profile_of(conversation))
        _say(err, Problem("no_key").text(_) + _key_hint(ErrorKind.NO_KEY, profile_help))
        return EXIT_AUTH
    if options.temperature is not None:
        _note_dropped_temperature(services, conversation, err)
    if options.json_output:
        output: ReplyOutput = SilentOutput()
    elif out.isatty():
        output = MarkdownOutput(out)
    else:
        output = PlainOutput(out)
    try:
        job = _ask(services, options, conversation, text, output, err)
        outcome = asyncio.run(_interruptible(job))
    except StorageError as error:
        _say(err, error.problem.text(_))
        return EXIT_FAILED
    except _OutputClosed:  # quietly, as Unix tools do (the reply is saved as stopped)
        return output_closed(out)
    finally:
        services.flush_index()
    if outcome is None:
        _say(err, _("stopped"))
        return EXIT_INTERRUPTED
    reply, finish, conversation = outcome
    if reply is None:  # pragma: no cover - the session always ends with ReplyFinished
        return EXIT_FAILED
    if options.json_output:
        saved = conversation if (options.save or options.continue_last) else None
        try:
            print(json.dumps(_result(reply, saved, finish), ensure_ascii=False), file=out)
            out.flush()
        except BrokenPipeError:
            return output_closed(out)
    problem = reply.problem
    if reply.status is MessageStatus.ERROR:
        kind = problem.kind if problem is not None else ErrorKind.BAD_RESPONSE
        words = problem.text(_) if problem is not None else (reply.error or _("Error"))
        _say(err, words + _key_hint(kind, services.key_help(services.profile_of(conversation))))
        return EXIT_CODES.get(kind, EXIT_FAILED)
    if problem is not None:
        _say(err, _("note: {text}", text=problem.text(_)))
    return EXIT_OK
