"""Roles, export and import from the app: the role picker and editor, the export dialog and
the import prompt, driven with Pilot against the fake server."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import Any

from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, RadioButton, Select, TextArea

from chattui.core.models import Conversation, Message, Role
from chattui.core.storage import ConversationStore
from chattui.ui.main.screen import MainScreen
from chattui.ui.screens.dialogs import ConfirmScreen, TextInputScreen
from chattui.ui.screens.roles import RoleEditorScreen, RolePickerScreen
from chattui.ui.screens.transfer import ExportScreen
from tests.apptools import TEST_KEY, palette_titles
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    chat_log,
    conversations_dir,
    main_screen,
    notices,
    only_conversation,
    press_now,
    saved_conversations,
    send,
    settle,
    sidebar,
    wait_for,
)

SAMPLE = Path(__file__).parent.parent / "data" / "chatgpt" / "conversations.json"


def roles_dir(home: Path) -> Path:
    path = home / "config" / "roles"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def on_screen(pilot: Pilot[None], screen_type: type[Screen[Any]]) -> None:
    """Wait until a ``screen_type`` is on top, composed and mounted (its ``on_mount`` ran)."""
    await wait_for(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, screen_type)
            and pilot.app.screen.is_mounted
            and bool(pilot.app.screen.query("Widget"))
        ),
    )


async def open_from_palette(pilot: Pilot[None], words: str, screen_type: type[Screen[Any]]) -> None:
    """Open the command palette, type ``words``, run the first match and wait for the
    ``screen_type`` it opens."""
    await press_now(pilot, "ctrl+p")
    await on_screen(pilot, CommandPalette)
    for key in words:
        await press_now(pilot, key)
    palette = pilot.app.screen
    # The palette searches in a worker of its own: wait for the matches to be listed.
    await wait_for(pilot, lambda: palette.query_one(OptionList).option_count > 0)
    await press_now(pilot, "enter")
    await on_screen(pilot, screen_type)


async def test_role_picker_starts_a_conversation_with_the_role(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    folder = roles_dir(home)
    (folder / "sql.toml").write_text(
        'name = "SQL reviewer"\ndescription = "Checks queries"\n'
        'system_prompt = "You review SQL queries."\nmodel = "gpt-4o"\ntemperature = 0.2\n'
    )
    (folder / "broken.toml").write_text('name = "unterminated\n')
    fake_server.queue(Reply(text="Looks fine."))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_from_palette(pilot, "role", RolePickerScreen)
        # Composed is not mounted yet: the picker reads the roles (and reports) in on_mount.
        await wait_for(pilot, lambda: any("broken.toml" in text for text in notices(app)))
        options = app.screen.query_one("#roles", OptionList)
        assert options.option_count == 7  # six built-ins and the user's own
        assert "Coding and debugging" in str(options.get_option_at_index(1).prompt)
        await pilot.press("end")
        assert "You review SQL queries." in str(app.screen.query_one("#preview").render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        conversation = main_screen(app).conversation
        assert conversation.system_prompt == "You review SQL queries."
        assert conversation.model == "gpt-4o"
        assert "You review SQL queries." in chat_log(app).rendered_text()

        await send(pilot, "SELECT * FROM t")
    request = fake_server.chat_requests[-1].json
    assert request["model"] == "gpt-4o" and request["temperature"] == 0.2
    assert request["messages"][0] == {"role": "system", "content": "You review SQL queries."}
    saved = only_conversation(home)
    assert saved["system_prompt"] == "You review SQL queries."
    assert saved["params"] == {"temperature": 0.2}


async def test_add_edit_and_delete_own_roles(make_app: MakeApp, home: Path) -> None:
    folder = roles_dir(home)
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        app.action_roles()
        await on_screen(pilot, RolePickerScreen)
        picker = app.screen
        assert isinstance(picker, RolePickerScreen)

        await pilot.press("n")
        await on_screen(pilot, RoleEditorScreen)
        await pilot.press("ctrl+s")  # nothing filled in: refused, with the reason
        assert "Give the role a name." in str(app.screen.query_one("#error", Label).render())
        app.screen.query_one("#name", Input).value = "Email 润色"
        app.screen.query_one("#prompt-text", TextArea).text = "Polish my emails."
        app.screen.query_one("#temperature", Input).value = "9"
        await pilot.press("ctrl+s")
        assert "from 0 to 2" in str(app.screen.query_one("#error", Label).render())
        app.screen.query_one("#temperature", Input).value = "0.5"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is picker)
        path = folder / "email-润色.toml"
        assert path.read_text("utf-8") == (
            'name = "Email 润色"\ndescription = ""\n'
            'system_prompt = "Polish my emails."\ntemperature = 0.5\n'
        )
        assert picker.highlighted is not None and picker.highlighted.id == "email-润色"

        await pilot.press("e")
        await on_screen(pilot, RoleEditorScreen)
        assert app.screen.query_one("#name", Input).value == "Email 润色"
        app.screen.query_one("#description", Input).value = "For work mail"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is picker)
        assert 'description = "For work mail"' in path.read_text("utf-8")
        assert sorted(p.name for p in folder.iterdir()) == ["email-润色.toml"]

        await pilot.press("delete")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is picker)
        assert not path.exists()

        # Editing a built-in saves the user's own version, which replaces it.
        await pilot.press("home", "e")
        await on_screen(pilot, RoleEditorScreen)
        app.screen.query_one("#prompt-text", TextArea).text = "Write like Hemingway."
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is picker)
        assert 'system_prompt = "Write like Hemingway."' in (folder / "writing.toml").read_text()
        options = picker.query_one("#roles", OptionList)
        assert options.option_count == 6 and "(yours)" in str(options.get_option_at_index(0).prompt)

        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_export_from_the_app(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path, tmp_path: Path
) -> None:
    fake_server.queue(Reply(text="```python\nprint('hi')\n```"), Reply(text="second"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "code please")
        app.action_export()
        await on_screen(pilot, ExportScreen)
        dialog = app.screen
        path_input = dialog.query_one("#path", Input)
        assert path_input.value.endswith(".md") and "code-please-" in path_input.value
        dialog.query_one("#format", Select).value = "html"
        await pilot.pause()
        assert path_input.value.endswith(".html")  # the suggestion follows the format
        target = tmp_path / "chat.html"
        path_input.value = str(target)
        path_input.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        page = target.read_text("utf-8")
        assert "<title>code please</title>" in page and '<span class="nb">print</span>' in page
        assert f"Exported to {target}" in notices(app)

        await pilot.press("ctrl+n")
        await send(pilot, "another")
        app.action_export()
        await on_screen(pilot, ExportScreen)
        app.screen.query_one("#all", RadioButton).value = True
        app.screen.query_one("#format", Select).value = "json"
        await pilot.pause()
        path_input = app.screen.query_one("#path", Input)
        assert path_input.value.endswith("chattui-export/")
        path_input.value = str(tmp_path / "all") + "/"
        await pilot.click("#export")
        await settle(pilot)
    files = sorted((tmp_path / "all").iterdir())
    assert len(files) == 2
    exported = {json.loads(p.read_text("utf-8"))["title"] for p in files}
    assert exported == {"code please", "another"}
    assert [c["title"] for c in saved_conversations(home)] == ["code please", "another"]


async def test_import_from_the_app(make_app: MakeApp, home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "conversations.json"
    bad.write_text('[{"title": "t", "conversation_id": "c1", "mapping": {"a": 1}}]')
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        commands = palette_titles(app)
        assert {"New conversation with a role…", "Export…", "Import…"} <= set(commands)
        app.action_import()
        await on_screen(pilot, TextInputScreen)
        app.screen.query_one(Input).value = str(bad)
        await pilot.press("enter")
        await settle(pilot)
        assert f"{bad}: conversation 1 (“t”): node 'a' is not an object" in notices(app)
        assert sidebar(app).summaries == []

        app.action_import()
        await on_screen(pilot, TextInputScreen)
        app.screen.query_one(Input).value = str(SAMPLE)
        await pilot.press("enter")
        await settle(pilot)
        assert any(
            text.startswith("Imported 3 conversations (15 messages). 1 empty one skipped.")
            for text in notices(app)
        )
        titles = {s.title for s in sidebar(app).summaries}
        assert titles >= {"量子纠缠 三句话", "Python requests 代理设置"}
        main_screen(app).conversations.open("chatgpt-6631f7b3-55aa-8000-b2c1-0d9e8f7a6b5c")
        await pilot.pause()
        text = chat_log(app).rendered_text()
        assert "[Not imported: image, file “sales_2024.csv”]" in text
        assert "Here is the bar chart." in text
        # Branches: only the one that was on screen in ChatGPT is shown.
        main_screen(app).conversations.open("chatgpt-6631f2a0-1c2b-8000-9a4e-3f1d2c5b7a10")
        await pilot.pause()
        text = chat_log(app).rendered_text()
        assert "socks5h://127.0.0.1:1080" in text and "不客气" not in text


async def test_the_apps_export_redacts_every_kind_of_key(
    make_app: MakeApp, home: Path, tmp_path: Path
) -> None:
    """Issue 17: the app's export leaves out the same secrets as ``chattui export``."""
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        '[profiles.work]\nbase_url = "https://work.example/v1"\napi_key_env = "WORK_KEY"\n'
    )
    (config / "credentials.toml").write_text(
        'api_key = "stored-top-0123456789"\n[profiles.work]\napi_key = "work-stored-0123456789"\n'
    )
    secrets = [
        TEST_KEY,  # OPENAI_API_KEY, the key in use
        "work-env-key-9876543210",
        "stored-top-0123456789",
        "work-stored-0123456789",
        "sk-or-v1-shaped0123456789abcdef",
        "b3arer-token-0123456789",
    ]
    store = ConversationStore(home / "data" / "conversations")
    store.prepare()
    conversation = Conversation(id="keys0001aaaa", title="Keys")
    conversation.add(Message(Role.USER, " | ".join(secrets).replace("b3arer", "Bearer b3arer")))
    store.save(conversation)
    app = make_app(connect=False, env={"WORK_KEY": "work-env-key-9876543210"})
    async with app.run_test(size=SIZE) as pilot:
        app.action_export()
        await on_screen(pilot, ExportScreen)
        app.screen.query_one("#format", Select).value = "json"
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(tmp_path / "all") + "/"
        await pilot.click("#export")
        await settle(pilot)
    [exported] = (tmp_path / "all").iterdir()
    text = exported.read_text("utf-8")
    assert [secret for secret in secrets if secret in text] == []
    assert json.loads(text)["messages"][0]["content"].count("[REDACTED API KEY]") == len(secrets)


async def test_import_notice_counts_and_stays_until_the_import_ends(
    make_app: MakeApp, home: Path
) -> None:
    """The notice says how far the import is and stays until the summary replaces it, however
    long the import takes (here it waits for the save lock another instance holds)."""
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lock_path = conversations_dir(home) / ".save.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the import's first save waits for this
            app.action_import()
            await on_screen(pilot, TextInputScreen)
            app.screen.query_one(Input).value = str(SAMPLE)
            await pilot.press("enter")
            counting = "Importing conversations.json: 0 of 4 conversations…"
            await wait_for(pilot, lambda: counting in notices(app))
            shown = [n for n in app._notifications if n.message == counting]
            assert shown[0].time_left > 3600  # not gone before the import ends
            assert "Importing conversations.json…" not in notices(app)  # replaced by the count
            fcntl.flock(lock, fcntl.LOCK_UN)
        await settle(pilot)
        assert not any(text.startswith("Importing") for text in notices(app))
        assert any(text.startswith("Imported 3 conversations") for text in notices(app))
