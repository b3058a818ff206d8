"""Themes in the app: the picker previews live (Esc restores), the choice persists in config.toml,
code highlighting follows the theme, user themes load and a bad one is reported and skipped."""

from __future__ import annotations

import sys
from pathlib import Path

from chattui.ui.screens.picker import PickerScreen
from tests.ui.conftest import SIZE, MakeApp, chat_log, notices
from tests.ui.test_settings import config_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def saved_theme(home: Path) -> str | None:
    path = config_file(home)
    if not path.exists():
        return None
    theme = tomllib.loads(path.read_text("utf-8")).get("theme")
    return theme if isinstance(theme, str) else None


async def test_picker_previews_restores_and_persists(make_app: MakeApp, home: Path) -> None:
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        log = chat_log(app)
        assert app.theme == "chattui-dark"
        assert log._build_palette().code_theme == "monokai"

        app.action_change_theme()
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        await pilot.press("down")
        await pilot.pause()
        previewed = app.theme
        assert previewed != "chattui-dark"  # moving the highlight applies the theme at once
        await pilot.press("escape")
        await pilot.pause()
        assert app.theme == "chattui-dark" and saved_theme(home) is None

        app.action_change_theme()
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        names = [value for _label, value in picker.choices]
        steps = names.index("dracula") - names.index("chattui-dark")
        await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))
        assert app.theme == "dracula"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PickerScreen)
        assert app.theme == "dracula" and saved_theme(home) == "dracula"
        assert app.services.settings.theme == "dracula"
        # Code blocks are highlighted with the theme's own Pygments style.
        assert log._build_palette().code_theme == "dracula"


async def test_user_themes_load_and_bad_ones_are_reported(make_app: MakeApp, home: Path) -> None:
    themes = home / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text(
        'name = "mine"\ndark = false\nprimary = "#0055aa"\nbackground = "#fafafa"\n'
        'code_theme = "solarized-light"\n',
        "utf-8",
    )
    (themes / "broken.toml").write_text('name = "broken"\nprimary = 12\n', "utf-8")
    (themes / "badcode.toml").write_text(
        'name = "badcode"\nprimary = "#112233"\ncode_theme = "no-such-style"\n', "utf-8"
    )
    config_file(home).write_text('theme = "mine"\n', "utf-8")
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "mine" and not app.current_theme.dark
        assert chat_log(app)._build_palette().code_theme == "solarized-light"
        messages = notices(app)
        assert any(str(themes / "broken.toml") in m and "primary" in m for m in messages)
        assert any(str(themes / "badcode.toml") in m and "no-such-style" in m for m in messages)
        assert "broken" not in app.available_themes
        assert "badcode" in app.available_themes  # usable, with the default code style


def test_bundled_themes_pass_the_checks_skipped_at_start_up() -> None:
    """register_themes trusts the bundled themes (no Pygments import, no colour generation
    before the first frame): every one of them must have a known code theme and colours
    Textual can generate."""
    from chattui.core.themes import bundled_themes_dir, load_themes
    from chattui.ui.theming import _known_code_theme, _to_theme

    specs, failures = load_themes([bundled_themes_dir()])
    assert failures == []
    assert len(specs) >= 9
    for spec in specs:
        assert spec.code_theme == "" or _known_code_theme(spec.code_theme), spec.name
        colors = _to_theme(spec).to_color_system().generate()
        assert colors["primary"], spec.name
