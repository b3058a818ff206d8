"""Issue 18: the first reply of a fresh process costs what the later ones do: the warm-up
after the first frame imports what the first request and its rendering would wait for."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from textual import events
    from chattui.core.services import Services
    from chattui.ui.app import ChatApp
    from tests.fakeserver import FakeOpenAI, Reply

    async def main() -> None:
        with FakeOpenAI() as server:
            server.queue(Reply(text="# Title\\n\\nSome *text*, a [link](https://x.org).\\n"))
            env = {"CHATTUI_HOME": sys.argv[1], "OPENAI_API_KEY": "sk-test-0123456789",
                   "OPENAI_BASE_URL": server.base_url}
            app = ChatApp(Services.load({}, env, token_helper=True))
            async with app.run_test(size=(100, 30)) as pilot:
                await app.warmed_up.wait()
                await app.workers.wait_for_complete()
                before = set(sys.modules)
                app.post_message(events.Paste("hello"))
                await pilot.pause()
                enter = events.Key("enter", None)
                enter.set_sender(app)
                app.post_message(enter)
                while not server.chat_requests or any(not w.is_finished for w in app.workers):
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                print(" ".join(sorted(set(sys.modules) - before)))

    asyncio.run(main())
    """
)


def test_the_first_reply_imports_nothing_the_warm_up_could(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    imported = done.stdout.split()
    late = [
        name
        for name in imported
        if name.startswith(("openai", "anyio", "markdown_it", "rich", "pygments", "chattui"))
    ]
    assert late == [], f"imported by the first reply: {late}"
