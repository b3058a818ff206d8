"""The API key: sources, cleaning, masking, and a credentials file that is never world-readable."""

from __future__ import annotations

import os
import pickle
import stat
import sys
from pathlib import Path

import pytest

from chattui.core.secrets import (
    ApiKey,
    KeyCommands,
    KeyError_,
    KeySource,
    export_secrets,
    hide_key_shapes,
    mask,
    resolve_key,
    save_credentials,
)
from chattui.core.settings import Settings

CANARY = "sk-canary-0123456789abcdefXYZW"


def test_repr_and_str_are_masked() -> None:
    key = ApiKey(CANARY)
    assert CANARY not in repr(key) and CANARY not in str(key) and CANARY not in f"{key}"
    assert repr(key) == "ApiKey('sk-...XYZW')"
    assert key.reveal() == CANARY
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_key_is_stripped_and_checked() -> None:
    assert ApiKey(f"  {CANARY}\n").reveal() == CANARY
    with pytest.raises(KeyError_, match="control character"):
        ApiKey("sk-abc\x07def")
    with pytest.raises(KeyError_, match="'密'"):
        ApiKey("sk-密钥")
    with pytest.raises(KeyError_, match="empty"):
        ApiKey("   ")
    assert mask("short") == "***"


def test_env_wins(tmp_path: Path) -> None:
    creds = tmp_path / "credentials.toml"
    save_credentials(creds, ApiKey("sk-from-file-000000"))
    resolved = resolve_key(creds, environ={"OPENAI_API_KEY": CANARY})
    assert resolved.source is KeySource.ENV and resolved.key == ApiKey(CANARY)


def test_file_created_private(tmp_path: Path) -> None:
    creds = tmp_path / "sub" / "credentials.toml"
    old = os.umask(0)
    try:
        save_credentials(creds, ApiKey(CANARY))
    finally:
        os.umask(old)
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    resolved = resolve_key(creds, environ={})
    assert resolved.source is KeySource.FILE and resolved.key is not None
    assert resolved.key.reveal() == CANARY


def test_command_source(tmp_path: Path) -> None:
    command = f"{sys.executable} -c \"print('  {CANARY}  ')\""
    resolved = resolve_key(tmp_path / "none.toml", command, environ={})
    assert resolved.source is KeySource.COMMAND and resolved.key == ApiKey(CANARY)
    failing = f'{sys.executable} -c "raise SystemExit(3)"'
    resolved = resolve_key(tmp_path / "none.toml", failing, environ={})
    assert resolved.key is None and resolved.error is not None
    assert "exit code 3" in resolved.error.text()


def test_deferred_key_commands_are_pending_until_run_then_kept(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    command = (
        f'{sys.executable} -c "import pathlib; pathlib.Path({str(marker)!r}).touch(); '
        f"print('{CANARY}')\""
    )
    commands = KeyCommands(defer=True)
    resolved = resolve_key(tmp_path / "none.toml", command, {}, commands)
    assert resolved.pending and resolved.key is None and resolved.source is KeySource.COMMAND
    assert not marker.exists() and commands.pending() == [command]  # asked for, not run
    assert CANARY not in repr(commands)
    assert commands.run_pending() == [] and marker.exists() and commands.kept(command)
    marker.unlink()
    resolved = resolve_key(tmp_path / "none.toml", command, {}, commands)
    assert resolved.key == ApiKey(CANARY) and not resolved.pending and commands.pending() == []
    assert not marker.exists()  # the kept output: not run again

    failing = f'{sys.executable} -c "raise SystemExit(3)"'
    assert resolve_key(tmp_path / "none.toml", failing, {}, commands).pending
    assert [p.text() for p in commands.run_pending()] == [
        "api_key_command failed with exit code 3."
    ]
    resolved = resolve_key(tmp_path / "none.toml", failing, {}, commands)
    assert not resolved.pending and resolved.error is not None
    assert "exit code 3" in resolved.error.text()
    commands.forget_failures()
    assert resolve_key(tmp_path / "none.toml", failing, {}, commands).pending


def test_broken_credentials_file_reports(tmp_path: Path) -> None:
    creds = tmp_path / "credentials.toml"
    creds.write_text("api_key = ")
    resolved = resolve_key(creds, environ={})
    assert resolved.key is None and resolved.error is not None
    assert str(creds) in resolved.error.text()


def test_no_key(tmp_path: Path) -> None:
    resolved = resolve_key(tmp_path / "missing.toml", environ={})
    assert resolved.key is None and resolved.source is KeySource.NONE and resolved.error is None


def test_key_problems_are_data_worded_in_the_users_language(tmp_path: Path) -> None:
    from chattui.i18n import _, set_language

    failing = f'{sys.executable} -c "raise SystemExit(3)"'
    resolved = resolve_key(tmp_path / "none.toml", failing, environ={})
    assert resolved.error is not None and resolved.error.code == "no_key.command_exit"
    with pytest.raises(KeyError_) as caught:
        ApiKey("sk-abc def")
    assert caught.value.problem.code == "no_key.bad_char"
    set_language("zh")
    try:
        assert resolved.error.text(_) == "api_key_command 执行失败，退出码为 3。"
        assert caught.value.problem.text(_).startswith("API 密钥中含有空格；")
    finally:
        set_language("en")


def test_export_secrets_lists_every_kind_of_key(tmp_path: Path) -> None:
    """Issue 17: one list for every export: the environment's key, each profile's key variable,
    every key in the credentials file (top level and each profile's) and keys already held."""
    credentials = tmp_path / "credentials.toml"
    save_credentials(credentials, ApiKey("sk-file-top-0000111122223333"))
    save_credentials(credentials, ApiKey("sk-file-work-4444555566667777"), "work")
    save_credentials(credentials, ApiKey("gone-profile-key-8888"), "removed")  # still a secret
    settings = Settings(
        profiles={
            "work": {"base_url": "https://work.example/v1", "api_key_env": "WORK_KEY"},
            "local": {"base_url": "http://127.0.0.1:11434/v1"},
        }
    )
    environ = {
        "OPENAI_API_KEY": " sk-env-openai-1212121212121212 ",
        "WORK_KEY": "work-env-key-3434343434",
        "UNRELATED": "not-a-secret-5656565656",
    }
    held = [ApiKey("from-a-key-command-7878787878"), None]
    secrets = export_secrets(settings, credentials, environ, held)
    assert sorted(secrets) == sorted(
        [
            "sk-env-openai-1212121212121212",
            "work-env-key-3434343434",
            "sk-file-top-0000111122223333",
            "sk-file-work-4444555566667777",
            "gone-profile-key-8888",
            "from-a-key-command-7878787878",
        ]
    )
    assert export_secrets(Settings(), tmp_path / "missing.toml", {}) == []
    (tmp_path / "bad.toml").write_text("not toml [")
    assert export_secrets(Settings(), tmp_path / "bad.toml", {"OPENAI_API_KEY": "k" * 9}) == [
        "k" * 9
    ]


def test_key_shapes_are_hidden_but_prose_is_not() -> None:
    hidden = hide_key_shapes(
        "Authorization: Bearer eyJhbGciOi.J9abc123def456 and sk-proj-ABCDEFGH12345678xyz.", "[X]"
    )
    assert hidden == "Authorization: Bearer [X] and [X]."
    prose = "the Bearer authentication scheme, sk-learn and sk-image-classification"
    assert hide_key_shapes(prose, "[X]") == prose
