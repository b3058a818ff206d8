"""Make ``docs/screenshot.svg`` with Textual's own screenshot feature.

Runs the real app headless (Pilot) against the fake server on 127.0.0.1, with two saved
conversations and a Markdown reply streamed in, then ``app.save_screenshot()``. Run it from the
repository root: ``uv run python docs/screenshot.py``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPLY = """Here is a small **binary search** in Python:

```python
def search(items: list[int], wanted: int) -> int:
    low, high = 0, len(items) - 1
    while low <= high:
        middle = (low + high) // 2
        if items[middle] == wanted:
            return middle
        if items[middle] < wanted:
            low = middle + 1
        else:
            high = middle - 1
    return -1
```

- It needs a **sorted** list: `O(log n)` steps.
- 中文也可以：列表必须先排好序。

| n | steps |
|---|-------|
| 1,000 | 10 |
| 1,000,000 | 20 |
"""


async def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["CHATTUI_HOME"] = home
        from chattui.core.models import Conversation, Message, Role
        from chattui.core.services import Services
        from chattui.ui.app import ChatApp
        from tests.apptools import app_environ, prompt
        from tests.fakeserver import FakeOpenAI, Reply

        with FakeOpenAI() as server:
            services = Services.load(environ=app_environ(server.base_url))
            for title in ("Trip to Hangzhou 杭州行程", "Regex for ISO dates"):
                old = Conversation(title=title)
                old.add(Message(Role.USER, title))
                old.add(Message(Role.ASSISTANT, "…"))
                services.store.save(old)
            services.connect()
            server.queue(Reply(text=REPLY))
            app = ChatApp(services, warm_up=False)
            async with app.run_test(size=(110, 34)) as pilot:
                await pilot.pause()
                box = prompt(app)
                box.text = "Show me a binary search in Python"
                await pilot.press("enter")
                await app.workers.wait_for_complete()
                await pilot.pause(0.3)
                app.save_screenshot("screenshot.svg", path=str(ROOT / "docs"))


if __name__ == "__main__":
    asyncio.run(main())
