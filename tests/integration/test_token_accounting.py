"""Our request count equals the prompt_tokens the server reports (computed with tiktoken)."""

from __future__ import annotations

import subprocess
import sys

from chattui.core.client import ChatClient
from chattui.core.events import ChatRequest, UsageReport
from chattui.core.secrets import ApiKey
from chattui.core.tokens import count_messages
from tests.fakeserver import FakeOpenAI, Reply

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant. 请用中文回答。"},
    {"role": "user", "content": "Write a haiku about tokens."},
    {
        "role": "assistant",
        "content": "Bytes become numbers,\n编码 merges pairs of bytes—\nthe window fills up.",
    },
    {"role": "user", "content": "```python\nprint(sum(range(10)))\n```\nWhat does this print?"},
]


async def test_prompt_tokens_match_server(fake_server: FakeOpenAI) -> None:
    client = ChatClient(ApiKey("sk-count-test-0000"), fake_server.base_url, timeout=5)
    fake_server.queue(Reply(text="45"))
    usage = None
    async for event in client.stream(ChatRequest(model="gpt-4o", messages=MESSAGES)):
        if isinstance(event, UsageReport):
            usage = event.usage
    await client.aclose()
    assert usage is not None
    assert count_messages(MESSAGES, "gpt-4o") == usage.prompt_tokens


def test_tokens_command() -> None:
    def run(*args: str, text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "chattui", "tokens", *args],
            input=text,
            capture_output=True,
            text=True,
            timeout=60,
        )

    plain = run(text="hello world")
    assert plain.returncode == 0 and plain.stdout.strip() == "2"
    chat = run("--chat", text="hello world")
    assert int(chat.stdout) == 2 + 7  # message framing + reply priming
    approx = run("--model", "deepseek-chat", text="hello world")
    assert approx.returncode == 0 and approx.stdout.strip().isdigit()
    assert "approximate" in approx.stderr.lower() or "estimate" in approx.stderr.lower()
