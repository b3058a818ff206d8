"""The core never imports Textual or Rich, and nothing does I/O at import time."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import chattui.core

CORE_MODULES = sorted(
    f"chattui.core.{info.name}" for info in pkgutil.iter_modules(chattui.core.__path__)
)


def test_core_modules_listed() -> None:
    assert "chattui.core.session" in CORE_MODULES and "chattui.core.client" in CORE_MODULES


def test_core_does_not_import_ui_libraries(tmp_path: object) -> None:
    code = (
        "import sys, importlib\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_cli_and_app_do_not_import_openai_before_first_frame() -> None:
    code = (
        "import sys\n"
        "import chattui.cli, chattui.ui.app\n"
        "print(','.join(m for m in ('openai', 'tiktoken', 'httpx2') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_import_creates_no_files(tmp_path: object) -> None:
    code = (
        "import os, importlib\n"
        f"os.environ['CHATTUI_HOME'] = {str(tmp_path)!r} + '/home'\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "import chattui.ui.app\n"
        f"print(os.path.exists({str(tmp_path)!r} + '/home'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_app_does_not_import_what_its_first_frame_does_not_need() -> None:
    """Screens other than the main one, dialogs, the search index, the command-line parser and
    file writers are imported when first used: each costs start-up time before the first
    frame."""
    lazy = (
        "argparse",
        "logging.handlers",
        "sqlite3",
        "tomli_w",
        "chattui.core.catalog",
        "chattui.core.chatparams",
        "chattui.core.events",
        "chattui.core.logs",
        "chattui.core.planner",
        "chattui.core.roles",
        "chattui.core.saver",
        "chattui.core.search_index",
        "chattui.core.search_text",
        "chattui.core.session",
        "chattui.core.titles",
        "chattui.core.tokenhost",
        "chattui.core.tokens",
        "chattui.core.transcript",
        "chattui.core.turns",
        "chattui.core.window",
        "chattui.ui.commands",
        "chattui.ui.keys",
        "chattui.ui.profiles",
        "chattui.ui.screens.details",
        "chattui.ui.screens.dialogs",
        "chattui.ui.screens.help",
        "chattui.ui.screens.message_menu",
        "chattui.ui.screens.picker",
        "chattui.ui.screens.settings",
        "chattui.ui.screens.welcome",
    )
    code = (
        "import sys\n"
        "import chattui.cli, chattui.ui.launch, chattui.ui.app\n"
        f"print(','.join(m for m in {lazy!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_first_frame_of_a_new_conversation_does_not_load_the_markdown_renderer(
    tmp_path: object,
) -> None:
    """Nothing to render yet: the Markdown parser (~50 ms of imports) waits for a message,
    and the session and the planner (~20 ms) are made after the first frame."""
    code = (
        "import asyncio, sys\n"
        "from chattui.core.services import Services\n"
        "from chattui.ui.app import ChatApp\n"
        "env = {'CHATTUI_HOME': sys.argv[1], 'OPENAI_API_KEY': 'sk-test',\n"
        "       'OPENAI_BASE_URL': 'http://127.0.0.1:9/v1'}\n"
        "lazy = ('markdown_it', 'chattui.ui.render.markdown', 'openai',\n"
        "        'chattui.core.session', 'chattui.core.planner')\n"
        "class Probe(ChatApp):\n"
        "    def _start_session(self) -> None:  # right after the first frame\n"
        "        print(','.join(m for m in lazy if m in sys.modules), end='|')\n"
        "        super()._start_session()\n"
        "app = Probe(Services.load({}, env), warm_up=False)\n"
        "async def main() -> None:\n"
        "    async with app.run_test(size=(120, 36)) as pilot:\n"
        "        await pilot.pause()\n"
        "        assert app.main_screen is not None and app.screen is app.main_screen\n"
        "        print('chattui.core.session' in sys.modules)\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, f"{tmp_path}/home"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "|True"  # nothing before the first frame; then the session
