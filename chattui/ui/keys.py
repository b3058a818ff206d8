"""Key bindings: ids, the ``[keys]`` table of config.toml, and the help screen's list.

Every binding in chattui has an ``id`` (``Binding(..., id="new_conversation")``) and a
``tooltip`` (the help screen's text; the footer shows the short description). That is all a new
binding needs: :func:`bound_keys` finds the bindings of every chattui widget, screen and the app
by walking the classes, :func:`check_keymap` checks the user's ``[keys]`` against them, and the
help screen and the footer show the effective keys (Textual applies the keymap itself).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import Keys, _character_to_key, format_key, key_to_character
from textual.screen import ModalScreen, Screen

from chattui.core.keymap import line_of
from chattui.core.problems import Problem, Value
from chattui.i18n import _

__all__ = ["BoundKey", "bound_keys", "check_keymap", "help_sections", "key_label"]

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED_KEYS = frozenset(key.value for key in Keys if "+" not in key.value) | {"space"}


def _sections() -> dict[str, str]:
    """Help section of each class's bindings, in the order shown (translated at call time)."""
    return {
        "PromptInput": _("Prompt"),
        "MainScreen": _("Chat"),
        "ChatLog": _("Messages (chat log focused)"),
        "LibraryScreen": _("Chat"),
        "ConversationList": _("Sidebar"),
        "FilterInput": _("Sidebar"),
        "ChatApp": _("App"),
        "SettingsScreen": _("Settings"),
    }


def _fixed_keys() -> list[tuple[str, str, str]]:
    """Keys that are not chattui bindings (Textual's own): (section, key, what it does)."""
    return [
        (
            _("Prompt"),
            "Up / Down",
            _("Earlier prompts (in an empty prompt or at its first/last line)"),
        ),
        (_("Chat"), "Tab / Shift+Tab", _("Move focus")),
        (
            _("Messages (chat log focused)"),
            _("Mouse drag"),
            _("Select text; c or Ctrl+C copies it"),
        ),
        (_("Sidebar"), "Enter", _("Open the conversation")),
    ]


def _help_texts() -> dict[str, str]:
    """Help text of bindings declared without a ``tooltip`` (by id)."""
    texts = {
        "cursor_up": _("Move the cursor over messages and code blocks"),
        "cursor_down": _("Move the cursor over messages and code blocks"),
        "message_menu": _("Actions of the message under the cursor"),
        "copy": _("Copy the selection, code block or message"),
        "copy_all": _("Copy the conversation as Markdown"),
        "edit_message": _("Edit and resend your message (new branch)"),
        "regenerate": _("Regenerate the reply (the old one is kept)"),
        "previous_alternative": _("Previous / next alternative (◀ 2/3 ▶)"),
        "next_alternative": _("Previous / next alternative (◀ 2/3 ▶)"),
        "quote": _("Quote into the prompt"),
        "delete_turn": _("Delete the turn (asks first)"),
        "toggle_system": _("Expand or collapse the system prompt"),
        "focus_prompt": _("Back to the prompt"),
    }
    texts.update({f"copy_code_{n}": _("Copy code block N of the reply") for n in range(1, 10)})
    return texts


@dataclass(frozen=True)
class BoundKey:
    """A binding with an id, and the class that declares it."""

    id: str
    binding: Binding
    owner: type[DOMNode]

    @property
    def section(self) -> str:
        sections = _sections()
        name = self.owner.__name__
        if name in sections:
            return sections[name]
        return _("Dialogs") if issubclass(self.owner, ModalScreen) else name

    @property
    def description(self) -> str:
        """The help text: the binding's tooltip, else a text kept here, else its label."""
        return self.binding.tooltip or _help_texts().get(self.id) or self.binding.description


def _classes(root: type[DOMNode]) -> Iterator[type[DOMNode]]:
    for cls in root.__subclasses__():
        yield cls
        yield from _classes(cls)


def _chattui_classes() -> list[type[DOMNode]]:
    return list(
        dict.fromkeys(cls for cls in _classes(DOMNode) if cls.__module__.startswith("chattui."))
    )


def bound_keys() -> list[BoundKey]:
    """Every binding with an id that a chattui class declares (in the help screen's order)."""
    found: list[BoundKey] = []
    for cls in _chattui_classes():
        for item in cls.__dict__.get("BINDINGS", []):
            if isinstance(item, Binding) and item.id:
                found.append(BoundKey(item.id, item, cls))
    order = list(_sections())
    found.sort(key=lambda b: order.index(b.owner.__name__) if b.owner.__name__ in order else 99)
    return found


def _keys(text: str) -> list[str]:
    return [key.strip() for key in text.split(",") if key.strip()]


def _normal(key: str) -> str:
    return _character_to_key(key) if len(key) == 1 else key


def _bad_key(key: str) -> bool:
    *modifiers, base = key.split("+")
    if any(modifier not in MODIFIERS for modifier in modifiers) or not base:
        return True
    return not (len(base) == 1 or base in _NAMED_KEYS or key_to_character(base) is not None)


def _active_together(a: type[DOMNode], b: type[DOMNode]) -> bool:
    """Whether bindings of ``a`` and ``b`` can be in one focus chain at the same time."""
    if a is b or issubclass(a, App) or issubclass(b, App):
        return True
    screens = [cls for cls in (a, b) if issubclass(cls, Screen)]
    if len(screens) == 2:
        return False
    # A widget and a full screen (widgets of chattui live on the main screen); never a modal.
    return len(screens) == 1 and not issubclass(screens[0], ModalScreen)


def check_keymap(
    keys: Mapping[str, str], config_file: Path
) -> tuple[dict[str, str], list[Problem]]:
    """The keymap to apply (id -> keys) and one problem per bad entry (``config.keys.*``),
    naming the file and line.

    Unknown ids and invalid key names are left out. An entry whose key is already used by
    another binding active at the same time is left out too (the default stays), and both
    bindings are named.
    """
    bound = bound_keys()
    ids = {b.id for b in bound}
    problems: list[Problem] = []
    keymap: dict[str, str] = {}
    found: dict[str, Value]

    def where(action: str) -> str:
        line = line_of(config_file, "keys", action)
        return f"{config_file}:{line}" if line else f"{config_file} [keys]"

    for action, text in keys.items():
        if action not in ids:
            close = difflib.get_close_matches(action, sorted(ids), n=3)
            hint = (
                Problem("config.keys.did_you_mean", {"names": ", ".join(close)})
                if close
                else Problem("config.keys.see_readme")
            )
            found = {"where": where(action), "action": repr(action), "hint": hint}
            problems.append(Problem("config.keys.unknown_action", found))
            continue
        bad = [key for key in _keys(text) if _bad_key(key)]
        if bad:
            found = {"where": where(action), "action": action, "keys": ", ".join(bad)}
            problems.append(Problem("config.keys.bad_key", found))
            continue
        keymap[action] = ",".join(_normal(key) for key in _keys(text))

    for action in list(keymap):
        clash = _clash(action, keymap, bound)
        if clash is not None:
            key, other = clash
            found = {"where": where(action), "action": action, "key": key, "other": other}
            problems.append(Problem("config.keys.taken", found))
            del keymap[action]
    return keymap, problems


def _clash(action: str, keymap: Mapping[str, str], bound: list[BoundKey]) -> tuple[str, str] | None:
    """(key, the other binding's name) if ``action``'s new keys are taken, else None.

    Every binding of the classes counts, Textual's inherited ones too (a TextArea's F6), as
    the other bindings look once the keymap is applied.
    """
    new_keys = {_normal(key) for key in _keys(keymap[action])}
    owners = [b.owner for b in bound if b.id == action]
    for cls in _chattui_classes():
        if not any(_active_together(owner, cls) for owner in owners):
            continue
        for other in cls._merge_bindings():
            binding = other[1]
            if binding.id == action:
                continue
            keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
            taken = new_keys & {_normal(key) for key in _keys(keys)}
            if taken:
                return ", ".join(sorted(taken)), binding.id or binding.action
    return None


_LABELS = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "pageup": "PgUp",
    "pagedown": "PgDn",
}


def key_label(key: str) -> str:
    """``ctrl+shift+pageup`` -> ``Ctrl+Shift+PgUp``; ``question_mark`` -> ``?``."""
    *modifiers, base = key.split("+")
    if len(base) > 1:
        shown = format_key(base)
        base = _LABELS.get(base) or (shown if len(shown) == 1 else base.replace("_", " ").title())
    elif modifiers:
        base = base.upper()
    return "+".join([*(_LABELS.get(m, m.title()) for m in modifiers), base])


def help_sections(keymap: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Sections of (effective key, what it does) for the help screen."""
    sections: dict[str, list[tuple[str, str]]] = {}
    shown: set[tuple[str, str]] = set()
    for item in bound_keys():
        if (item.section, item.id) in shown:
            continue
        shown.add((item.section, item.id))
        labels = [key_label(key) for key in _keys(keymap.get(item.id, item.binding.key))]
        rows = sections.setdefault(item.section, [])
        if rows and rows[-1][1] == item.description:  # e.g. Up and Down: one row
            labels = [rows.pop()[0], *labels]
        rows.append((" / ".join(labels), item.description))
    for section, key, description in _fixed_keys():
        sections.setdefault(section, []).append((key, description))
    for rows in sections.values():
        for index, (keys, description) in enumerate(rows):
            parts = keys.split(" / ")
            if len(parts) > 2 and all(part.isdigit() for part in parts):
                rows[index] = (f"{parts[0]} … {parts[-1]}", description)  # 1 … 9
    return list(sections.items())
