"""Corrupt data: the app starts, lists every good conversation, and reports every bad file,
never overwriting or silently dropping one.

- An unreadable conversation file (truncated, empty, binary, not UTF-8, wrong types, nested
  too deep) is moved aside to ``<name>.corrupt-<time>``, byte for byte, and a notification
  names it. It never comes back on the next start.
- A file over the load limit (32 MB; here 50 MB) is *left in place* and reported at each
  start: it may well be valid, only too large to open without freezing the app. It is not
  listed (it could not be opened), and nothing rewrites it.
- A broken config.toml means defaults, with a warning; one bad value costs only that key.
  Neither file is rewritten at start-up. A broken credentials.toml is reported, the app starts
  without a key (the welcome screen), and the file is left as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chattui.core.models import Conversation, Message, Role
from chattui.core.storage import MAX_FILE_BYTES, ConversationStore
from chattui.ui.screens.welcome import WelcomeScreen
from chattui.ui.widgets.sidebar import ConversationList
from tests.reliability.helpers import Notes, app_environ, make_app

BIG_BYTES = 50 * 1024 * 1024


def good_conversation(store: ConversationStore, title: str) -> Conversation:
    conversation = Conversation(title=title)
    conversation.add(Message(Role.USER, f"question about {title}"))
    conversation.add(Message(Role.ASSISTANT, f"answer about {title} 中文"))
    store.save(conversation)
    return conversation


def bad_files(sample: bytes) -> dict[str, bytes]:
    """Name -> content of every kind of damaged conversation file."""
    return {
        "truncated.json": sample[: len(sample) // 2],
        "empty.json": b"",
        "binary.json": bytes(range(256)) * 8,
        "latin1.json": sample.replace(b'"question', b'"\xe9\xff question', 1),
        "wrongtype.json": json.dumps(
            {"schema": 1, "id": "wrongtype", "messages": [{"role": "user", "content": 42}]}
        ).encode(),
        "notanobject.json": b"[1, 2, 3]",
        "noschema.json": json.dumps({"id": "noschema", "messages": []}).encode(),
        "messagesnotalist.json": json.dumps(
            {"schema": 1, "id": "messagesnotalist", "messages": {"0": "hi"}}
        ).encode(),
        "deep.json": b"[" * 200_000 + b"]" * 200_000,
    }


def write_big(path: Path) -> None:
    """A valid conversation of 50 MB (one huge message)."""
    head = json.dumps({"schema": 1, "id": path.stem, "title": "huge", "messages": []})[:-2]
    prefix = (head + '[{"role": "user", "status": "complete", "content": "').encode()
    suffix = b'"}]}'
    with path.open("wb") as handle:
        handle.write(prefix)
        handle.write(b"x" * (BIG_BYTES - len(prefix) - len(suffix)))
        handle.write(suffix)


async def test_corrupt_conversations_are_moved_aside_and_reported(tmp_path: Path) -> None:
    home = tmp_path / "home"
    directory = home / "data" / "conversations"
    store = ConversationStore(directory)
    store.prepare()
    good = [good_conversation(store, title) for title in ("alpha", "beta", "gamma")]
    good_bytes = {c.id: store.path_for(c.id).read_bytes() for c in good}
    bad = bad_files(good_bytes[good[0].id])
    for name, content in bad.items():
        (directory / name).write_bytes(content)
    big = directory / "huge.json"
    write_big(big)
    assert big.stat().st_size == BIG_BYTES > MAX_FILE_BYTES

    notes = Notes([])
    app = make_app(app_environ(home))
    async with app.run_test(size=(140, 40), message_hook=notes.hook) as pilot:
        await pilot.pause()
        main = app.main_screen
        assert main is not None and app.screen is main  # started, on the main screen
        listed = {s.id for s in main.query_one(ConversationList).summaries}
        assert listed == {c.id for c in good}

    for name, content in bad.items():
        assert not (directory / name).exists(), f"{name} was not moved aside"
        (kept,) = directory.glob(f"{name}.corrupt-*")
        assert kept.read_bytes() == content, f"{name} was altered"
        reported = notes.matching(f"{name} is damaged", "warning")
        assert reported and kept.name in reported[0], f"{name} not reported: {notes.items}"
    assert big.stat().st_size == BIG_BYTES, "the large file was touched"
    too_large = notes.matching("huge.json", "warning")
    assert too_large == ["huge.json is 50 MB, too large to open; it was left in place."]
    for conversation in good:
        assert store.path_for(conversation.id).read_bytes() == good_bytes[conversation.id]

    # The next start: the same good list, only the large file reported again.
    notes = Notes([])
    app = make_app(app_environ(home))
    async with app.run_test(size=(140, 40), message_hook=notes.hook) as pilot:
        await pilot.pause()
        main = app.main_screen
        assert main is not None
        listed = {s.id for s in main.query_one(ConversationList).summaries}
        assert listed == {c.id for c in good}
    assert [m for _level, m in notes.items if "damaged" in m] == []
    assert notes.matching("huge.json", "warning") == too_large


async def test_broken_config_and_credentials(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config_dir = home / "config"
    config_dir.mkdir(parents=True)
    config = config_dir / "config.toml"
    credentials = config_dir / "credentials.toml"
    config_bytes = b'model = "gpt-4.1"\ntemperature = = 0.5\n[unclosed\n'
    credentials_bytes = b"api_key = sk-not-quoted\n\xff\n"
    config.write_bytes(config_bytes)
    credentials.write_bytes(credentials_bytes)

    notes = Notes([])
    app = make_app(app_environ(home, key=None))
    assert app.services.settings.model == "gpt-4o-mini"  # defaults
    async with app.run_test(size=(140, 40), message_hook=notes.hook) as pilot:
        await pilot.pause()
        assert app.main_screen is not None  # under the welcome screen: no key
        assert isinstance(app.screen, WelcomeScreen)
    assert notes.matching("config.toml: not valid TOML", "warning"), notes.items
    assert notes.matching("credentials.toml: cannot be read as TOML", "warning"), notes.items
    assert config.read_bytes() == config_bytes
    assert credentials.read_bytes() == credentials_bytes


async def test_one_bad_setting_keeps_the_others(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    content = (
        b'model = "gpt-4.1"\n'
        b'temperature = "hot"\n'
        b"max_tokens = 777\n"
        b'system_prompt = "Be brief."\n'
        b"timeout = -5\n"
    )
    config.write_bytes(content)

    notes = Notes([])
    app = make_app(app_environ(home))
    settings = app.services.settings
    assert (settings.model, settings.max_tokens, settings.system_prompt) == (
        "gpt-4.1",
        777,
        "Be brief.",
    )
    assert settings.temperature is None and settings.timeout == 60.0  # defaults kept
    async with app.run_test(size=(140, 40), message_hook=notes.hook) as pilot:
        await pilot.pause()
        assert app.main_screen is not None and app.screen is app.main_screen
    assert notes.matching("temperature", "warning"), notes.items
    assert notes.matching("timeout", "warning"), notes.items
    assert config.read_bytes() == content


def test_damaged_twice_in_one_second_keeps_both_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chattui.core.storage.time.strftime", lambda _format: "20250101-000000")
    store = ConversationStore(tmp_path)
    store.prepare()
    for content in (b"{first damaged", b"{second damaged"):
        (tmp_path / "again.json").write_bytes(content)
        assert store.list_conversations() == []
    kept = sorted(tmp_path.glob("again.json.corrupt-*"))
    assert [p.read_bytes() for p in kept] == [b"{first damaged", b"{second damaged"]
    assert len(store.problems) == 2 and kept[1].name in store.problems[1].text()
