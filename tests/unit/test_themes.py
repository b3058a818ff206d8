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
    specs, failures = load_themes([bundled_themes_dir(), tmp_path])
    dark = next(spec for spec in specs if spec.name == "chattui-dark")
    assert dark.colors["primary"] == "#000000"
    assert len(failures) == 2
    assert any("broken.toml" in f for f in failures)
    assert any("nocolor.toml" in f and "primary" in f for f in failures)
