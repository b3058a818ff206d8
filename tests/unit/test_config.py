"""Settings: precedence, validation with helpful messages, atomic saving, bad files kept."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest

from chattui.core.config import (
    ConfigError,
    Settings,
    load_settings,
    mask_proxy,
    save_settings,
    validate_value,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def test_defaults_when_no_file(tmp_path: Path) -> None:
    loaded = load_settings(tmp_path / "config.toml", environ={})
    assert loaded.settings == Settings()
    assert loaded.warnings == ()


def test_precedence_cli_over_env_over_file(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'model = "from-file"\nproxy = "http://h:1"\n')
    env = {"CHATTUI_MODEL": "from-env", "OPENAI_BASE_URL": "http://env.example/v1"}
    loaded = load_settings(path, environ=env, overrides={"model": "from-cli"})
    assert loaded.settings.model == "from-cli"
    assert loaded.settings.base_url == "http://env.example/v1"
    assert loaded.settings.proxy == "http://h:1"
    assert load_settings(path, environ=env).settings.model == "from-env"
    assert load_settings(path, environ={}).settings.model == "from-file"


def test_not_toml_keeps_defaults_names_file(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "model = = broken")
    loaded = load_settings(path, environ={})
    assert loaded.settings == Settings()
    assert not loaded.file_ok
    warning = str(loaded.warnings[0])
    assert str(path) in warning and "not valid TOML" in warning
    assert path.read_text() == "model = = broken"


@pytest.mark.parametrize(
    ("line", "key", "words"),
    [
        ("max_tokens = 0", "max_tokens", "greater than 0"),
        ("max_tokens = -5", "max_tokens", "greater than 0"),
        ("max_tokens = 10.5", "max_tokens", "whole number"),
        ('max_tokens = "many"', "max_tokens", "whole number"),
        ('proxy = "ftp://h:1"', "proxy", "scheme must be one of"),
        ('base_url = "api.openai.com/v1"', "base_url", "http:// or https://"),
        ("temperature = 7", "temperature", "between 0 and 2"),
        ("model = 3", "model", "must be a string"),
        ('max_tokens = "300"', "max_tokens", "is a string, not a number"),
        ('timeout = "30"', "timeout", "without quotes: timeout = 30.0"),
        ("colour = 'red'", "colour", "unknown setting"),
    ],
)
def test_bad_value_names_file_key_fix_and_keeps_others(
    tmp_path: Path, line: str, key: str, words: str
) -> None:
    path = write(tmp_path / "config.toml", f'theme = "nord"\n{line}\n')
    loaded = load_settings(path, environ={})
    assert loaded.settings.theme == "nord"  # the good key survives
    assert len(loaded.warnings) == 1
    warning = str(loaded.warnings[0])
    assert str(path) in warning and key in warning and words in warning


def test_numbers_as_text_are_fine_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'max_tokens = "300"\n')
    loaded = load_settings(path, environ={"CHATTUI_MAX_TOKENS": "400"})
    assert loaded.settings.max_tokens == 400
    assert len(loaded.warnings) == 1 and "max_tokens = 300" in str(loaded.warnings[0])


def test_save_is_private_atomic_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.toml"
    settings = Settings(model="gpt-4.1", max_tokens=512, proxy="socks5://127.0.0.1:1080")
    assert save_settings(settings, path) is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings(path, environ={}).settings == settings
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]


def test_save_keeps_unparseable_file_aside(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "not [toml")
    kept = save_settings(Settings(model="x"), path)
    assert kept is not None and kept.read_text() == "not [toml"
    assert load_settings(path, environ={}).settings.model == "x"


COMMENTED = """\
# Notes at the top.
model = "gpt-4o"  # inline
colour = "red"  # not a setting: reported, and kept
temperature = 7  # a bad value: reported, and kept until changed
keys.quit = "ctrl+w"

# [profiles.example]
# base_url = "https://example.com/v1"

[profiles.deepseek]
base_url = "https://api.deepseek.com/v1"  # cheap
api_key_env = "DEEPSEEK_API_KEY"

[profiles.old]
base_url = "https://old.example/v1"

[models."my-model"]
context_window = 32000  # from the docs
"""


def test_save_edits_the_file_in_place(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", COMMENTED)
    settings = load_settings(path, environ={}).settings
    profiles = dict(settings.profiles)
    profiles["deepseek"] = {**profiles["deepseek"], "model": "deepseek-chat"}
    profiles["qwen"] = {"base_url": "https://qwen.example/v1"}
    del profiles["old"]
    changed = dataclasses.replace(
        settings, profiles=profiles, keys={"quit": "ctrl+w", "help": "f9"}, theme="nord"
    )
    assert save_settings(changed, path) is None
    expected = (
        COMMENTED.replace('keys.quit = "ctrl+w"\n', 'keys.quit = "ctrl+w"\nkeys.help = "f9"\n')
        .replace('keys.help = "f9"\n', 'keys.help = "f9"\ntheme = "nord"\n')
        .replace(
            'api_key_env = "DEEPSEEK_API_KEY"\n',
            'api_key_env = "DEEPSEEK_API_KEY"\nmodel = "deepseek-chat"\n',
        )
        .replace(
            '[profiles.old]\nbase_url = "https://old.example/v1"\n',
            '[profiles.qwen]\nbase_url = "https://qwen.example/v1"\n',
        )
    )
    assert path.read_text("utf-8") == expected
    assert load_settings(path, environ={}).settings == changed

    # Unchanged settings leave the file as it is, byte for byte.
    save_settings(changed, path)
    assert path.read_text("utf-8") == expected


def test_save_removes_cleared_values_and_empty_tables(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'max_tokens = 5  # short\n\n[keys]\nhelp = "f9"\n')
    save_settings(Settings(), path)
    assert path.read_text("utf-8") == "\n"
    assert load_settings(path, environ={}).settings == Settings()


def test_a_system_prompt_of_several_lines_is_written_as_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "# mine\n")
    prompt = 'Be brief.\nQuote code with """ and \\ as is.\n'
    save_settings(Settings(system_prompt=prompt), path)
    assert path.read_text("utf-8").startswith('# mine\nsystem_prompt = """Be brief.\nQuote')
    assert load_settings(path, environ={}).settings.system_prompt == prompt


def test_validate_value_message() -> None:
    with pytest.raises(ConfigError) as info:
        validate_value("proxy", "socks4://h:1", "config.toml")
    assert "config.toml: proxy" in str(info.value)
    assert "socks5://" in str(info.value)
    assert validate_value("max_tokens", "") is None
    assert validate_value("max_tokens", "1_000") == 1000
    assert validate_value("base_url", "https://x/v1/") == "https://x/v1"


def test_mask_proxy() -> None:
    assert mask_proxy("http://user:secret@127.0.0.1:8080") == "http://user:***@127.0.0.1:8080"
    assert mask_proxy("socks5://127.0.0.1:1080") == "socks5://127.0.0.1:1080"
