"""Exported conversations as one document in a format, and written to files.

Shared by ``chattui export`` and the app's export dialog, so both write the same bytes with
the same file mode (0600: conversations are private).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chattui.core.atomic import atomic_write
from chattui.core.export import (
    ExportFormat,
    conversations_json,
    conversations_markdown,
    export_file_name,
)
from chattui.core.models import Conversation

__all__ = ["render", "write_export"]


def render(conversations: Sequence[Conversation], fmt: ExportFormat) -> str:
    """``conversations`` as one document in ``fmt``."""
    if fmt is ExportFormat.JSON:
        return conversations_json(conversations)
    if fmt is ExportFormat.HTML:
        from chattui.core.export_html import conversations_html

        return conversations_html(conversations)
    return conversations_markdown(conversations)


def write_export(
    conversations: Sequence[Conversation], fmt: ExportFormat, target: Path, as_directory: bool
) -> Path:
    """Write ``conversations`` to the file ``target`` (one document) or, ``as_directory``,
    one file each into the directory ``target``; missing directories are created. Returns
    ``target``.

    Raises:
        OSError: a directory or a file could not be written.
    """
    if as_directory:
        target.mkdir(parents=True, exist_ok=True)
        for conversation in conversations:
            text = render([conversation], fmt)
            path = target / export_file_name(conversation, fmt)
            atomic_write(path, text.encode("utf-8"), mode=0o600)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, render(conversations, fmt).encode("utf-8"), mode=0o600)
    return target
