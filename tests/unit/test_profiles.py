"""Endpoint profiles in config.toml: checking, key sources per profile, proxy inheritance and the
per-profile entries of the 0600 credentials file."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

from chattui.core.config import Settings, load_settings, save_settings
from chattui.core.profiles import is_local_url, key_help, key_origin, resolve_endpoint
from chattui.core.secrets import ApiKey, KeySource, read_credentials, save_credentials

PROFILES = """\
profile = "deepseek"
proxy = "http://127.0.0.1:7890"

[profiles.deepseek]
base_url = "https://api.deepseek.com/v1"
model = "deepseek-chat"
api_key_env = "DEEPSEEK_API_KEY"

[profiles.ollama]
base_url = "http://localhost:11434/v1"
model = "llama3.2"

[profiles.gateway]
base_url = "https://gw.example.com/openai/v1"
key_header = "api-key"
headers = { "HTTP-Referer" = "https://example.com", "X-Title" = "chattui" }
proxy = "socks5h://127.0.0.1:1080"
timeout = 30

[profiles.broken]
base_url = "ftp://nowhere"

[profiles.typo]
base_url = "https://example.com/v1"
modle = "x"
"""


def load(tmp_path: Path, text: str = PROFILES) -> tuple[Settings, list[str], Path]:
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    loaded = load_settings(path, environ={})
    return loaded.settings, [str(warning) for warning in loaded.warnings], path


def test_bad_profiles_are_reported_with_file_and_key_and_the_others_load(tmp_path: Path) -> None:
    settings, warnings, path = load(tmp_path)
    assert sorted(settings.profiles) == ["deepseek", "gateway", "ollama"]
    assert settings.profile == "deepseek"
    assert len(warnings) == 2, warnings
    broken = next(w for w in warnings if "broken" in w)
    assert str(path) in broken and "profiles.broken.base_url" in broken
    typo = next(w for w in warnings if "typo" in w)
    assert "profiles.typo.modle: unknown key" in typo and str(path) in typo


def test_reserved_and_malformed_headers_are_refused(tmp_path: Path) -> None:
    text = """\
[profiles.a]
base_url = "https://a.example/v1"
headers = { "Authorization" = "Bearer x" }
[profiles.b]
base_url = "https://b.example/v1"
headers = { "X-Ok" = "line\\nbreak" }
"""
    settings, warnings, _path = load(tmp_path, text)
    assert settings.profiles == {}
    assert any("profiles.a.headers" in w and "key_header" in w for w in warnings)
    assert any("profiles.b.headers" in w and "one line" in w for w in warnings)


def test_local_endpoints_need_no_key_and_never_inherit_the_global_proxy(tmp_path: Path) -> None:
    settings, _warnings, _path = load(tmp_path)
    endpoint = resolve_endpoint(settings, "ollama", tmp_path / "credentials.toml", {})
    assert endpoint.key.key is None and endpoint.ready
    assert endpoint.proxy == "" and endpoint.model == "llama3.2"
    assert is_local_url("http://127.0.0.1:8000/v1") and is_local_url("http://[::1]:1234/v1")
    assert not is_local_url("https://api.openai.com/v1")


def test_remote_profiles_inherit_the_global_proxy_unless_they_set_their_own(
    tmp_path: Path,
) -> None:
    settings, _warnings, _path = load(tmp_path)
    credentials = tmp_path / "credentials.toml"
    deepseek = resolve_endpoint(settings, "deepseek", credentials, {})
    assert deepseek.proxy == "http://127.0.0.1:7890"
    assert not deepseek.ready  # remote, and no key anywhere
    assert deepseek.key.error is not None and "DEEPSEEK_API_KEY" in deepseek.key.error.text()
    gateway = resolve_endpoint(settings, "gateway", credentials, {})
    assert gateway.proxy == "socks5h://127.0.0.1:1080" and gateway.timeout == 30
    assert gateway.key_header == "api-key"
    assert gateway.headers == {"HTTP-Referer": "https://example.com", "X-Title": "chattui"}


def test_profile_key_sources_env_then_command_then_credentials_file(tmp_path: Path) -> None:
    settings, _warnings, _path = load(tmp_path)
    credentials = tmp_path / "credentials.toml"
    save_credentials(credentials, ApiKey("sk-file-deepseek-0000"), "deepseek")
    from_file = resolve_endpoint(settings, "deepseek", credentials, {})
    assert from_file.key.source is KeySource.FILE
    assert from_file.key.key == ApiKey("sk-file-deepseek-0000")
    env = {"DEEPSEEK_API_KEY": "sk-env-deepseek-1111", "OPENAI_API_KEY": "sk-openai-2222"}
    from_env = resolve_endpoint(settings, "deepseek", credentials, env)
    assert from_env.key.source is KeySource.ENV
    assert from_env.key.key == ApiKey("sk-env-deepseek-1111")
    # OPENAI_API_KEY belongs to the top-level endpoint: it never goes to another profile.
    gateway = resolve_endpoint(settings, "gateway", credentials, env)
    assert gateway.key.key is None
    top = resolve_endpoint(settings, "", credentials, env)
    assert top.key.key == ApiKey("sk-openai-2222")


def test_profile_api_key_command(tmp_path: Path) -> None:
    text = f"""\
[profiles.cmd]
base_url = "https://cmd.example/v1"
api_key_command = "{sys.executable} -c 'print(\\"sk-from-command-3333\\")'"
"""
    settings, warnings, _path = load(tmp_path, text)
    assert warnings == []
    endpoint = resolve_endpoint(settings, "cmd", tmp_path / "credentials.toml", {})
    assert endpoint.key.source is KeySource.COMMAND
    assert endpoint.key.key == ApiKey("sk-from-command-3333")


def test_credentials_file_keeps_every_profile_key_private(tmp_path: Path) -> None:
    credentials = tmp_path / "config" / "credentials.toml"
    save_credentials(credentials, ApiKey("sk-top-level-0000"))
    save_credentials(credentials, ApiKey("sk-deepseek-1111"), "deepseek")
    save_credentials(credentials, ApiKey("sk-qwen-2222"), "qwen")
    save_credentials(credentials, ApiKey("sk-deepseek-3333"), "deepseek")
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert read_credentials(credentials) == "sk-top-level-0000"
    assert read_credentials(credentials, "deepseek") == "sk-deepseek-3333"
    assert read_credentials(credentials, "qwen") == "sk-qwen-2222"
    assert read_credentials(credentials, "missing") is None


def test_a_profiles_key_sources_are_named_for_the_user(tmp_path: Path) -> None:
    settings, _warnings, _path = load(tmp_path)
    file = tmp_path / "credentials.toml"
    words = key_help(settings, "deepseek", file)
    assert words is not None and words.text() == (
        "Profile deepseek takes its key from the environment variable DEEPSEEK_API_KEY, else "
        f"its [profiles.deepseek] entry in {file}."
    )
    command = {"base_url": "https://x.example/v1", "api_key_command": "pass show x"}
    with_command = Settings(profiles={"cmd": command})
    assert (
        str(key_help(with_command, "cmd", file))
        == "Profile cmd takes its key from its api_key_command."
    )
    assert key_help(settings, "ollama", file) is None  # a local endpoint needs no key
    assert key_help(settings, "", file) is None  # the top-level endpoint: OPENAI_API_KEY...
    origin = key_origin(settings, "deepseek", KeySource.FILE, file)
    assert str(origin) == f"its [profiles.deepseek] entry in {file}"
    assert str(key_origin(settings, "deepseek", KeySource.ENV, file)) == (
        "the environment variable DEEPSEEK_API_KEY"
    )
    assert key_origin(settings, "", KeySource.ENV, file) is None


def test_profiles_survive_saving_the_settings(tmp_path: Path) -> None:
    settings, _warnings, path = load(tmp_path)
    save_settings(settings, path)
    again = load_settings(path, environ={})
    assert again.settings.profiles == settings.profiles
    assert again.settings.profile == "deepseek"


def _readme_block(heading: str) -> str:
    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    section = readme.split(f"## {heading}\n", 1)[1]
    return section.split("```toml\n", 1)[1].split("```", 1)[0]


def test_readme_examples_are_valid(tmp_path: Path) -> None:
    settings, warnings, _path = load(tmp_path, _readme_block("Endpoint profiles"))
    assert warnings == []
    assert {"deepseek", "qwen", "ollama"} <= set(settings.profiles)
    assert resolve_endpoint(settings, "ollama", tmp_path / "c.toml", {}).ready
    settings, warnings, _path = load(tmp_path, _readme_block("Rebinding keys"))
    assert warnings == [] and settings.keys["toggle_sidebar"] == "f9,alt+s"
    from chattui.core.themes import load_themes

    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "mine.toml").write_text(_readme_block("Themes"), "utf-8")
    specs, failures = load_themes([tmp_path / "themes"])
    assert failures == [] and specs[0].name == "my-theme" and specs[0].code_theme == "nord"
