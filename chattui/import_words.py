"""What an import did, in the user's language: the words the app's notice and ``chattui
import`` share (the core reports numbers; the front ends word them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chattui.i18n import _, ngettext

if TYPE_CHECKING:
    from chattui.core.importer import ImportReport

__all__ = ["import_summary"]


def import_summary(report: ImportReport) -> str:
    """What an import did, in the UI's language."""
    text = _(
        "Imported {conversations} ({messages}).",
        conversations=ngettext(
            "{count} conversation", "{count} conversations", report.conversations
        ),
        messages=ngettext("{count} message", "{count} messages", report.messages),
    )
    if report.duplicates:
        text += " " + ngettext(
            "{count} was already there.", "{count} were already there.", report.duplicates
        )
    if report.empty:
        text += " " + ngettext(
            "{count} empty one skipped.", "{count} empty ones skipped.", report.empty
        )
    if report.skipped_parts:
        text += " " + ngettext(
            "{count} image, file or tool output left out (noted in the message).",
            "{count} images, files or tool outputs left out (noted in the messages).",
            report.skipped_parts,
        )
    return text
