"""``chattui ask`` as a shell sees it: a real process, pipes, exit codes, signals.

Everything talks to the fake server on 127.0.0.1 through the real SDK. What needs a process
(pipes, a terminal, SIGINT, the modules loaded) runs ``python -m chattui``; the rest calls the
same entry point in-process, with the command line, stdin, stdout and stderr of its own.
"""

from __future__ import annotations

import io
import json
import os
import pty
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chattui.cli.ask import AskOptions, run
from chattui.cli.parser import build_parsers
from chattui.i18n import set_language
from tests.fakeserver import FakeOpenAI, Reply
from tests.proxies import HttpProxy

CANARY_KEY = "sk-canary-ask-7f3e9c1b2d4a6e8f"
EXIT_USAGE, EXIT_AUTH, EXIT_NETWORK, EXIT_SERVER = 2, 3, 4, 5


def environ(base_url: str, key: str | None = CANARY_KEY, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANG", "LC_"))}
    env["OPENAI_BASE_URL"] = base_url
    if key is not None:
        env["OPENAI_API_KEY"] = key
    env.update(more)
    return env


def ask(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chattui", *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def start_ask(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``chattui ask ARGS`` running, its stdout and stderr pipes to read."""
    return subprocess.Popen(
        [sys.executable, "-m", "chattui", "ask", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language("en")


def ask_here(*args: str, env: dict[str, str], stdin: str = "") -> Outcome:
    """``chattui ask ARGS`` in this process (the real parser, options and output)."""
    parsed = build_parsers()[0].parse_args(["ask", *args])
    options = AskOptions(
        prompt=" ".join(parsed.prompt), model=parsed.ask_model, system=parsed.system,
        max_tokens=parsed.max_tokens, temperature=parsed.temperature,
        continue_last=parsed.ask_continue, save=parsed.save, json_output=parsed.json_output,
        role=parsed.role, profile=parsed.ask_profile,
    )  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    code = run(options, {}, stdin=io.StringIO(stdin), stdout=out, stderr=err, environ=env)
    return Outcome(code, out.getvalue(), err.getvalue())


def conversations() -> list[dict[str, Any]]:
    folder = Path(os.environ["CHATTUI_HOME"]) / "data" / "conversations"
    if not folder.exists():
        return []
    return [
        json.loads(path.read_text("utf-8"))
        for path in sorted(folder.glob("*.json"))
        if path.name != "index.json"
    ]


def test_piped_input_with_an_instruction_prints_the_plain_reply(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="Looks **fine** to me.\n\n- one\n- two"))
    result = ask("ask", "review this", env=environ(fake_server.base_url), stdin="diff --git a b\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Looks **fine** to me.\n\n- one\n- two\n"  # raw text to a pipe
    assert result.stderr == ""
    request = fake_server.last_request
    assert request is not None
    assert request.last_user_text == "review this\n\ndiff --git a b\n"
    assert conversations() == []  # nothing saved without --save


def test_json_output_and_every_flag_reach_the_request(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="Short."))
    result = ask_here(
        "--json", "--model", "gpt-4o-mini", "--system", "Be brief.",
        "--max-tokens", "50", "--temperature", "0.3", "say", "hi",
        env=environ(fake_server.base_url),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["content"] == "Short." and data["status"] == "complete"
    assert data["finish_reason"] == "stop" and data["conversation_id"] is None
    assert data["usage"]["completion_tokens"] > 0
    body = fake_server.latest_request.json
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.3
    assert body.get("max_tokens", body.get("max_completion_tokens")) == 50
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][-1] == {"role": "user", "content": "say hi"}


def test_save_then_continue_appends_to_the_same_conversation(fake_server: FakeOpenAI) -> None:
    env = environ(fake_server.base_url)
    fake_server.queue(Reply(text="First answer."), Reply(text="Second answer."))
    first = ask_here("--save", "--json", "first question", env=env)
    assert first.returncode == 0, first.stderr
    saved_id = json.loads(first.stdout)["conversation_id"]
    second = ask_here("--continue", "follow up", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "Second answer.\n"
    [saved] = conversations()
    assert saved["id"] == saved_id
    assert [m["content"] for m in saved["messages"]] == [
        "first question", "First answer.", "follow up", "Second answer.",
    ]  # fmt: skip
    assert fake_server.latest_request.messages[-2]["content"] == "First answer."


@pytest.mark.parametrize(
    ("reply", "code", "words"),
    [
        (Reply(status=401), EXIT_AUTH, "The API key was rejected (401)"),
        (Reply(status=403), EXIT_AUTH, "Access denied (403)"),
        (Reply(status=429), EXIT_SERVER, "Rate limited (429)"),
        (Reply(status=500), EXIT_SERVER, "server had an error (500)"),
        (Reply(fault="cut"), EXIT_NETWORK, "connection was cut"),
    ],
)
def test_errors_are_one_line_with_a_distinct_exit_code(
    fake_server: FakeOpenAI, reply: Reply, code: int, words: str
) -> None:
    fake_server.queue(reply)
    result = ask_here("hi", env=environ(fake_server.base_url))
    assert result.returncode == code
    [line] = result.stderr.splitlines()
    assert line.startswith("chattui ask: ") and words in line
    assert "Traceback" not in result.stderr


def test_usage_network_and_missing_key_exit_codes(fake_server: FakeOpenAI) -> None:
    env = environ(fake_server.base_url)
    nothing = ask_here(env=env)
    assert nothing.returncode == EXIT_USAGE and "Nothing to ask" in nothing.stderr
    bad = ask_here("--temperature", "7", "hi", env=env)
    assert bad.returncode == EXIT_USAGE and "temperature" in bad.stderr
    no_key = ask_here("hi", env=environ(fake_server.base_url, key=None))
    assert no_key.returncode == EXIT_AUTH and "No API key" in no_key.stderr
    closed = ask_here("hi", env=environ("http://127.0.0.1:9/v1"))
    assert closed.returncode == EXIT_NETWORK and "Cannot connect to 127.0.0.1:9" in closed.stderr
    assert fake_server.requests == []


def test_errors_are_in_the_locales_language(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(status=401))
    result = ask_here("hi", env=environ(fake_server.base_url, LANG="zh_CN.UTF-8"))
    assert result.returncode == EXIT_AUTH
    assert "API 密钥被拒绝 (401)" in result.stderr and "OPENAI_API_KEY" in result.stderr


def test_the_key_and_proxy_password_never_show_nor_reach_the_debug_log(
    fake_server: FakeOpenAI,
) -> None:
    password = "proxy-pw-canary-5b8d2f"
    quoted = {"error": {"message": f"Incorrect API key provided: {CANARY_KEY}.", "code": "x"}}
    fake_server.queue(Reply(text="ok"), Reply(status=401, error_body=quoted))
    with HttpProxy(username="user", password=password) as proxy:
        env = environ(fake_server.base_url, CHATTUI_PROXY=proxy.url_with("user", password))
        good = ask("--debug", "ask", "hello", env=env)
        bad = ask("--debug", "ask", "again", env=env)
    assert good.returncode == 0 and good.stdout == "ok\n", good.stderr
    assert bad.returncode == EXIT_AUTH and "Incorrect API key provided: sk-...6e8f" in bad.stderr
    log = Path(os.environ["CHATTUI_HOME"], "cache", "chattui.log")
    text = log.read_text("utf-8")
    assert "request: model" in text and "reply done in" in text  # timings
    assert "request failed after" in text and "auth" in text  # errors
    for output in (good.stdout, good.stderr, bad.stdout, bad.stderr, text):
        assert CANARY_KEY not in output and password not in output
    assert log.stat().st_mode & 0o777 == 0o600


def test_ctrl_c_stops_with_130_and_save_keeps_the_partial_reply(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="word " * 400, chunk_size=5, delay=0.05))
    process = start_ask("--save", "talk", env=environ(fake_server.base_url))
    assert process.stdout is not None
    first = process.stdout.read(5)  # blocks until the reply is streaming
    process.send_signal(signal.SIGINT)
    rest, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert first == b"word "
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    [saved] = conversations()
    reply = saved["messages"][-1]
    assert reply["status"] == "stopped"
    assert reply["content"].startswith("word ") and len(reply["content"]) < 2000
    assert (first + rest).decode().strip().startswith(reply["content"].strip()[:20])


def test_a_closed_pipe_stops_quietly_with_141_and_save_keeps_the_partial_reply(
    fake_server: FakeOpenAI,
) -> None:
    """``chattui ask --save ... | head -c 5``: no traceback, the status of a tool killed by
    SIGPIPE, and the reply on disk as stopped."""
    fake_server.queue(Reply(text="word " * 400, chunk_size=5, delay=0.01))
    process = start_ask("--save", "talk", env=environ(fake_server.base_url))
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.read(5)  # what `head -c 5` reads before it exits
    process.stdout.close()
    err = process.stderr.read()
    process.wait(timeout=30)
    assert first == b"word "
    assert process.returncode == 141, err
    assert err == b""
    [saved] = conversations()
    reply = saved["messages"][-1]
    assert reply["status"] == "stopped"
    assert reply["content"].startswith("word ") and len(reply["content"]) < 2000


def test_a_closed_pipe_after_the_json_reply_is_quiet(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="x" * 200_000, chunk_size=50_000))
    process = start_ask("--json", "hi", env=environ(fake_server.base_url))
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(1) == b"{"
    process.stdout.close()  # more than a pipe's buffer is still to be written
    err = process.stderr.read()
    process.wait(timeout=30)
    assert (process.returncode, err) == (141, b"")


def test_markdown_is_rendered_when_stdout_is_a_terminal(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="Some **bold** text.\n\n- item one\n- item two\n\x1b]0;pwned\x07"))
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "chattui", "ask", "hi"],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=environ(fake_server.base_url, COLUMNS="80", TERM="xterm-256color"),
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=30)
    os.close(leader)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0
    assert "bold" in shown and "**bold**" not in shown  # rendered, not raw
    assert "• item one" in shown or ("item one" in shown and "- item one" not in shown)
    assert "\x1b]0;pwned" not in shown  # model output never reaches the terminal as escapes


def test_no_textual_import_on_the_ask_path(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="hi"))
    result = subprocess.run(  # -X importtime lists every module the process imports
        [sys.executable, "-X", "importtime", "-m", "chattui", "ask", "hello"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environ(fake_server.base_url),
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout == "hi\n", result.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "chattui.cli.ask" in imported and "openai" in imported  # the list is complete
    assert not {name for name in imported if name.split(".")[0] == "textual"}
    # A prompt far below the window (its bytes bound its tokens) is sent without counting.
    assert "tiktoken" not in imported


def test_open_with_an_unknown_id_says_so_without_starting_the_app() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chattui", "open", "nope"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "chattui: No conversation has the id 'nope'."


def config_dir() -> Path:
    folder = Path(os.environ["CHATTUI_HOME"]) / "config"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_role_gives_system_prompt_model_and_temperature_under_the_flags(
    fake_server: FakeOpenAI,
) -> None:
    from chattui.core.roles import builtin_roles

    env = environ(fake_server.base_url)
    fake_server.queue(Reply(text="ok"), Reply(text="ok"), Reply(text="ok"), Reply(text="ok"))
    translate = next(role for role in builtin_roles("en") if role.id == "translate")
    zh_name = next(role for role in builtin_roles("zh") if role.id == "translate").name
    for name in ("translate", translate.name.upper(), zh_name):
        result = ask_here("--role", name, "你好", env=env)
        assert result.returncode == 0, result.stderr
        body = fake_server.last_request.json  # type: ignore[union-attr]
        assert body["messages"][0] == {"role": "system", "content": translate.system_prompt}
    (config_dir() / "roles").mkdir()
    (config_dir() / "roles" / "reviewer.toml").write_text(
        'name = "Reviewer"\nsystem_prompt = "Review code."\nmodel = "gpt-4.1"\ntemperature = 0.2\n',
        "utf-8",
    )
    result = ask_here("--role", "reviewer", "--temperature", "0.9", "look", env=env)
    assert result.returncode == 0, result.stderr
    body = fake_server.last_request.json  # type: ignore[union-attr]
    assert body["messages"][0] == {"role": "system", "content": "Review code."}
    assert body["model"] == "gpt-4.1" and body["temperature"] == 0.9  # the flag wins


def test_unknown_role_or_profile_is_a_usage_error_naming_the_choices(
    fake_server: FakeOpenAI,
) -> None:
    env = environ(fake_server.base_url)
    result = ask_here("--role", "poet", "hi", env=env)
    assert result.returncode == EXIT_USAGE
    assert "No role named “poet”" in result.stderr and "translate" in result.stderr
    (config_dir() / "config.toml").write_text(
        f'[profiles.local]\nbase_url = "{fake_server.base_url}"\n', "utf-8"
    )
    result = ask_here("--profile", "cloud", "hi", env=env)
    assert result.returncode == EXIT_USAGE
    assert "No profile named “cloud”" in result.stderr and "defined: local" in result.stderr
    assert fake_server.requests == []


def test_profile_picks_the_endpoint_and_its_model_without_a_key(
    fake_server: FakeOpenAI,
) -> None:
    (config_dir() / "config.toml").write_text(
        'base_url = "http://127.0.0.1:9/v1"\n'
        f'[profiles.local]\nbase_url = "{fake_server.base_url}"\nmodel = "qwen2.5:7b"\n',
        "utf-8",
    )
    env = environ("http://127.0.0.1:9/v1", key=None)
    env.pop("OPENAI_BASE_URL")
    fake_server.queue(Reply(text="from the local model"), Reply(text="again"))
    result = ask_here("--profile", "local", "--save", "--json", "hi", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["content"] == "from the local model"
    assert fake_server.last_request.json["model"] == "qwen2.5:7b"  # type: ignore[union-attr]
    assert "authorization" not in fake_server.last_request.headers  # type: ignore[union-attr]
    [saved] = conversations()
    assert saved["params"]["profile"] == "local"
    # The saved conversation keeps its profile: --continue goes back to the same endpoint.
    result = ask_here("--continue", "more", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "again\n"


def test_the_global_profile_option_is_checked_for_the_app_and_ask(
    fake_server: FakeOpenAI,
) -> None:
    (config_dir() / "config.toml").write_text(
        f'[profiles.local]\nbase_url = "{fake_server.base_url}"\nmodel = "llama3"\n', "utf-8"
    )
    env = environ("http://127.0.0.1:9/v1", key=None)
    env["CHATTUI_HOME"] = os.environ["CHATTUI_HOME"]
    result = ask("--profile", "cloud", env=env)  # the app: refused before it starts
    assert result.returncode == EXIT_USAGE
    assert "No profile named “cloud”" in result.stderr and "defined: local" in result.stderr
    fake_server.queue(Reply(text="local answer"))
    result = ask("--profile", "local", "ask", "hi", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "local answer\n"
    assert fake_server.last_request.json["model"] == "llama3"  # type: ignore[union-attr]


def test_a_profile_without_its_key_names_its_sources_not_openai_api_key(
    fake_server: FakeOpenAI,
) -> None:
    (config_dir() / "config.toml").write_text(
        f'[profiles.deep]\nbase_url = "{fake_server.base_url}"\nneeds_key = true\n'
        'api_key_env = "DEEPSEEK_API_KEY"\n',
        "utf-8",
    )
    env = environ(fake_server.base_url)  # OPENAI_API_KEY is set: it is not the profile's
    result = ask_here("--profile", "deep", "hi", env=env)
    assert result.returncode == EXIT_AUTH
    assert "OPENAI_API_KEY" not in result.stderr
    credentials = config_dir() / "credentials.toml"
    assert (
        "Profile deep takes its key from the environment variable DEEPSEEK_API_KEY, else its "
        f"[profiles.deep] entry in {credentials}." in result.stderr
    ), result.stderr
    assert fake_server.requests == []
