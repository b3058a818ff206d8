"""Export and import jobs: ``chattui export`` and ``chattui import``.

Export writes to stdout unless ``-o`` names a file (one document) or a directory (one file per
conversation). Import reads our JSON or a ChatGPT export and prints what it added. Neither
imports Textual: these commands answer at once and work without a terminal.
Exit codes: 0 done, 1 something could not be done (the message says what), 2 bad usage.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from chattui.cli.pipes import output_closed
from chattui.core.config import load_settings
from chattui.core.export import ExportFormat, format_time, redacted_copy
from chattui.core.export_files import render_parts, write_export
from chattui.core.paths import Paths
from chattui.core.secrets import export_secrets
from chattui.core.storage import ConversationStore, StorageError
from chattui.i18n import _

__all__ = ["export_command", "guess_format", "import_command"]


def guess_format(output: str | None, given: str | None) -> ExportFormat:
    """The ``--format`` given, else the one the output file's extension names, else Markdown."""
    if given:
        return ExportFormat(given)
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    aliases = {"md": "md", "markdown": "md", "json": "json", "html": "html", "htm": "html"}
    return ExportFormat(aliases.get(suffix, "md"))


def _resolve_ids(store: ConversationStore, wanted: Sequence[str], everything: bool) -> list[str]:
    """Conversation ids for ``wanted`` (whole ids or unique prefixes); every one with --all."""
    summaries = store.list_conversations()
    if everything:
        return [summary.id for summary in reversed(summaries)]  # oldest first
    known = [summary.id for summary in summaries]
    ids: list[str] = []
    for item in wanted:
        if item in known:
            ids.append(item)
            continue
        matches = [cid for cid in known if cid.startswith(item)]
        if not matches:
            raise LookupError(
                _("no conversation has the id {id} (see 'chattui export --list')", id=repr(item))
            )
        if len(matches) > 1:
            raise LookupError(
                _(
                    "{count} conversations have an id starting with {id} "
                    "(see 'chattui export --list')",
                    count=len(matches),
                    id=repr(item),
                )
            )
        ids.append(matches[0])
    return ids


def _job(
    environ: Mapping[str, str] | None, out: TextIO | None, err: TextIO | None
) -> tuple[Mapping[str, str], TextIO, TextIO, Paths, ConversationStore]:
    """What an export or an import job works with: the environment, its two streams, the
    paths and the conversation store."""
    env = os.environ if environ is None else environ
    paths = Paths.discover(env)
    store = ConversationStore(paths.conversations_dir)
    return env, out or sys.stdout, err or sys.stderr, paths, store


def export_command(
    ids: Sequence[str],
    everything: bool,
    fmt_name: str | None,
    output: str | None,
    list_only: bool = False,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run ``chattui export``; return the exit code."""
    env, out, err, paths, store = _job(environ, out, err)
    try:
        return _export(store, paths, env, ids, everything, fmt_name, output, list_only, out, err)
    except BrokenPipeError:  # `chattui export --all | head`: the reader has what it wanted
        return output_closed(out)
    finally:
        for problem in store.problems:
            err.write(f"chattui export: {problem.text(_)}\n")


def _export(
    store: ConversationStore,
    paths: Paths,
    env: Mapping[str, str],
    ids: Sequence[str],
    everything: bool,
    fmt_name: str | None,
    output: str | None,
    list_only: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    if list_only:
        for summary in store.list_conversations():
            title = summary.title or _("(untitled)")
            out.write(f"{summary.id}  {format_time(summary.updated)}  {title}\n")
        out.flush()
        return 0
    if not ids and not everything:
        err.write(
            "chattui export: "
            + _("name conversations by id, or use --all (--list shows them)")
            + "\n"
        )
        return 2
    fmt = guess_format(output, fmt_name)
    try:
        chosen = _resolve_ids(store, ids, everything)
        # api_key_command is not run for this (it may ask for a password).
        settings = load_settings(paths.config_file, env).settings
        secrets = export_secrets(settings, paths.credentials_file, env)
        if not chosen:
            err.write("chattui export: " + _("there are no conversations to export") + "\n")
            return 1
        # Loaded, redacted and rendered one at a time, as the output takes them.
        conversations = (redacted_copy(store.load(cid), secrets) for cid in chosen)
        if output is None:
            for part in render_parts(conversations, len(chosen), fmt):
                out.write(part)
                out.flush()
            return 0
        everyone = list(conversations)
    except (LookupError, StorageError) as error:
        why = error.problem.text(_) if isinstance(error, StorageError) else str(error)
        err.write(f"chattui export: {why}\n")
        return 1
    target = Path(output).expanduser()
    as_directory = target.is_dir() or output.endswith(("/", os.sep))
    try:
        write_export(everyone, fmt, target, as_directory)
    except OSError as error:
        why = _("cannot write {path}: {error}", path=output, error=error.strerror or error)
        err.write(f"chattui export: {why}\n")
        return 1
    count = len(everyone)
    if count == 1:
        done = _("Exported 1 conversation to {path}", path=target)
    else:
        done = _("Exported {count} conversations to {path}", count=count, path=target)
    err.write(done + "\n")
    return 0


def import_command(
    files: Sequence[str],
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run ``chattui import``; return the exit code."""
    from chattui.core.importer import import_files

    _env, out, err, _paths, store = _job(environ, out, err)
    try:
        store.prepare()
    except StorageError as error:
        err.write(f"chattui import: {error.problem.text(_)}\n")
        return 1
    report = import_files(store, [Path(name).expanduser() for name in files])
    from chattui.import_words import import_summary

    for path, one in report.files:
        out.write(f"{path}: {import_summary(one)}\n")
    if len(files) > 1:
        out.write(_("Total: {summary}", summary=import_summary(report)) + "\n")
    for problem in report.errors:
        err.write(f"chattui import: {problem.text(_)}\n")
    return 1 if report.errors else 0
