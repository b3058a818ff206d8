"""Exported conversations as one document in a format, and written to files.

Shared by ``chattui export`` and the app's export dialog, so both write the same bytes with
the same file mode (0600: conversations are private).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from chattui.core.atomic import atomic_write
from chattui.core.export import ExportFormat, conversation_markdown, export_file_name
from chattui.core.models import Conversation

__all__ = ["render", "render_parts", "write_export"]


def render(conversations: Sequence[Conversation], fmt: ExportFormat) -> str:
    """``conversations`` as one document in ``fmt``."""
    return "".join(render_parts(conversations, len(conversations), fmt))


def render_parts(
    conversations: Iterable[Conversation], count: int, fmt: ExportFormat
) -> Iterator[str]:
    """The document of :func:`render` in pieces: each conversation is rendered only when the
    piece before it has been taken, so a caller can write a long export as it goes (the first
    line of ``export --all | head`` at once, not after every conversation is rendered).

    ``count`` is how many ``conversations`` yields (the JSON is a list when it is not 1, the
    HTML page's title names it).
    """
    if fmt is ExportFormat.HTML:
        from chattui.core.export_html import html_parts

        yield from html_parts(conversations, count)
        return
    if fmt is ExportFormat.JSON:
        if count == 1:
            for conversation in conversations:
                yield json.dumps(conversation.to_dict(), ensure_ascii=False, indent=1) + "\n"
            return
        # json.dumps(list, indent=1) puts each item one space in: strings hold no raw newline.
        separator = "[\n"
        for conversation in conversations:
            text = json.dumps(conversation.to_dict(), ensure_ascii=False, indent=1)
            yield separator + " " + text.replace("\n", "\n ")
            separator = ",\n"
        yield "[]\n" if separator == "[\n" else "\n]\n"
        return
    separator = ""
    for conversation in conversations:
        yield separator + conversation_markdown(conversation)
        separator = "\n---\n\n"


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
