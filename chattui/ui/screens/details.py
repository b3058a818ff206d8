"""The conversation details dialog (F3): title, model, system prompt, temperature, max_tokens.

The model is typed freely or picked from the endpoint's list (``/v1/models``), each shown with
the catalog's context window. An empty field follows the default from the settings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static

from chattui.core.catalog import ModelInfo
from chattui.core.chatparams import ConversationDetails, parse_param
from chattui.core.config import ConfigError, Settings
from chattui.core.events import ChatError
from chattui.i18n import _
from chattui.ui.actions import Scope, bindings
from chattui.ui.render.problems import problem_text
from chattui.ui.widgets.safe_text import SafeInput, SafeTextArea

__all__ = ["DetailsScreen"]

ModelLister = Callable[[], Awaitable[list[str]]]


def _text(value: object) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


class DetailsScreen(ModalScreen[ConversationDetails | None]):
    """Edits one conversation's details; dismisses with them (None when cancelled)."""

    BINDINGS = [*bindings(Scope.DIALOG), *bindings(Scope.DETAILS)]

    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(
        self,
        details: ConversationDetails,
        defaults: Settings,
        model_info: Callable[[str], ModelInfo],
        list_models: ModelLister | None,
    ) -> None:
        super().__init__()
        self.details = details
        self.defaults = defaults
        self.model_info = model_info
        self.list_models = list_models
        self._models: list[str] = []

    def compose(self) -> ComposeResult:
        details = self.details
        defaults = self.defaults
        with Vertical() as frame:
            frame.border_title = _("Conversation details")
            frame.border_subtitle = _("Ctrl+S save · Esc cancel")
            with VerticalScroll():
                yield Label(_("Title"), classes="label")
                yield SafeInput(details.title, id="title", compact=True)
                yield Label(_("Model"), classes="label")
                yield SafeInput(
                    details.model or "",
                    placeholder=_("default: {model}", model=defaults.model),
                    id="model",
                    compact=True,
                )
                yield Select[str]([], prompt=_("Pick a model"), id="model-pick", compact=True)
                yield Static("", classes="hint", id="model-info", markup=False)
                yield Label(_("System prompt"), classes="label")
                yield SafeTextArea(details.system_prompt, id="system_prompt", compact=True)
                yield Label(_("Temperature"), classes="label")
                yield SafeInput(
                    _text(details.temperature),
                    placeholder=self._default("temperature"),
                    id="temperature",
                    compact=True,
                )
                yield Label(_("Max tokens"), classes="label")
                yield SafeInput(
                    _text(details.max_tokens),
                    placeholder=self._default("max_tokens"),
                    id="max_tokens",
                    compact=True,
                )
                yield Static("", classes="error", id="error", markup=False)
                with Horizontal(id="buttons"):
                    yield Button(_("Cancel"), id="cancel", compact=True)
                    yield Button(_("Save"), id="save", variant="primary", compact=True)

    def _default(self, key: str) -> str:
        """The placeholder: what an empty field means."""
        value = getattr(self.defaults, key)
        if value is not None:
            return _("empty: the default ({value})", value=_text(value))
        if key == "temperature":
            return _("0 to 2; empty: server default")
        return _("empty: let the model decide")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        self._describe_model()
        if self.list_models is not None:
            self.query_one("#model-info", Static).update(_("Listing the endpoint's models…"))
            self.fetch_models()

    @work(exclusive=True, group="list-models", exit_on_error=False)
    async def fetch_models(self) -> None:
        """Fill the picker with the endpoint's models (``/v1/models``)."""
        assert self.list_models is not None
        try:
            models = await self.list_models()
        except ChatError as error:
            self._describe_model(
                _(
                    "Could not list the models ({message}); type a model name.",
                    message=problem_text(error.problem),
                )
            )
            return
        self._models = models
        self.query_one("#model-pick", Select).set_options(
            [(self._option_label(name), name) for name in models]
        )
        self.query_one("#model", Input).suggester = SuggestFromList(models)
        self._describe_model()

    def _option_label(self, model: str) -> str:
        info = self.model_info(model)
        if not info.known:
            return model
        return _("{model}  ·  {window} tokens", model=model, window=f"{info.context_window:,}")

    @on(Select.Changed, "#model-pick")
    def _picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.query_one("#model", Input).value = event.value

    @on(Input.Changed, "#model")
    def _model_changed(self) -> None:
        self._describe_model()

    def _describe_model(self, note: str = "") -> None:
        """Show the typed model's context window (from the catalog) under the field."""
        model = self.query_one("#model", Input).value.strip() or self.defaults.model
        info = self.model_info(model)
        if info.known:
            line = _(
                "{model}: context window {window} tokens",
                model=model,
                window=f"{info.context_window:,}",
            )
        else:
            line = _(
                "{model} is not in the catalog: {window} tokens assumed",
                model=model,
                window=f"{info.context_window:,}",
            )
        if self._models and model not in self._models:
            line += " · " + _("not offered by the endpoint")
        self.query_one("#model-info", Static).update(f"{note}\n{line}" if note else line)

    def _form(self) -> ConversationDetails | None:
        values: dict[str, Any] = {}
        errors: list[str] = []
        for key in ("temperature", "max_tokens"):
            field = self.query_one(f"#{key}", Input)
            try:
                values[key] = parse_param(key, field.value)
                field.remove_class("-invalid")
            except ConfigError as error:
                field.add_class("-invalid")
                errors.append(f"{key}: {problem_text(error.detail)}")
        self.query_one("#error", Static).update("\n".join(errors))
        if errors:
            return None
        return ConversationDetails(
            title=self.query_one("#title", Input).value,
            model=self.query_one("#model", Input).value.strip() or None,
            system_prompt=self.query_one("#system_prompt", SafeTextArea).text,
            temperature=values["temperature"],
            max_tokens=values["max_tokens"],
        )

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        details = self._form()
        if details is not None:
            self.dismiss(details)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
