"""Theme files parse into specs; broken ones are reported, not fatal; user files override."""

from __future__ import annotations

from pathlib import Path

from chattui.core.themes import bundled_themes_dir, load_themes


def test_bundled_themes_load() -> None:
    specs, failures = load_themes([bundled_themes_dir()])
    assert failures == []
    names = {spec.name for spec in specs}
    assert {"chattui-dark", "chattui-light"} <= names
    dark = next(spec for spec in specs if spec.name == "chattui-dark")
    assert dark.dark and dark.colors["primary"].startswith("#")


def test_user_theme_overrides_and_failures_reported(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('name = "chattui-dark"\nprimary = "#000000"\n')
    (tmp_path / "broken.toml").write_text("name = ")
    (tmp_path / "nocolor.toml").write_text('name = "x"\nprimary = "red"\n')
    specs, problems = load_themes([bundled_themes_dir(), tmp_path])
    failures = [str(problem) for problem in problems]
    dark = next(spec for spec in specs if spec.name == "chattui-dark")
    assert dark.colors["primary"] == "#000000"
    assert len(failures) == 2
    assert any("broken.toml" in f for f in failures)
    assert any("nocolor.toml" in f and "primary" in f for f in failures)


def test_bundled_set_covers_dark_light_contrast_and_terminal_colours() -> None:
    specs, failures = load_themes([bundled_themes_dir()])
    assert failures == []
    assert len(specs) >= 6
    by_name = {spec.name: spec for spec in specs}
    assert not by_name["chattui-light"].dark and not by_name["catppuccin-latte"].dark
    assert by_name["chattui-high-contrast"].colors["background"] == "#000000"
    terminal = by_name["terminal"]
    assert terminal.ansi and all(c.startswith("ansi_") for c in terminal.colors.values())
    assert {"dracula", "nord", "gruvbox-dark", "tokyo-night"} <= set(by_name)
    assert all(spec.code_theme for spec in specs)  # code highlighting follows every theme


def test_bad_colours_and_keys_are_reported_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "short.toml").write_text('name = "a"\nprimary = "#12"\n')
    (tmp_path / "ansi.toml").write_text('name = "b"\nprimary = "ansi_blue"\n')  # needs ansi=true
    (tmp_path / "typo.toml").write_text('name = "c"\nprimary = "#123456"\nbackgound = "#000"\n')
    (tmp_path / "ok.toml").write_text('name = "d"\nansi = true\nprimary = "ansi_bright_red"\n')
    specs, problems = load_themes([tmp_path])
    failures = [str(problem) for problem in problems]
    assert [spec.name for spec in specs] == ["d"]
    assert len(failures) == 3
    assert any("short.toml" in f and "'primary' must be a colour" in f for f in failures)
    assert any("ansi.toml" in f for f in failures)
    assert any("typo.toml" in f and "'backgound'" in f for f in failures)
