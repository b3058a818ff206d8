"""``chattui ask`` words start-up warnings and bad flags in the locale's language."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fakeserver import FakeOpenAI, Reply

EXIT_USAGE = 2


def ask(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chattui", "ask", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def zh_environ(base_url: str, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANG", "LC_"))}
    env.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-test-warnings", LANG="zh_CN.UTF-8")
    env.update(more)
    return env


def test_warnings_are_printed_in_chinese_under_a_zh_locale(fake_server: FakeOpenAI) -> None:
    config = Path(os.environ["CHATTUI_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('max_tokens = "300"\n', "utf-8")
    fake_server.queue(Reply(text="好的"))
    result = ask("hi", env=zh_environ(fake_server.base_url, CHATTUI_TEMPERATURE="9"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "好的\n"
    lines = result.stderr.splitlines()
    assert lines == [
        f"chattui ask: 警告：{config}：max_tokens：'300' 是字符串，不是数字。"
        "请去掉引号直接写数字：max_tokens = 300",
        "chattui ask: 警告：环境变量：temperature：'9' 必须在 0 到 2 之间。"
        "请使用 0 到 2 之间的数字，或删除这一行以使用服务器的默认值。",
    ], result.stderr


def test_a_bad_flag_is_a_usage_error_in_chinese(fake_server: FakeOpenAI) -> None:
    result = ask("--max-tokens", "lots", "hi", env=zh_environ(fake_server.base_url))
    assert result.returncode == EXIT_USAGE
    assert result.stderr.startswith("chattui ask: 命令行：max_tokens：'lots' 必须是整数。")
    assert fake_server.requests == []


def en_environ(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANG", "LC_"))}
    env.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-test-warnings")
    return env


def test_a_broken_profile_is_reported_whole_and_once_per_config_change(
    fake_server: FakeOpenAI,
) -> None:
    config = Path(os.environ["CHATTUI_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[profiles.work]\ncolour = "red"\ntimeout = "slow"\n', "utf-8")
    env = en_environ(fake_server.base_url)
    first = ask("hi", env=env)
    assert first.returncode == 0, first.stderr
    warnings = first.stderr.splitlines()
    assert len(warnings) == 3, first.stderr  # the unknown key, the bad value, no base_url
    assert all(line.startswith("chattui ask: warning: ") for line in warnings)
    assert "colour" in warnings[0] and "timeout" in warnings[1] and "base_url" in warnings[2]
    again = ask("hi", env=env)
    assert (again.returncode, again.stderr) == (0, "")  # the same file: said already
    config.write_text(config.read_text("utf-8") + "# still broken\n", "utf-8")
    edited = ask("hi", env=env)
    assert edited.stderr.splitlines() == warnings


def test_temperature_for_a_reasoning_model_is_left_out_with_a_note(
    fake_server: FakeOpenAI,
) -> None:
    env = en_environ(fake_server.base_url)
    result = ask("--model", "o3-mini", "--temperature", "0.2", "hi", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "chattui ask: note: o3-mini is a reasoning model, which takes no temperature: "
        "--temperature is not sent.\n"
    )
    request = fake_server.last_request
    assert request is not None and "temperature" not in request.json
    plain = ask("--model", "gpt-4o", "--temperature", "0.2", "hi", env=env)
    assert plain.stderr == ""
    request = fake_server.last_request
    assert request is not None and request.json["temperature"] == 0.2


def test_usage_errors_follow_the_language_of_the_environment_or_the_config(
    fake_server: FakeOpenAI,
) -> None:
    env = en_environ(fake_server.base_url)
    by_env = ask("--max-tokens", "lots", "hi", env={**env, "CHATTUI_LANGUAGE": "zh"})
    assert by_env.returncode == EXIT_USAGE
    assert by_env.stderr.startswith("chattui ask: 命令行：max_tokens：'lots' 必须是整数。")
    config = Path(os.environ["CHATTUI_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('language = "zh"\n', "utf-8")
    by_config = ask("--temperature", "9", "hi", env=env)
    assert by_config.returncode == EXIT_USAGE
    assert by_config.stderr.startswith("chattui ask: 命令行：temperature：'9' 必须在 0 到 2 之间")
