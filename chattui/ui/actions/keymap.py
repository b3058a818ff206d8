"""The user's ``[keys]`` checked against the table of actions, and the help screen's list.

:func:`check_keymap` returns the keymap Textual applies (binding id -> keys) and one problem per
bad entry; :func:`help_sections` lists the keys in effect. Both read only the table, plus the
bindings Textual's own widgets bring to a scope (a TextArea's F6), which a new key must not take.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import Keys, _character_to_key, format_key, key_to_character
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.widgets import Input, OptionList, TextArea

from chattui.core.keymap import line_of
from chattui.core.problems import Problem, Value
from chattui.i18n import _
from chattui.ui.actions import Action, Scope, action_table, key_list, palette_actions

__all__ = ["check_keymap", "first_key", "help_sections", "key_label", "palette_entries"]

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED_KEYS = frozenset(key.value for key in Keys if "+" not in key.value) | {"space"}

_PANES = frozenset({Scope.PROMPT, Scope.LOG, Scope.SIDEBAR, Scope.FILTER, Scope.FIND})
_BASES: dict[Scope, tuple[type[DOMNode], ...]] = {
    Scope.APP: (App,),
    Scope.CHAT: (Screen,),
    Scope.PROMPT: (TextArea,),
    Scope.LOG: (ScrollView,),
    Scope.SIDEBAR: (OptionList,),
    Scope.FILTER: (Input,),
    Scope.FIND: (Input,),
    Scope.SEARCH: (ModalScreen, Input, OptionList),
    Scope.SETTINGS: (ModalScreen, Input, TextArea),
    Scope.DETAILS: (ModalScreen, Input, TextArea),
    Scope.ROLE_EDITOR: (ModalScreen, Input, TextArea),
    Scope.ROLES: (ModalScreen, OptionList),
}
"""The Textual classes whose own bindings are active in each scope."""


def _together(scope: Scope) -> set[Scope]:
    """The scopes whose bindings can be active at the same time as ``scope``'s."""
    if scope is Scope.APP:
        return {Scope.APP, Scope.CHAT, *_PANES}
    if scope is Scope.CHAT:
        return {Scope.APP, Scope.CHAT, *_PANES}
    if scope in _PANES:
        return {Scope.APP, Scope.CHAT, scope}
    # A dialog: its own keys, every dialog's Esc, and the app's priority keys.
    return {scope, Scope.DIALOG}


def _normal(key: str) -> str:
    return _character_to_key(key) if len(key) == 1 else key


def _bad_key(key: str) -> bool:
    *modifiers, base = key.split("+")
    if any(modifier not in MODIFIERS for modifier in modifiers) or not base:
        return True
    return not (len(base) == 1 or base in _NAMED_KEYS or key_to_character(base) is not None)


def _types_text(scope: Scope, key: str) -> bool:
    """Whether ``key`` (with no Ctrl or Alt) would type text where ``scope``'s actions run:
    anywhere on the main screen, where typed characters go to the prompt."""
    *modifiers, base = key.split("+")
    if not (scope is Scope.APP or scope.on_main_screen):
        return False
    if set(modifiers) - {"shift"}:
        return False
    character = base if len(base) == 1 else key_to_character(base)
    return character is not None and character.isprintable()


def _taken_by(
    action: Action, new_keys: set[str], keymap: Mapping[str, str], later: set[str]
) -> tuple[str, str] | None:
    """(key, the other binding's name) if one of ``new_keys`` is used where ``action``
    applies, else None. Textual's own bindings count too (a TextArea's F6), unless the table
    gives that key something else in the same scope. The entries of ``later`` (written after
    this one) are left out: a clash with one of them is theirs to report."""
    scopes = _together(action.scope)
    rows = [row for row in action_table() if row.id != action.id and row.id not in later]
    for row in rows:
        if row.scope in scopes or (row.priority and row.scope is Scope.APP):
            keys = key_list(keymap.get(row.id, row.keys))
            taken = new_keys & {_normal(key) for key in keys}
            if taken:
                return ", ".join(sorted(taken)), row.id
    ours = {_normal(k) for row in rows if row.scope in scopes for k in row.default_keys}
    for scope in scopes:
        for base in _BASES.get(scope, ()):
            for key, found in base._merge_bindings().key_to_bindings.items():
                binding: Binding = found[0]
                if _normal(key) in new_keys and _normal(key) not in ours:
                    return _normal(key), binding.id or binding.action
    return None


def check_keymap(
    keys: Mapping[str, str], config_file: Path
) -> tuple[dict[str, str], list[Problem]]:
    """The keymap to apply (id -> keys) and one problem per bad entry (``config.keys.*``),
    naming the file and line.

    Unknown ids and invalid key names are left out. An entry whose key is already used by
    another binding active at the same time is left out too (the default stays), and both
    bindings are named; when two entries give the same key, the later one is left out.
    """
    rows = {row.id: row for row in action_table()}
    problems: list[Problem] = []
    keymap: dict[str, str] = {}
    found: dict[str, Value]

    def where(action: str) -> str:
        line = line_of(config_file, "keys", action)
        return f"{config_file}:{line}" if line else f"{config_file} [keys]"

    for action, text in keys.items():
        if action not in rows:
            close = difflib.get_close_matches(action, sorted(rows), n=3)
            hint = (
                Problem("config.keys.did_you_mean", {"names": ", ".join(close)})
                if close
                else Problem("config.keys.see_readme")
            )
            found = {"where": where(action), "action": repr(action), "hint": hint}
            problems.append(Problem("config.keys.unknown_action", found))
            continue
        bad = [key for key in key_list(text) if _bad_key(key)]
        if bad:
            found = {"where": where(action), "action": action, "keys": ", ".join(bad)}
            problems.append(Problem("config.keys.bad_key", found))
            continue
        typing = [key for key in key_list(text) if _types_text(rows[action].scope, key)]
        if typing:
            found = {"where": where(action), "action": action, "key": typing[0]}
            problems.append(Problem("config.keys.types_text", found))
            continue
        keymap[action] = ",".join(_normal(key) for key in key_list(text))

    order = list(keymap)  # as written in the file
    for index, action in enumerate(order):
        new_keys = {_normal(key) for key in key_list(keymap[action])}
        clash = _taken_by(rows[action], new_keys, keymap, set(order[index + 1 :]))
        if clash is not None:
            key, other = clash
            found = {"where": where(action), "action": action, "key": key, "other": other}
            problems.append(Problem("config.keys.taken", found))
            del keymap[action]
    return keymap, problems


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


def _fixed_keys() -> list[tuple[str, str, str]]:
    """Keys that are not rows of the table (Textual's own): (section, key, what it does)."""
    return [
        (
            _("Prompt"),
            "Up / Down",
            _("Earlier prompts (in an empty prompt or at its first/last line)"),
        ),
        (
            _("Messages (chat log focused)"),
            _("Mouse drag"),
            _("Select text; Ctrl+C copies it"),
        ),
        (
            _("Messages (chat log focused)"),
            _("Typing"),
            _("Goes to the prompt: typed text never runs an action"),
        ),
        (_("Sidebar"), "Enter", _("Open the conversation")),
        (_("Sidebar"), _("Typing"), _("Goes to the prompt: typed text never runs an action")),
    ]


_ORDER = [
    Scope.PROMPT,
    Scope.CHAT,
    Scope.APP,
    Scope.LOG,
    Scope.SIDEBAR,
    Scope.FILTER,
    Scope.FIND,
    Scope.SEARCH,
    Scope.SETTINGS,
    Scope.DETAILS,
    Scope.ROLES,
    Scope.ROLE_EDITOR,
]


def help_sections(keymap: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Sections of (effective keys, what it does) for the help screen; rows without a key
    (palette only) are left out."""
    rows = sorted(
        action_table(),
        key=lambda r: _ORDER.index(r.scope) if r.scope in _ORDER else len(_ORDER),
    )
    sections: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        keys = key_list(keymap.get(row.id, row.keys))
        if not keys:
            continue
        labels = [key_label(key) for key in keys]
        items = sections.setdefault(row.scope.title, [])
        if items and items[-1][1] == row.help:  # e.g. Up and Down: one row
            labels = [items.pop()[0], *labels]
        items.append((" / ".join(labels), row.help))
    for section, key, description in _fixed_keys():
        sections.setdefault(section, []).append((key, description))
    for items in sections.values():
        for index, (shown, description) in enumerate(items):
            parts = shown.split(" / ")
            if len(parts) > 2 and all(part[-1:].isdigit() for part in parts):
                items[index] = (f"{parts[0]} … {parts[-1]}", description)  # Alt+1 … Alt+9
    return list(sections.items())


def first_key(action_id: str, keymap: Mapping[str, str]) -> str:
    """The first key of an action as shown to people (``Alt+U``), with ``[keys]`` applied;
    "" if it has none."""
    row = next((row for row in action_table() if row.id == action_id), None)
    keys = key_list(keymap.get(action_id, row.keys if row is not None else ""))
    return key_label(keys[0]) if keys else ""


def palette_entries(
    scopes: frozenset[Scope], keymap: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """(title, help with the key in effect, action) of the table's palette rows in
    ``scopes``."""
    entries = []
    for row in palette_actions():
        if row.scope in scopes:
            keys = key_list(keymap.get(row.id, row.keys))
            help_text = row.help + (f" · {key_label(keys[0])}" if keys else "")
            entries.append((row.long_title or row.title, help_text, row.palette_action))
    return entries
