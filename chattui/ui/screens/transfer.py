"""Export and import from the app (command palette): a dialog, then a thread worker.

Writing hundreds of files or reading a large ChatGPT export takes a while, so both run in a
thread with their own :class:`ConversationStore` (the app's store is only used on the UI
thread); the sidebar is refreshed from the files afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import Any, Protocol, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select

from chattui.core.export import ExportFormat, export_file_name, redacted_copy
from chattui.core.export_files import write_export
from chattui.core.importer import ImportReport, import_files
from chattui.core.models import Conversation
from chattui.core.services import Services
from chattui.core.storage import ConversationStore, StorageError
from chattui.i18n import _, ngettext
from chattui.import_words import import_summary
from chattui.ui.actions import Scope, bindings
from chattui.ui.render.problems import error_text, problem_text
from chattui.ui.screens.dialogs import TextInputScreen
from chattui.ui.widgets.safe_text import SafeInput

__all__ = [
    "ExportChoice",
    "ExportScreen",
    "TransferHost",
    "start_export",
    "start_import",
]

_Result = TypeVar("_Result")


class TransferHost(Protocol):
    """What export and import need of the app (the ``ChatApp``, which is not imported here: the
    app imports this module): its services, the main screen's list, and Textual's dialog,
    worker, thread and notification calls."""

    @property
    def services(self) -> Services: ...

    def push_screen(
        self, screen: Screen[_Result], callback: Callable[[_Result | None], None]
    ) -> object: ...

    def run_worker(
        self,
        work: Callable[[], None],
        *,
        group: str = ...,
        exit_on_error: bool = ...,
        thread: bool = ...,
    ) -> object: ...

    def call_from_thread(
        self, callback: Callable[..., object], *args: Any, **kwargs: Any
    ) -> object: ...

    def notify(
        self,
        message: str,
        *,
        title: str = ...,
        severity: SeverityLevel = ...,
        timeout: float | None = ...,
        markup: bool = ...,
    ) -> None: ...

    def post_message(self, message: Notify) -> bool: ...


ALL_DIR_NAME = "chattui-export"


@dataclass(frozen=True)
class ExportChoice:
    """What the export dialog asked for."""

    everything: bool
    fmt: ExportFormat
    target: Path
    as_directory: bool


class ExportScreen(ModalScreen[ExportChoice | None]):
    """Asks what to export (this conversation or all), the format and where."""

    BINDINGS = bindings(Scope.DIALOG)

    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, current: Conversation | None, directory: Path) -> None:
        super().__init__()
        self.current = current
        """The conversation on screen, or None when it is empty."""
        self.directory = directory
        self._default = ""

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = _("Export")
            with RadioSet(id="scope"):
                yield RadioButton(
                    _("This conversation"),
                    value=self.current is not None,
                    id="one",
                    disabled=self.current is None,
                )
                yield RadioButton(
                    _("All conversations (one file each)"), value=self.current is None, id="all"
                )
            yield Label(_("Format"), classes="label")
            yield Select(
                [
                    (_("Markdown"), ExportFormat.MARKDOWN.value),
                    (_("JSON (can be imported back)"), ExportFormat.JSON.value),
                    (_("HTML (one page, highlighted code)"), ExportFormat.HTML.value),
                ],
                value=ExportFormat.MARKDOWN.value,
                allow_blank=False,
                id="format",
            )
            yield Label(_("Save to"), classes="label")
            yield SafeInput(id="path")
            with Horizontal(id="buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Export"), id="export", variant="primary")

    def on_mount(self) -> None:
        self._update_default()
        self.query_one("#export", Button).focus()

    @property
    def everything(self) -> bool:
        return self.current is None or self.query_one("#all", RadioButton).value

    @property
    def fmt(self) -> ExportFormat:
        return ExportFormat(str(self.query_one("#format", Select).value))

    @on(RadioSet.Changed)
    @on(Select.Changed)
    def _update_default(self) -> None:
        """Suggest a path for the choice, unless the user typed one of their own."""
        path = self.query_one("#path", Input)
        if path.value and path.value != self._default:
            return
        if self.everything or self.current is None:
            default = self.directory / ALL_DIR_NAME
        else:
            default = self.directory / export_file_name(self.current, self.fmt)
        self._default = str(default) + ("/" if self.everything else "")
        path.value = self._default

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._export()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self._export()
        else:
            self.dismiss(None)

    def _export(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.notify(_("Say where to save the export."), severity="warning")
            return
        target = Path(text).expanduser()
        as_directory = self.everything or text.endswith("/") or target.is_dir()
        self.dismiss(ExportChoice(self.everything, self.fmt, target, as_directory))

    def action_cancel(self) -> None:
        self.dismiss(None)


def start_export(app: TransferHost, current: Conversation | None) -> None:
    """Ask what to export, then write it in a thread and say where it went."""
    # A copy taken now: the conversation on screen may change (or stream) meanwhile.
    snapshot = Conversation.from_dict(current.to_dict()) if current is not None else None

    def chosen(choice: ExportChoice | None) -> None:
        if choice is not None:
            app.run_worker(
                lambda: _export(app, choice, snapshot),
                thread=True,
                group="export",
                exit_on_error=False,
            )

    app.push_screen(ExportScreen(snapshot, Path.cwd()), chosen)


def _export(app: TransferHost, choice: ExportChoice, current: Conversation | None) -> None:
    secrets = app.services.export_secrets()
    problems: list[str] = []
    if choice.everything:
        store = ConversationStore(app.services.paths.conversations_dir)
        conversations: list[Conversation] = []
        try:
            summaries = store.list_conversations()
        except StorageError as error:
            summaries = []
            problems.append(error_text(error))
        for summary in reversed(summaries):
            try:
                conversations.append(redacted_copy(store.load(summary.id), secrets))
            except StorageError as error:
                problems.append(error_text(error))
    else:
        conversations = [redacted_copy(current, secrets)] if current is not None else []
    if not conversations:
        app.call_from_thread(app.notify, _("There is nothing to export."), severity="warning")
        return
    try:
        target = write_export(conversations, choice.fmt, choice.target, choice.as_directory)
    except OSError as error:
        message = _("Could not export: {error}", error=error.strerror or str(error))
        app.call_from_thread(app.notify, message, severity="error", markup=False)
        return
    for problem in problems:
        app.call_from_thread(app.notify, problem, severity="warning", markup=False)
    count = len(conversations)
    done = (
        _("Exported to {path}", path=target)
        if count == 1
        else _("Exported {count} conversations to {path}", count=count, path=target)
    )
    app.call_from_thread(app.notify, done, markup=False, timeout=8)


def start_import(app: TransferHost, imported: Callable[[], None]) -> None:
    """Ask for a file, import it in a thread, then tell ``imported`` (to list the new
    conversations)."""

    def chosen(path: str | None) -> None:
        # A file dragged into a terminal arrives quoted when its name has spaces.
        text = (path or "").strip().strip("'\"")
        if text:
            target = Path(text).expanduser()
            notice = _LastingNotice(app)
            notice.show(_("Importing {file}…", file=target.name))
            app.run_worker(
                lambda: _import(app, target, notice, imported),
                thread=True,
                group="import",
                exit_on_error=False,
            )

    title = _("Import: a chattui JSON export, or ChatGPT's conversations.json or .zip")
    app.push_screen(TextInputScreen(title, ""), chosen)


class _LastingNotice:
    """A notice that stays until :meth:`close` (an import's progress), its text replaced as it
    goes. Textual cannot change a toast's text, so each change replaces the notification: the
    old one expires at once, and the next notice shown (Textual reaps expired ones when one
    comes) takes it down."""

    TIMEOUT = 24 * 3600.0

    def __init__(self, app: TransferHost) -> None:
        self._app = app
        self._shown: Notification | None = None
        self.changed_at = 0.0
        """When the text last changed (monotonic), to change it a few times a second at most."""

    def show(self, text: str) -> None:
        """Show ``text`` instead of the notice's text (on the UI thread)."""
        self.close()
        self._shown = Notification(text, timeout=self.TIMEOUT, markup=False)
        self._app.post_message(Notify(self._shown))
        self.changed_at = monotonic()

    def close(self) -> None:
        """Expire the notice: the next one shown takes it down (a summary always follows)."""
        if self._shown is not None:
            self._shown.timeout = 0
            self._shown = None


PROGRESS_INTERVAL = 0.25
"""Seconds between two counts in the import's notice."""


def _import(
    app: TransferHost, path: Path, notice: _LastingNotice, imported: Callable[[], None]
) -> None:
    store = ConversationStore(app.services.paths.conversations_dir)
    try:
        store.prepare()
    except StorageError as error:
        app.call_from_thread(notice.close)
        app.call_from_thread(app.notify, error_text(error), severity="error", markup=False)
        return

    def progress(done: int, total: int) -> None:
        if 0 < done < total and monotonic() - notice.changed_at < PROGRESS_INTERVAL:
            return
        text = ngettext(
            "Importing {file}: {done} of {count} conversation…",
            "Importing {file}: {done} of {count} conversations…",
            total,
            file=path.name,
            done=done,
        )
        app.call_from_thread(notice.show, text)

    report = import_files(store, [path], progress)
    app.call_from_thread(notice.close)
    app.call_from_thread(_imported, app, report, imported)


def _imported(app: TransferHost, report: ImportReport, imported: Callable[[], None]) -> None:
    for error in report.errors:
        app.notify(
            problem_text(error),
            title=_("Nothing imported"),
            severity="error",
            markup=False,
            timeout=15,
        )
    if not report.errors:
        app.notify(import_summary(report), markup=False, timeout=10)
    if report.conversations:
        imported()
