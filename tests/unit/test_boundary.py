"""The core never imports Textual or Rich, nothing does I/O at import time, and the UI uses
the core through the verbs of ``Services`` listed here."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import chattui.core
import chattui.ui

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
        "tomlkit",
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


# What chattui.ui uses of Services: the core's API as the UI sees it. Each entry is an
# attribute read on a Services object (``services.send``), or, for plain data, a chain of two
# (``services.paths.data_dir``). A new use must be added here on purpose: add a verb to
# Services rather than reaching through one of its parts (``services.store.load``).
UI_USES = {
    # conversations: the store, and saves and deletes through the session
    "list_conversations", "load_conversation", "conversation_size", "live_conversation",
    "is_deleted", "store_problems", "index_is_big", "library_stamp", "flush_index", "save_soon",
    "delete_conversation", "adopt", "model_picked",
    # turns, budgets and models: the engine (planner and session, made after the first frame)
    "start_session", "warm_up", "connect", "connect_if_needed", "close", "live_reply",
    "streaming", "send", "can_retry", "retry", "can_continue", "continue_reply", "regenerate",
    "budget_input", "count_budget", "model_info", "title_request",
    # endpoints, keys and key commands
    "has_key", "api_key", "key_pending", "key_pending_for", "key_source", "key_origin",
    "key_help", "missing_profile",
    "profile_of", "endpoint", "endpoint_for", "settings_for", "can_send", "client_for",
    "list_models", "export_secrets", "key_command_of", "defer_key_commands", "has_key_from",
    "run_key_command", "forget_key_command_failures", "run_key_commands", "keys_changed",
    # settings and start-up
    "settings", "remember", "update", "start_log", "warnings", "fatal", "environ",
    # the search index: started and closed here, handed to the search screen
    "search", "start_search", "close_search", "search_progress",
    # plain data
    "paths.config_file", "paths.conversations_dir", "paths.credentials_file", "paths.data_dir",
    "paths.roles_dir", "paths.themes_dir",
    "settings.keys", "settings.language", "settings.profiles", "settings.proxy",
    "settings.system_prompt", "settings.theme",
}  # fmt: skip


def _is_services(node: ast.expr) -> bool:
    """``services``, ``self.services``, ``self._services``, ``app.services``..."""
    if isinstance(node, ast.Name):
        return node.id in ("services", "_services")
    return isinstance(node, ast.Attribute) and node.attr in ("services", "_services")


def ui_uses_of_services() -> dict[str, list[str]]:
    """Each use of a Services object in chattui.ui (as in :data:`UI_USES`), with where."""
    uses: dict[str, list[str]] = {}
    root = Path(chattui.ui.__file__).parent
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and _is_services(node.value)):
                continue
            parent = parents.get(node)
            if isinstance(parent, ast.Attribute) and parent.value is node:
                use = f"{node.attr}.{parent.attr}"  # a chain: services.paths.data_dir
            else:
                use = node.attr
            uses.setdefault(use, []).append(f"{path.relative_to(root)}:{node.lineno}")
    return uses


def test_the_ui_uses_services_only_through_the_listed_verbs_and_data() -> None:
    uses = ui_uses_of_services()
    unlisted = {use: where for use, where in uses.items() if use not in UI_USES}
    assert not unlisted, "add a verb to Services, or list the use in UI_USES"
    assert set(uses) == UI_USES, f"no longer used: {sorted(UI_USES - set(uses))}"


def test_the_ui_reaches_through_no_part_of_services() -> None:
    chains = {use.split(".")[0] for use in UI_USES if "." in use}
    assert chains == {"paths", "settings"}  # plain data only
