"""``chattui export`` and ``chattui import`` as a user runs them: real processes, real files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chattui.cli.transfer import export_command
from chattui.core.models import Conversation, Message, Role
from chattui.core.storage import ConversationStore

SAMPLE = Path(__file__).parent.parent / "data" / "chatgpt" / "conversations.json"
KEY = "sk-proj-CLICANARY0123456789abcdef"
STORED_KEY = "sk-proj-FILECANARY9876543210zyxw"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chattui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TZ": "UTC", **(env or {})},
    )


@pytest.fixture
def store() -> ConversationStore:
    store = ConversationStore(Path(os.environ["CHATTUI_HOME"]) / "data" / "conversations")
    store.prepare()
    return store


@pytest.fixture
def saved(store: ConversationStore) -> list[Conversation]:
    """Two conversations on disk; the second holds the keys pasted by mistake."""
    first = Conversation(
        id="deco0001aaaa", title="Python 装饰器", model="gpt-4o", created=1714546800.0
    )
    first.add(Message(Role.USER, "什么是装饰器？"))
    first.add(Message(Role.ASSISTANT, "```python\n@cache\ndef f(): ...\n```", model="gpt-4o"))
    second = Conversation(id="deco0002bbbb", title="Keys", created=1714633200.0)
    second.add(Message(Role.USER, f"oops {KEY} and {STORED_KEY}"))
    for conversation in (first, second):
        store.save(conversation)
    config = Path(os.environ["CHATTUI_HOME"]) / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "credentials.toml").write_text(f'api_key = "{STORED_KEY}"\n')
    return [first, second]


def test_export_markdown_to_stdout_by_id_prefix(saved: list[Conversation]) -> None:
    result = run("export", "deco0001")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Python 装饰器\n\n- Date: 2024-05-01 07:00\n- Updated: ")
    assert "\n- Model: gpt-4o\n" in result.stdout
    assert "## User\n\n什么是装饰器？\n" in result.stdout
    assert "```python\n@cache\ndef f(): ...\n```" in result.stdout
    assert result.stderr == ""


def test_list_then_export_all_formats_never_with_the_key(
    saved: list[Conversation], tmp_path: Path
) -> None:
    listing = run("export", "--list")
    assert listing.returncode == 0
    assert [line.split()[0] for line in listing.stdout.splitlines()] == [
        saved[1].id,
        saved[0].id,
    ]
    for fmt in ("md", "json", "html"):
        result = run("export", "--all", "--format", fmt, env={"OPENAI_API_KEY": KEY})
        assert result.returncode == 0, result.stderr
        assert KEY not in result.stdout and STORED_KEY not in result.stdout
        assert "[REDACTED API KEY]" in result.stdout
    # Oldest first, as a list of our conversation objects.
    data = json.loads(run("export", "--all", "--format", "json").stdout)
    assert [item["title"] for item in data] == ["Python 装饰器", "Keys"]


def test_output_file_format_from_extension_and_directory(
    saved: list[Conversation], tmp_path: Path
) -> None:
    page = tmp_path / "out" / "chat.html"  # the directory is created
    result = run("export", saved[0].id, "-o", str(page))
    assert result.returncode == 0 and result.stdout == ""
    assert f"Exported 1 conversation to {page}" in result.stderr
    text = page.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<span class="nd">@cache</span>' in text
    assert (page.stat().st_mode & 0o777) == 0o600

    folder = tmp_path / "each"
    result = run("export", "--all", "--format", "json", "-o", f"{folder}/")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"keys-{saved[1].id}.json", f"python-装饰器-{saved[0].id}.json"])
    one = json.loads((folder / f"keys-{saved[1].id}.json").read_text("utf-8"))
    assert one["id"] == saved[1].id and STORED_KEY not in json.dumps(one)


def test_export_errors(saved: list[Conversation], tmp_path: Path) -> None:
    nothing = run("export")
    assert nothing.returncode == 2 and "--all" in nothing.stderr
    ambiguous = run("export", "deco")
    assert ambiguous.returncode == 1
    assert "2 conversations have an id starting with 'deco'" in ambiguous.stderr
    unknown = run("export", "zzz-no-such")
    assert unknown.returncode == 1 and "no conversation has the id 'zzz-no-such'" in unknown.stderr
    bad_format = run("export", "--all", "--format", "pdf")
    assert bad_format.returncode == 2 and "invalid choice" in bad_format.stderr
    blocked = tmp_path / "file"
    blocked.write_text("x")
    unwritable = run("export", "--all", "-o", str(blocked / "out.md"))
    assert unwritable.returncode == 1 and "cannot write" in unwritable.stderr
    assert "Traceback" not in unknown.stderr + unwritable.stderr


class _FirstWriteDeletes(io.StringIO):
    """Standard output that deletes a conversation's file when the first text arrives."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def write(self, text: str, /) -> int:
        self.path.unlink(missing_ok=True)
        return super().write(text)


@pytest.mark.parametrize("fmt", ["md", "json", "html"])
def test_export_writes_each_conversation_as_it_is_rendered(
    saved: list[Conversation], fmt: str
) -> None:
    """The first conversation is out before the last is read (``export --all | head`` shows
    its first lines at once): the last file, gone after the first write, is missed."""
    last = Path(os.environ["CHATTUI_HOME"]) / "data" / "conversations" / f"{saved[1].id}.json"
    out, err = _FirstWriteDeletes(last), io.StringIO()
    code = export_command([], True, fmt, None, out=out, err=err)
    assert code == 1, err.getvalue()
    assert saved[1].id in err.getvalue()
    first = {"md": "# Python 装饰器\n", "json": "[\n {\n", "html": "<!DOCTYPE"}[fmt]
    assert out.getvalue().startswith(first)


def test_a_closed_pipe_stops_export_quietly_with_141(store: ConversationStore) -> None:
    """``chattui export --list | head -1`` and ``export --all | head``: no traceback."""
    for number in range(300):
        store.save(Conversation(id=f"many{number:04d}", title=f"{number} " + "title " * 40))
    for args in (("--list",), ("--all",)):
        process = subprocess.Popen(
            [sys.executable, "-m", "chattui", "export", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline()
        process.stdout.close()  # over 64 KiB (a pipe's buffer) are still to be written
        err = process.stderr.read()
        process.wait(timeout=60)
        assert (process.returncode, err) == (141, b""), args


def test_import_zip_counts_duplicates_and_round_trip(
    store: ConversationStore, tmp_path: Path
) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(SAMPLE, "conversations.json")
    first = run("import", str(archive))
    assert first.returncode == 0, first.stderr
    assert first.stdout == (
        f"{archive}: Imported 3 conversations (15 messages). 1 empty one skipped. "
        "7 images, files or tool outputs left out (noted in the messages).\n"
    )
    again = run("import", str(archive), str(SAMPLE))
    assert again.returncode == 0
    assert again.stdout.splitlines()[-1] == (
        "Total: Imported 0 conversations (0 messages). 6 were already there. 2 empty ones skipped."
    )
    chinese = run("import", str(archive), env={"CHATTUI_LANGUAGE": "zh"})
    assert chinese.returncode == 0 and ": 已导入 0 个对话（0 条消息）" in chinese.stdout
    assert len(store.list_conversations()) == 3

    # Our JSON export imports back exactly.
    exported = tmp_path / "all.json"
    assert run("export", "--all", "-o", str(exported)).returncode == 0
    before = {p.name: p.read_bytes() for p in store.directory.glob("chatgpt-*.json")}
    for name in before:
        (store.directory / name).unlink()
    result = run("import", str(exported))
    assert result.returncode == 0 and "Imported 3 conversations (15 messages)" in result.stdout
    assert {p.name: p.read_bytes() for p in store.directory.glob("chatgpt-*.json")} == before


def test_import_malformed_file_imports_nothing(store: ConversationStore, tmp_path: Path) -> None:
    data = json.loads(SAMPLE.read_text("utf-8"))
    del data[1]["mapping"]["f0000000-0003-4000-8000-0000000000a3"]  # a parent goes missing
    bad = tmp_path / "conversations.json"
    bad.write_text(json.dumps(data), "utf-8")
    result = run("import", str(bad))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"chattui import: {bad}: conversation 2 (“Sales trend from CSV”): node "
        "'f0000000-0004-4000-8000-0000000000a4' has parent "
        "'f0000000-0003-4000-8000-0000000000a3', which is not there\n"
    )
    assert store.list_conversations() == []
    missing = run("import", str(tmp_path / "nope.zip"))
    assert missing.returncode == 1 and "nope.zip: no such file" in missing.stderr
    usage = run("import")
    assert usage.returncode == 2


def test_cli_commands_do_not_load_textual(saved: list[Conversation]) -> None:
    code = (
        "import sys, contextlib, io\n"
        "from chattui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['export', '--all', '--format', 'html'])\n"
        f"    main(['import', {str(SAMPLE)!r}])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'openai'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_export_redacts_every_profiles_keys_and_key_shapes(store: ConversationStore) -> None:
    """Issue 17: the same secrets as the app's export: each profile's key variable and stored
    key, the top-level stored key, OPENAI_API_KEY, and anything shaped like a key."""
    home = Path(os.environ["CHATTUI_HOME"])
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        '[profiles.work]\nbase_url = "https://work.example/v1"\napi_key_env = "WORK_KEY"\n'
    )
    (config / "credentials.toml").write_text(
        f'api_key = "{STORED_KEY}"\n[profiles.work]\napi_key = "work-stored-0123456789"\n'
    )
    secrets = {
        "env": KEY,
        "profile env": "work-env-key-9876543210",
        "stored": STORED_KEY,
        "profile stored": "work-stored-0123456789",
        "shaped": "sk-or-v1-shaped0123456789abcdef",
        "bearer": "b3arer-token-0123456789",
    }
    conversation = Conversation(id="keys0003cccc", title="All the keys")
    text = " | ".join(secrets.values()).replace("b3arer", "Bearer b3arer")
    conversation.add(Message(Role.USER, text))
    store.save(conversation)
    env = {"OPENAI_API_KEY": KEY, "WORK_KEY": secrets["profile env"]}
    for fmt in ("md", "json", "html"):
        result = run("export", "keys0003", "--format", fmt, env=env)
        assert result.returncode == 0, result.stderr
        leaked = [kind for kind, secret in secrets.items() if secret in result.stdout]
        assert leaked == [], fmt
        assert result.stdout.count("[REDACTED API KEY]") == len(secrets)


def test_the_command_line_speaks_chinese(saved: list[Conversation]) -> None:
    """CHATTUI_LANGUAGE=zh (or language in config.toml, or --lang zh): argparse's usage and
    errors, bad option values and export errors are worded in Chinese."""
    env = {"CHATTUI_LANGUAGE": "zh"}
    usage = run("ask", "--frobnicate", env=env)
    assert usage.returncode == 2
    assert "用法：chattui ask" in usage.stderr and "无法识别的参数：--frobnicate" in usage.stderr
    proxy = run("--proxy", "ftp://x", env=env)
    assert proxy.returncode == 2 and "参数 --proxy：" in proxy.stderr and "协议" in proxy.stderr
    unknown = run("export", "zzz-no-such", env=env)
    assert unknown.returncode == 1 and "没有 id 为 'zzz-no-such' 的对话" in unknown.stderr
    helped = run("--lang", "zh", "--help")
    assert "用法：" in helped.stdout and "选项" in helped.stdout
