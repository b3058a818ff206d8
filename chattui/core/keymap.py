"""The ``[keys]`` table of ``config.toml``: binding id -> key(s), and where each entry is written.

The table maps a binding id (``new_conversation``) to one key (``"ctrl+t"``), several separated
by commas (``"ctrl+t,f5"``), or a list of keys. Which ids exist, and whether keys clash, is for
the UI to decide (it knows the bindings); this module only reads the table and finds the line
of an entry so that problems can name it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from chattui.core.problems import InvalidValue, Problem

__all__ = ["check_keys", "line_of"]


def check_keys(value: object) -> dict[str, str]:
    """Normalise the ``[keys]`` table to id -> ``"key1,key2"``.

    Raises:
        InvalidValue: not a table of strings (or lists of strings).
    """
    if not isinstance(value, Mapping):
        raise InvalidValue(Problem("config.reason.keys"))
    keys: dict[str, str] = {}
    for action, bound in value.items():
        if isinstance(bound, list) and bound and all(isinstance(k, str) for k in bound):
            bound = ",".join(bound)
        if not isinstance(bound, str) or not bound.strip():
            raise InvalidValue(Problem("config.reason.key_entry", {"action": str(action)}))
        keys[str(action)] = ",".join(part.strip() for part in bound.split(",") if part.strip())
    return keys


def line_of(path: Path, table: str, key: str) -> int | None:
    """The 1-based line where ``key`` is set in ``[table]`` of the TOML file, if found."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
    entry = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    dotted = re.compile(rf"""^\s*{re.escape(table)}\s*\.\s*{re.escape(key)}\s*=""")
    current = ""
    for number, line in enumerate(lines, 1):
        found = header.match(line)
        if found:
            current = found.group(1)
            continue
        if (current == table and entry.match(line)) or (current == "" and dotted.match(line)):
            return number
    return None
