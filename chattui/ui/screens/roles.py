"""The role picker (a prompt library) and the role editor.

The picker lists the built-in roles and the user's own (``roles/*.toml`` in the config dir);
Enter starts a new conversation with the highlighted one. ``n`` adds a role, ``e`` edits one
(editing a built-in saves the user's own version of it, which replaces it), Delete removes a
user's role (a built-in it replaced comes back).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from chattui.core.roles import (
    RolesError,
    RoleSpec,
    delete_role,
    load_roles,
    role_file_id,
    save_role,
)
from chattui.core.sanitize import sanitize, sanitize_line
from chattui.i18n import _, get_language
from chattui.ui.actions import Scope, bindings
from chattui.ui.render.problems import problem_text
from chattui.ui.screens.dialogs import ConfirmScreen
from chattui.ui.widgets.safe_text import SafeInput, SafeTextArea

__all__ = ["RoleEditorScreen", "RolePickerScreen"]


class RolePickerScreen(ModalScreen[RoleSpec | None]):
    """Lists the roles; dismisses with the one to start a conversation with, or None."""

    BINDINGS = bindings(Scope.ROLES)

    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        self.roles: list[RoleSpec] = []

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = _("Start a conversation with a role")
            frame.border_subtitle = _("Enter start · n new · e edit · Delete remove · Esc close")
            yield OptionList(id="roles")
            with VerticalScroll(id="preview-box"):
                yield Static("", id="preview", markup=False)

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#roles", OptionList).focus()

    def reload(self, select: str | None = None) -> None:
        """Read the roles again (reporting bad files) and keep ``select`` highlighted."""
        self.roles, failures = load_roles(self.directory, get_language())
        for failure in failures:
            self.notify(problem_text(failure), severity="warning", timeout=10, markup=False)
        options = self.query_one("#roles", OptionList)
        options.clear_options()
        for role in self.roles:
            label = Text(sanitize_line(role.name, 100), style="bold")
            if not role.builtin:
                label.append("  " + _("(yours)"), style="italic")
            if role.description:
                label.append("\n  " + sanitize_line(role.description, 200), style="dim")
            options.add_option(Option(label, id=role.id))
        ids = [role.id for role in self.roles]
        options.highlighted = ids.index(select) if select in ids else 0
        self._show_preview()

    @property
    def highlighted(self) -> RoleSpec | None:
        index = self.query_one("#roles", OptionList).highlighted
        return self.roles[index] if index is not None and index < len(self.roles) else None

    @on(OptionList.OptionHighlighted)
    def _show_preview(self) -> None:
        role = self.highlighted
        text = "" if role is None else sanitize(role.system_prompt)
        if role is not None and (role.model or role.temperature is not None):
            extras = [role.model or ""]
            if role.temperature is not None:
                extras.append(_("temperature {value}", value=f"{role.temperature:g}"))
            text = " · ".join(item for item in extras if item) + "\n" + text
        self.query_one("#preview", Static).update(text)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.roles[event.option_index])

    def action_new_role(self) -> None:
        self.app.push_screen(RoleEditorScreen(None), self._save)

    def action_edit_role(self) -> None:
        role = self.highlighted
        if role is not None:
            self.app.push_screen(RoleEditorScreen(role), self._save)

    def _save(self, role: RoleSpec | None) -> None:
        if role is None:
            return
        if not role.id:
            taken = {item.id for item in self.roles}
            role = replace(role, id=role_file_id(role.name, taken))
        try:
            save_role(self.directory, role)
        except RolesError as error:
            self.notify(problem_text(error.problem), severity="error", markup=False)
            return
        self.notify(_("Role “{name}” saved.", name=sanitize_line(role.name, 100)), markup=False)
        self.reload(select=role.id)

    def action_delete_role(self) -> None:
        role = self.highlighted
        if role is None:
            return
        if role.builtin:
            self.notify(_("Built-in roles cannot be deleted."), severity="warning")
            return
        question = _("Delete the role “{name}”?", name=sanitize_line(role.name, 100))

        def done(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                delete_role(role)
            except RolesError as error:
                self.notify(problem_text(error.problem), severity="error", markup=False)
                return
            self.reload()

        self.app.push_screen(ConfirmScreen(question, _("Delete")), done)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RoleEditorScreen(ModalScreen[RoleSpec | None]):
    """Edits a role (or a new one when given None); dismisses with it, or None if cancelled.

    A new role comes back with an empty id (the picker gives it a file name); a built-in one
    comes back as the user's own, with the same id, so that it replaces the built-in.
    """

    BINDINGS = [*bindings(Scope.DIALOG), *bindings(Scope.ROLE_EDITOR)]

    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, role: RoleSpec | None) -> None:
        super().__init__()
        self.role = role

    def compose(self) -> ComposeResult:
        role = self.role
        with Vertical() as frame:
            frame.border_title = _("Edit role") if role else _("New role")
            frame.border_subtitle = _("Ctrl+S save · Esc cancel")
            yield Label(_("Name"), classes="label")
            yield SafeInput(role.name if role else "", id="name")
            yield Label(_("Description"), classes="label")
            yield SafeInput(role.description if role else "", id="description")
            yield Label(_("System prompt"), classes="label")
            yield SafeTextArea(role.system_prompt if role else "", id="prompt-text")
            with Horizontal(id="extras"):
                yield SafeInput(
                    role.model or "" if role else "",
                    placeholder=_("Model (optional)"),
                    id="model",
                )
                yield SafeInput(
                    "" if role is None or role.temperature is None else f"{role.temperature:g}",
                    placeholder=_("Temperature (optional)"),
                    id="temperature",
                )
            yield Label("", id="error", markup=False)
            with Horizontal(id="buttons"):
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Save"), id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def _error(self, message: str) -> None:
        self.query_one("#error", Label).update(message)

    def action_save(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        prompt = self.query_one("#prompt-text", TextArea).text.strip()
        temperature_text = self.query_one("#temperature", Input).value.strip()
        if not name:
            self._error(_("Give the role a name."))
            return
        if not prompt:
            self._error(_("Write the system prompt."))
            return
        temperature: float | None = None
        if temperature_text:
            try:
                temperature = float(temperature_text)
            except ValueError:
                temperature = -1.0
            if not 0 <= temperature <= 2:
                self._error(_("Temperature must be a number from 0 to 2."))
                return
        self.dismiss(
            RoleSpec(
                id=self.role.id if self.role else "",
                name=name,
                description=self.query_one("#description", Input).value.strip(),
                system_prompt=prompt,
                model=self.query_one("#model", Input).value.strip() or None,
                temperature=temperature,
            )
        )

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
