"""Every UI string goes through one function, and the Chinese catalog covers all of them."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import chattui
from chattui.i18n import _, get_language, set_language
from chattui.locales.zh import CATALOG
from chattui.ui.screens.settings import _FIELDS

PACKAGE = Path(chattui.__file__).parent


def ui_strings() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    for _key, label, placeholder in _FIELDS:
        found.update((label, placeholder))
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_chinese_catalog_is_complete_and_consistent() -> None:
    strings = ui_strings()
    assert len(strings) > 80
    missing = sorted(strings - set(CATALOG))
    assert missing == []
    for english, chinese in CATALOG.items():
        assert fields(english) == fields(chinese), english
        assert re.search(r"[\u4e00-\u9fff]", chinese) or english == chinese or "{" in english


def test_switching_language() -> None:
    try:
        set_language("zh")
        assert get_language() == "zh"
        assert _("Settings") == "设置"
        assert _("{count} earlier messages not sent", count=3) == "3 条较早的消息未发送"
        set_language("xx")
        assert get_language() == "en" and _("Settings") == "Settings"
    finally:
        set_language("en")
