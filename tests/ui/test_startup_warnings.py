"""Start-up warnings in the user's language: the zh UI shows a bad setting, a bad theme file, a
bad [keys] entry and a bad role file in Chinese, with the paths, keys and values as written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from chattui.core.services import Services, resolve_language
from chattui.i18n import get_language, set_language
from chattui.ui.app import ChatApp
from chattui.ui.screens.roles import RolePickerScreen
from tests.apptools import app_environ
from tests.fakeserver import FakeOpenAI
from tests.ui.conftest import SIZE, notices

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def english_afterwards() -> Iterator[None]:
    yield
    set_language("en")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


async def test_the_zh_ui_shows_start_up_warnings_in_chinese(
    fake_server: FakeOpenAI, home: Path, english_afterwards: None
) -> None:
    config = write(
        home / "config" / "config.toml",
        'language = "zh"\nmax_tokens = "300"\n\n[keys]\nfrobnicate = "f5"\n',
    )
    theme = write(home / "config" / "themes" / "bad.toml", 'name = "bad"\nprimary = "#12"\n')
    role = write(home / "config" / "roles" / "hot.toml", 'name = "H"\nsystem_prompt = "x"\n'
                 "temperature = 5\n")  # fmt: skip
    services = Services.load(environ=app_environ(fake_server.base_url))
    set_language(resolve_language(services.settings.language))  # as chattui.ui.launch does
    assert get_language() == "zh"
    services.connect()
    app = ChatApp(services, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = notices(app)
        setting = "max_tokens：'300' 是字符串，不是数字。请去掉引号直接写数字：max_tokens = 300"
        assert f"{config}：{setting}" in shown, shown
        assert f"主题 {theme}：'primary' 必须是 \"#1e1e2e\" 这样的颜色，而不是 '#12'" in shown
        assert any(text.startswith(f"{config}:5：未知的操作 'frobnicate'；") for text in shown), (
            shown
        )
        assert all(CJK.search(text) for text in shown), shown

        app.action_roles()
        await pilot.pause()
        assert isinstance(app.screen, RolePickerScreen)
        assert f"角色文件 {role}：'temperature' 必须在 0 到 2 之间" in notices(app)
    assert services.settings.max_tokens is None  # the bad value is not used


async def test_the_english_ui_keeps_the_english_words(fake_server: FakeOpenAI, home: Path) -> None:
    config = write(home / "config" / "config.toml", 'max_tokens = "300"\n')
    services = Services.load(environ=app_environ(fake_server.base_url))
    services.connect()
    app = ChatApp(services, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert (
            f"{config}: max_tokens: '300' is a string, not a number. "
            "Write the number without quotes: max_tokens = 300"
        ) in notices(app)
