"""The settings screen (F2): key, endpoint, proxy, model and the rest, validated as you type.

Invalid values are refused inline with the reason and never saved. "Test connection" lists the
endpoint's models through the proxy in the form (not the saved one), so a setup can be tried
before it is kept. Save writes config.toml and the credentials file (0600) and rebuilds the
client at once; Esc cancels.

A key that comes from ``api_key_command`` is fetched in a thread before Save (and Test) go on,
with "Running api_key_command…" shown meanwhile: the form stays usable, and a failure is shown
with its reason (Save again saves anyway).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from chattui.core.catalog import Catalog, CatalogError, model_choices
from chattui.core.config import (
    REASONING_EFFORTS,
    ConfigError,
    Settings,
    mask_proxy,
    validate_value,
)
from chattui.core.events import ChatError
from chattui.core.profiles import Endpoint
from chattui.core.secrets import ApiKey, KeyError_, KeySource
from chattui.core.services import Services
from chattui.i18n import LANGUAGES, _, ngettext
from chattui.ui.actions import Scope, bindings
from chattui.ui.render.problems import error_text, problem_text
from chattui.ui.widgets.safe_text import SafeInput, SafeTextArea

__all__ = ["SettingsScreen"]

# (setting key, label, placeholder) for the one-line inputs, in the order shown.
_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("base_url", "Base URL", "https://api.openai.com/v1"),
    ("proxy", "Proxy", "http://127.0.0.1:7890 or socks5://127.0.0.1:1080 (empty: none)"),
    ("model", "Model", "gpt-4o-mini"),
    ("max_tokens", "Max tokens", "empty: let the model decide"),
    ("temperature", "Temperature", "0 to 2; empty: server default"),
    ("timeout", "Request timeout (s)", "60"),
    ("api_key_command", "API key command", "e.g. pass show openai (optional)"),
)


class KeyCommandRan(Message):
    """The settings screen's key command finished (posted from its thread)."""

    bubble = False  # for the screen only

    def __init__(self, command: str, error: str | None, then: Callable[[], None]) -> None:
        super().__init__()
        self.command = command
        self.error = error
        """Why it gave no key (None: it did)."""
        self.then = then
        """What to do next when it gave a key (save, or test the connection, again)."""


def _text(value: object) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _catalog_models(services: Services) -> list[str]:
    """The models the catalog (with the user's ``[models]``) knows, the endpoint's first."""
    settings = services.settings
    try:
        catalog = Catalog.from_overrides(settings.models, settings.context_window)
    except CatalogError:  # reported where the catalog is used for requests
        catalog = Catalog.bundled()
    return model_choices(catalog, services.endpoint().base_url)


class SettingsScreen(ModalScreen[bool]):
    """Edits the settings; dismisses with True when saved."""

    BINDINGS = [*bindings(Scope.DIALOG), *bindings(Scope.SETTINGS)]

    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self._models = _catalog_models(services)
        self._command_running = ""
        """The key command running for Save or Test ("" when none)."""
        self._failed_command = ""
        """The key command that failed here last: Save again saves without it."""

    def compose(self) -> ComposeResult:
        settings = self.services.settings
        with Vertical() as frame:
            frame.border_title = _("Settings")
            frame.border_subtitle = _("Ctrl+S save · Esc cancel")
            with VerticalScroll():
                yield Label(_("API key"), classes="label")
                with Horizontal(id="key-row"):
                    yield SafeInput(
                        placeholder=self._key_placeholder(),
                        password=True,
                        id="api_key",
                        compact=True,
                    )
                    yield Checkbox(_("Show"), id="reveal", compact=True)
                yield Static(self._key_source_text(), classes="hint", markup=False, id="key-source")
                yield Static("", classes="error", id="api_key-error", markup=False)
                yield from self._profile_picker(settings)
                for key, label, placeholder in _FIELDS:
                    yield Label(_(label), classes="label")
                    shown = getattr(settings, key)
                    if key == "proxy":
                        shown = mask_proxy(settings.proxy)  # the password stays hidden
                    yield SafeInput(
                        _text(shown),
                        placeholder=_(placeholder),
                        id=key,
                        suggester=SuggestFromList(self._models) if key == "model" else None,
                        compact=True,
                    )
                    if key == "model":
                        yield Select(
                            [(name, name) for name in self._models],
                            prompt=_("Pick a model"),
                            id="model-pick",
                            compact=True,
                        )
                    yield Static("", classes="error", id=f"{key}-error", markup=False)
                yield Label(_("Reasoning effort (reasoning models only)"), classes="label")
                yield Select(
                    [(_("Model default"), "")]
                    + [(name, name) for name in REASONING_EFFORTS if name],
                    value=settings.reasoning_effort,
                    allow_blank=False,
                    id="reasoning_effort",
                    compact=True,
                )
                yield Label(_("Default system prompt"), classes="label")
                yield SafeTextArea(settings.system_prompt, id="system_prompt", soft_wrap=True)
                yield Label(_("Theme"), classes="label")
                themes = sorted(self.app.available_themes)
                yield Select(
                    [(name, name) for name in themes],
                    value=settings.theme if settings.theme in themes else Select.BLANK,
                    id="theme",
                    compact=True,
                )
                yield Label(_("Language"), classes="label")
                languages = [(_("Automatic (from the locale)"), "auto")]
                languages += [(name, code) for code, name in LANGUAGES.items()]
                yield Static(_("Takes effect the next time chattui starts."), classes="hint")
                yield Select(
                    languages,
                    value=settings.language,
                    allow_blank=False,
                    id="language",
                    compact=True,
                )
            yield Static("", id="test-result", markup=False)
            with Horizontal(id="buttons"):
                yield Button(_("Test connection"), id="test")
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("Save"), id="save", variant="primary")

    def _profile_picker(self, settings: Settings) -> ComposeResult:
        """The default endpoint profile (only when config.toml defines profiles)."""
        if not settings.profiles:
            return
        yield Label(_("Endpoint profile (default for new conversations)"), classes="label")
        top = _("None: the endpoint settings below")
        yield Select(
            [(top, "")] + [(name, name) for name in sorted(settings.profiles)],
            value=settings.profile if settings.profile in settings.profiles else "",
            allow_blank=False,
            id="profile",
            compact=True,
        )
        yield Static(
            _(
                "Profiles are [profiles.NAME] tables in config.toml; a key typed above is saved "
                "for the profile chosen here."
            ),
            classes="hint",
            markup=False,
        )

    def on_mount(self) -> None:
        first = "#base_url" if self.services.has_key else "#api_key"
        self.query_one(first, Input).focus()

    def _key_placeholder(self) -> str:
        key = self.services.api_key
        return _("saved: {masked} (type to replace)", masked=key.masked) if key else "sk-..."

    def _key_source_text(self) -> str:
        source = self.services.key_source
        if self.services.key_pending:
            return _("In use: from the API key command (running…).")
        # A profile's key comes from its own sources, never from OPENAI_API_KEY.
        profile = self.services.endpoint().profile
        origin = self.services.key_origin()
        if origin is not None:
            return _(
                "In use: the key of profile {profile}, from {origin}.",
                profile=profile,
                origin=problem_text(origin),
            )
        profile_help = self.services.key_help()
        if profile_help is not None and self.services.api_key is None:
            return _(
                "{sources} A key typed above is saved for it, in a file only you can read.",
                sources=problem_text(profile_help),
            )
        if source is KeySource.ENV:
            return _("In use: from the OPENAI_API_KEY environment variable (it takes precedence).")
        if source is KeySource.COMMAND:
            return _("In use: from the API key command.")
        if source is KeySource.FILE:
            path = self.services.paths.credentials_file
            return _("In use: from {path} (readable only by you).", path=path)
        return _("No key yet. It is saved in a file only you can read.")

    # -- validation --------------------------------------------------------------------------

    def _show_error(self, key: str, message: str) -> None:
        error = self.query_one(f"#{key}-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")
        widget = self.query(f"#{key}").first()
        widget.set_class(bool(message), "-invalid")

    def _check(self, key: str, raw: str) -> tuple[bool, Any]:
        try:
            value = validate_value(key, raw)
        except ConfigError as error:
            self._show_error(key, problem_text(error.detail))
            return False, None
        self._show_error(key, "")
        return True, value

    def _check_key(self) -> tuple[bool, ApiKey | None]:
        raw = self.query_one("#api_key", Input).value
        if not raw.strip():
            self._show_error("api_key", "")
            return True, None
        try:
            key = ApiKey(raw)
        except KeyError_ as error:
            self._show_error("api_key", error_text(error))
            return False, None
        self._show_error("api_key", "")
        return True, key

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        key = event.input.id or ""
        if key == "api_key":
            self._check_key()
        elif key:
            self._check(key, event.value)

    @on(Checkbox.Changed, "#reveal")
    def _reveal(self, event: Checkbox.Changed) -> None:
        self.query_one("#api_key", Input).password = not event.value

    @on(Select.Changed, "#model-pick")
    def _picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.query_one("#model", Input).value = event.value

    def _form(self) -> tuple[Settings | None, ApiKey | None]:
        """The settings in the form, or None if any value is invalid (errors shown)."""
        values: dict[str, Any] = {}
        ok = True
        for key, _label, _placeholder in _FIELDS:
            raw = self.query_one(f"#{key}", Input).value
            if key == "proxy" and raw == mask_proxy(self.services.settings.proxy):
                raw = self.services.settings.proxy  # unchanged: keep the real password
            valid, value = self._check(key, raw)
            ok = ok and valid
            values[key] = value
        key_ok, api_key = self._check_key()
        values["system_prompt"] = self.query_one("#system_prompt", TextArea).text
        theme = self.query_one("#theme", Select).value
        if isinstance(theme, str):
            values["theme"] = theme
        effort = self.query_one("#reasoning_effort", Select).value
        if isinstance(effort, str):
            values["reasoning_effort"] = effort
        language = self.query_one("#language", Select).value
        if isinstance(language, str):
            values["language"] = language
        for picker in self.query("#profile").results(Select):
            if isinstance(picker.value, str):
                values["profile"] = picker.value
        if not (ok and key_ok):
            return None, None
        return dataclasses.replace(self.services.settings, **values), api_key

    # -- actions -----------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self._command_running:
            return
        settings, api_key = self._form()
        if settings is None:
            self._result(_("Some values are invalid: fix the fields marked in red."), ok=False)
            return
        command = self.services.key_command_of(settings)
        if command and command != self._failed_command and not self.services.has_key_from(command):
            self.run_key_command(command, self.action_save)  # then saves the form as it is then
            return
        self._save(settings, api_key)

    def _save(self, settings: Settings, api_key: ApiKey | None) -> None:
        try:
            note = self.services.update(settings, api_key)
        except OSError as error:
            self._result(_("Could not save: {error}", error=error_text(error)), ok=False)
            return
        if note is not None:
            self.notify(problem_text(note), severity="warning", markup=False, timeout=10)
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#test")
    def _test(self) -> None:
        if self._command_running:
            return
        settings, api_key = self._form()
        if settings is None:
            self._result(_("Fix the fields marked in red first."), ok=False)
            return
        command = "" if api_key else self.services.key_command_of(settings)
        if command and not self.services.has_key_from(command):
            self.services.forget_key_command_failures()  # try it again
            self.run_key_command(command, self._test)
            return
        self._test_with(settings, api_key)

    def _test_with(self, settings: Settings, api_key: ApiKey | None) -> None:
        """Test the endpoint of the form (or of the profile chosen in it)."""
        endpoint = self.services.endpoint_for(settings)
        key = api_key or endpoint.key.key
        if key is None and endpoint.needs_key:
            if endpoint.key.error:
                error = problem_text(endpoint.key.error)
                self._result(_("Could not get the API key: {error}", error=error), ok=False)
            else:
                self._result(_("Enter an API key first."), ok=False)
            return
        self._result(_("Connecting…"), ok=None)
        self.test_connection(endpoint, key)

    # -- the key command ---------------------------------------------------------------------

    def run_key_command(self, command: str, then: Callable[[], None]) -> None:
        """Run ``command`` in a thread, then ``then`` if it gave a key."""
        self._command_running = command
        self._result(_("Running api_key_command…"), ok=None)
        self._run_key_command(command, then)

    @work(thread=True, exclusive=True, group="settings-key-command", exit_on_error=False)
    def _run_key_command(self, command: str, then: Callable[[], None]) -> None:
        try:
            self.services.run_key_command(command)
        except KeyError_ as error:
            self.post_message(KeyCommandRan(command, error_text(error), then))
        else:
            self.post_message(KeyCommandRan(command, None, then))

    @on(KeyCommandRan)
    def _has_key_from(self, event: KeyCommandRan) -> None:
        self._command_running = ""
        if event.error is None:
            self._failed_command = ""
            self._result("", ok=None)
            event.then()
            return
        self._failed_command = event.command
        if self.query_one("#api_key_command", Input).value.strip() == event.command:
            self._show_error("api_key_command", event.error)
        self._result(
            _(
                "Could not get the API key: {error} Fix the command, or press Save again to "
                "save without its key.",
                error=event.error,
            ),
            ok=False,
        )

    @work(exclusive=True, group="test-connection", exit_on_error=False)
    async def test_connection(self, endpoint: Endpoint, key: ApiKey | None) -> None:
        """List the endpoint's models (the form's endpoint or profile) and say what happened."""
        from chattui.core.client import endpoint_client

        client = endpoint_client(endpoint, key)
        try:
            models = await client.list_models()
        except ChatError as error:
            self._result(_("Failed: {message}", message=problem_text(error.problem)), ok=False)
            return
        finally:
            await client.aclose()
        self._models = models or _catalog_models(self.services)
        picker = self.query_one("#model-pick", Select)
        picker.set_options([(name, name) for name in self._models])
        self.query_one("#model", Input).suggester = SuggestFromList(self._models)
        if models:
            words = ngettext(
                "Connected: {count} model available.",
                "Connected: {count} models available.",
                len(models),
            )
        else:
            words = _("Connected, but the server lists no models.")
        self._result(words, ok=True)

    def _result(self, text: str, ok: bool | None) -> None:
        result = self.query_one("#test-result", Static)
        result.update(text)
        result.set_class(ok is True, "-ok")
        result.set_class(ok is False, "-fail")
