"""Every screen keeps its styles in a ``.tcss`` file next to its module (``CSS_PATH``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.css.stylesheet import Stylesheet
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES

import chattui.ui.main
import chattui.ui.screens


def screen_classes() -> list[type[Screen[object]]]:
    """The Screen subclasses defined in chattui.ui.screens.* and chattui.ui.main.*."""
    found: list[type[Screen[object]]] = []
    for package in (chattui.ui.screens, chattui.ui.main):
        for module_info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{module_info.name}")
            for _name, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, Screen) and value.__module__ == module.__name__:
                    found.append(value)
    return found


def test_screens_style_through_tcss_files_that_parse() -> None:
    classes = screen_classes()
    assert len(classes) > 10
    styled = [cls for cls in classes if cls.CSS_PATH is not None]
    assert {cls.__name__ for cls in styled} >= {"MainScreen", "SettingsScreen", "HelpScreen"}
    for cls in classes:
        assert "DEFAULT_CSS" not in cls.__dict__, f"{cls.__name__}: move its CSS to a .tcss file"
    for cls in styled:
        path = cls.CSS_PATH
        assert isinstance(path, Path) and path.is_file(), (cls.__name__, path)
        assert path.parent == Path(inspect.getfile(cls)).parent
        assert cls.__name__ in path.read_text("utf-8")  # its own rules are in there
        sheet = Stylesheet(variables=BUILTIN_THEMES["textual-dark"].to_color_system().generate())
        sheet.read(path)
        sheet.parse()  # raises on a syntax error
        assert sheet.rules
