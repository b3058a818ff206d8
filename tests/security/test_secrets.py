"""Secrets: the API key and the proxy password never show up on screen, in files other than
the 0600 credentials / config files, in logs (SDK and HTTP debug logging included), in error
messages or in crash reports.

Every key here is a canary built at run time; "leaked" means its secret part (everything the
masked form ``sk-...abcd`` does not show) appears.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.segment import Segments
from textual import events, work
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Static

from chattui.core.client import ChatClient
from chattui.core.config import mask_proxy
from chattui.core.events import ChatError, ChatRequest
from chattui.core.secrets import ApiKey, KeySource, mask, resolve_key
from chattui.ui.app import ChatApp
from chattui.ui.main.replies import Replies
from chattui.ui.main.screen import MainScreen
from chattui.ui.screens.settings import SettingsScreen
from tests.fakeserver import FakeOpenAI, Reply
from tests.proxies import HttpProxy
from tests.security.helpers import (
    BIG_WINDOW,
    SIZE,
    PtyApp,
    ScriptedServer,
    SSEReply,
    all_files,
    chat_log,
    home_dir,
    make_app,
    make_canary,
    notices,
    paste,
    press_now,
    screen_text,
    send,
    settle,
    status_text,
    visible,
    wait_for,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LOGGERS = ("openai", "httpx", "httpx2", "httpcore", "httpcore2", "chattui")
"""At DEBUG (the root stays quiet: markdown-it alone logs every rule it tries)."""


def secret_part(key: str) -> str:
    """What the masked form hides: a leak of this is a leak of the key."""
    return key[3:-4]


@pytest.fixture
def debug_logs(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pytest.LogCaptureFixture]:
    """OPENAI_LOG=debug and the SDK's and HTTP stack's loggers at DEBUG, captured."""
    monkeypatch.setenv("OPENAI_LOG", "debug")
    from openai._utils._logs import setup_logging

    setup_logging()
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    logging.getLogger("openai").setLevel(logging.NOTSET)


def notifications(app: ChatApp) -> str:
    return "\n".join(notices(app))


def assert_clean(texts: dict[str, str], *secrets: str) -> None:
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a secret leaked into {name}"


def files_text(*exclude: str) -> dict[str, str]:
    """Every file under CHATTUI_HOME but ``exclude`` (by name), as text."""
    return {
        str(path): path.read_bytes().decode("utf-8", "replace")
        for path in all_files(home_dir())
        if path.name not in exclude
    }


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def open_settings(pilot: Pilot[None]) -> SettingsScreen:
    await press_now(pilot, "f2")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


async def test_a_key_typed_in_settings_never_leaks(
    fake_server: FakeOpenAI,
    debug_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    canary = make_canary()
    password = make_canary("proxy-pw-")
    with HttpProxy(username="user", password=password) as proxy:
        proxy_url = proxy.url_with("user", password)
        app = make_app(fake_server.base_url, key=None, env=BIG_WINDOW)
        async with app.run_test(size=SIZE) as pilot:
            await press_now(pilot, "escape")  # the welcome screen
            screen = await open_settings(pilot)
            key_input = screen.query_one("#api_key", Input)
            assert key_input.password
            key_input.focus()
            await pilot.pause()
            app.post_message(events.Paste(f"  {canary}  \n"))  # pasted with white space
            await pilot.pause()
            on_screen = {"settings screen": screen_text(app)}
            assert "•" * 10 in on_screen["settings screen"]
            # (The proxy URL is shown as typed while it is typed; masked once saved.)
            screen.query_one("#proxy", Input).value = proxy_url
            await pilot.pause()
            await press_now(pilot, "ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
            status = status_text(app)
            assert "user:***@127.0.0.1" in status

            # Reopened: the key only as a masked placeholder, the proxy masked.
            screen = await open_settings(pilot)
            on_screen["settings again"] = screen_text(app)
            assert f"saved: {mask(canary)}" in on_screen["settings again"]
            assert screen.query_one("#proxy", Input).value == mask_proxy(proxy_url)
            await pilot.click("#test")
            await settle(pilot)
            result = str(screen.query_one("#test-result", Static).content)
            assert "Connected" in result, result
            on_screen["test result"] = result
            await press_now(pilot, "escape")

            # Sending: a success, then a 401 whose message quotes the key.
            await send(pilot, "hello")
            fake_server.queue(
                Reply(
                    status=401,
                    error_body={
                        "error": {
                            "message": f"Incorrect API key provided: {canary}.",
                            "type": "invalid_request_error",
                            "code": "invalid_api_key",
                        }
                    },
                )
            )
            await send(pilot, "again")
            rendered = chat_log(app).rendered_text()
            assert f"Incorrect API key provided: {mask(canary)}" in " ".join(rendered.split())
            on_screen["chat"] = rendered
            on_screen["main screen"] = screen_text(app)
            on_screen["status"] = status_text(app)
            on_screen["notifications"] = notifications(app)
        assert fake_server.chat_requests[0].headers["authorization"] == f"Bearer {canary}"
        assert any(c.username == "user" for c in proxy.connections)

    home = home_dir()
    credentials = home / "config" / "credentials.toml"
    assert mode(credentials) == 0o600
    assert tomllib.loads(credentials.read_text("utf-8")) == {"api_key": canary}
    config = home / "config" / "config.toml"
    assert mode(config) == 0o600  # holds the proxy URL, password included
    captured = capsys.readouterr()
    logs = {"logs": debug_logs.text, "stdout": captured.out, "stderr": captured.err}
    assert "openai" in {r.name.split(".")[0] for r in debug_logs.records}  # logs were on
    assert_clean(on_screen, secret_part(canary), password)
    assert_clean(logs, secret_part(canary), password)
    assert_clean(files_text("credentials.toml"), secret_part(canary))
    assert_clean(files_text("credentials.toml", "config.toml"), password)


async def test_servers_quoting_the_key_and_error_screens_are_masked(
    debug_logs: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = make_canary()
    server = ScriptedServer(
        replies=[SSEReply(["partial "], error_message=f"internal error for key {canary}")],
        models_status=401,
        models_message=f"Incorrect API key provided: {canary}",
    )
    with server:
        app = make_app(server.base_url, key=canary, env=BIG_WINDOW)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_settings(pilot)
            await pilot.click("#test")
            await settle(pilot)
            result = str(screen.query_one("#test-result", Static).content)
            assert "401" in result and mask(canary) in result, result
            on_screen = {"test result": result, "settings": screen_text(app)}
            await press_now(pilot, "escape")
            await send(pilot, "hello")
            rendered = chat_log(app).rendered_text()
            assert f"internal error for key {mask(canary)}" in rendered
            on_screen |= {
                "chat": rendered,
                "screen": screen_text(app),
                "status": status_text(app),
                "notifications": notifications(app),
            }
    captured = capsys.readouterr()
    assert_clean(on_screen, secret_part(canary))
    assert_clean({"logs": debug_logs.text, "err": captured.err}, secret_part(canary))
    assert_clean(files_text(), secret_part(canary))


# --------------------------------------------------------------------------- crash reports


def _crash(where: str) -> None:
    """Raise with the key and the proxy URL in local variables of the frames on the stack."""
    api_key = os.environ["SECURITY_CANARY_KEY"]
    proxy = os.environ["SECURITY_CANARY_PROXY"]
    assert api_key and proxy
    raise RuntimeError(f"boom in a {where}")


@pytest.mark.parametrize("where", ["handler", "async worker", "thread worker", "textual default"])
async def test_a_crash_report_holds_no_local_variables(
    fake_server: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    canary = make_canary()
    password = make_canary("proxy-pw-")
    proxy_url = f"http://user:{password}@127.0.0.1:9"
    monkeypatch.setenv("SECURITY_CANARY_KEY", canary)
    monkeypatch.setenv("SECURITY_CANARY_PROXY", proxy_url)
    if where == "textual default":  # the control: Textual's own report shows locals
        monkeypatch.setattr(ChatApp, "_fatal_error", App._fatal_error)

    def toggle_sidebar(self: MainScreen) -> None:
        key = self.services.key.key
        secret = key.reveal() if key else ""
        assert secret == canary
        if where == "async worker":
            self.run_worker(crash_async(secret), exit_on_error=True)
        elif where == "thread worker":
            crash_in_thread(self, secret)
        else:
            _crash(where)

    async def crash_async(secret: str) -> None:
        token = secret
        assert token
        _crash("worker")

    @work(thread=True, exit_on_error=True)
    def crash_in_thread(screen: MainScreen, secret: str) -> None:
        token = secret
        assert token
        _crash("thread")

    monkeypatch.setattr(MainScreen, "action_toggle_sidebar", toggle_sidebar)
    app = make_app(fake_server.base_url, key=canary, env={"CHATTUI_PROXY": proxy_url})
    reports: list[str] = []
    original = app._print_error_renderables

    def keep_reports() -> None:
        for renderable in app._exit_renderables:
            assert isinstance(renderable, Segments)
            reports.append("".join(segment.text for segment in renderable.segments))
        original()

    monkeypatch.setattr(app, "_print_error_renderables", keep_reports)
    with pytest.raises(Exception) as info:
        async with app.run_test(size=SIZE) as pilot:
            await press_now(pilot, "ctrl+b")
            await pilot.pause()
    assert "boom in a" in str(info.value) or "boom in a" in str(info.value.__cause__)
    report = "\n".join(reports) + capsys.readouterr().err
    assert "RuntimeError" in report and "boom in a" in report and "_crash" in report
    if where == "textual default":
        assert secret_part(canary) in report  # so the check below would see a leak
        return
    assert_clean({"crash report": report}, secret_part(canary), password)


async def test_a_failing_reply_worker_reports_only_the_error_type(
    fake_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reply workers do not exit the app: the failure becomes a notification."""
    canary = make_canary()

    def on_delta(self: Replies, *args: object) -> None:
        key = self._services.key.key
        secret = key.reveal() if key else ""
        raise RuntimeError(f"failed with {len(secret)} characters at hand")

    monkeypatch.setattr(Replies, "_delta", on_delta)
    app = make_app(fake_server.base_url, key=canary, env=BIG_WINDOW)
    async with app.run_test(size=SIZE) as pilot:
        await paste(pilot, "hello")
        await press_now(pilot, "enter")
        # (wait_for_complete would raise WorkerFailed)
        await wait_for(pilot, lambda: "Unexpected error" in notifications(app), timeout=10)
        assert app.is_running and not app._exit_renderables
        shown = {"notifications": notifications(app), "screen": screen_text(app)}
    assert "Unexpected error: RuntimeError" in shown["notifications"]
    assert_clean(shown, secret_part(canary))


# --------------------------------------------------------------------------- the real app


def test_debug_logging_in_the_real_app_prints_no_secret(fake_server: FakeOpenAI) -> None:
    canary = make_canary()
    password = make_canary("proxy-pw-")
    with HttpProxy(username="user", password=password) as proxy:
        env = {
            "CHATTUI_HOME": str(home_dir()),
            "OPENAI_API_KEY": canary,
            "OPENAI_BASE_URL": fake_server.base_url,
            "CHATTUI_AUTO_TITLE": "false",  # its request would take a scripted reply
            "CHATTUI_PROXY": proxy.url_with("user", password),
            "OPENAI_LOG": "debug",
            **BIG_WINDOW,
        }
        fake_server.queue(
            Reply(text="ZZFIRSTZZ"),
            Reply(status=401, error_body={"error": {"message": f"bad key {canary} ZZ401ZZ"}}),
        )
        with PtyApp(env, size=(120, 40)) as app:
            assert app.wait_for_text("Type a message", 15)
            app.write(b"first\r")
            assert app.wait_for_text("ZZFIRSTZZ", 15)
            app.write(b"second\r")
            assert app.wait_for_text("ZZ401ZZ", 15)
            app.write(b"\x11")
            assert app.wait_exit(10) == 0
            output = bytes(app.output)
    assert len(fake_server.chat_requests) == 2
    text = visible(output)
    assert mask(canary) in text and "user:***@127.0.0.1" in text
    assert secret_part(canary) not in output.decode("utf-8", "replace")
    assert password not in output.decode("utf-8", "replace")
    assert_clean(files_text("credentials.toml", "config.toml"), secret_part(canary), password)


# --------------------------------------------------------------------------- units


async def test_proxy_password_is_masked_in_client_repr_and_errors() -> None:
    canary = make_canary()
    password = make_canary("proxy-pw-")
    for proxy in (f"http://user:{password}@127.0.0.1:9", f"socks5://user:{password}@127.0.0.1:9"):
        client = ChatClient(ApiKey(canary), "http://127.0.0.1:9/v1", proxy=proxy, timeout=2)
        assert_clean({"repr": repr(client)}, secret_part(canary), password)
        request = ChatRequest(model="m", messages=[{"role": "user", "content": "x"}])
        with pytest.raises(ChatError) as info:
            async for _event in client.stream(request):
                pass
        with pytest.raises(ChatError) as listing:
            await client.list_models()
        await client.aclose()
        messages = {"stream": info.value.message, "models": listing.value.message}
        assert all("user:***@127.0.0.1:9" in m for m in messages.values()), messages
        assert_clean(messages | {"repr": repr(info.value)}, secret_part(canary), password)


def test_a_pasted_key_is_cleaned(tmp_path: Path) -> None:
    canary = make_canary()
    for pasted in (f"{canary}\n", f"  {canary}\t \r\n", f"\n{canary}"):
        key = ApiKey(pasted)
        assert key.reveal() == canary
        assert secret_part(canary) not in f"{key} {key!r} {key.masked}"
    resolved = resolve_key(tmp_path / "none.toml", environ={"OPENAI_API_KEY": f"{canary}\n"})
    assert resolved.source is KeySource.ENV and resolved.key is not None
    assert resolved.key.reveal() == canary
