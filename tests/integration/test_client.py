"""The client against the loopback server through the real SDK: events, and every failure
mapped to a ChatError with a human message."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chattui.core.client import ChatClient
from chattui.core.events import (
    ChatError,
    ChatRequest,
    ErrorKind,
    Finished,
    StreamEvent,
    TextDelta,
    UsageReport,
)
from chattui.core.secrets import ApiKey
from tests.fakeserver import FakeOpenAI, Reply
from tests.proxies import HttpProxy, Socks5Proxy

KEY = ApiKey("sk-test-key-1234567890abcd")
REQUEST = ChatRequest(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])


async def collect(client: ChatClient, request: ChatRequest = REQUEST) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    async for event in client.stream(request):
        events.append(event)
    return events


@pytest.fixture
async def client(fake_server: FakeOpenAI) -> AsyncIterator[ChatClient]:
    client = ChatClient(KEY, fake_server.base_url, timeout=3)
    yield client
    await client.aclose()


async def test_stream_events(client: ChatClient, fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="Hello there, 世界!", chunk_size=3))
    events = await collect(client)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Hello there, 世界!"
    assert isinstance(events[-1], Finished) and events[-1].reason == "stop"
    usage = [e for e in events if isinstance(e, UsageReport)]
    assert usage and usage[0].usage.completion_tokens > 0 and usage[0].usage.prompt_tokens > 0
    body = fake_server.latest_request.json
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert fake_server.latest_request.headers["authorization"] == f"Bearer {KEY.reveal()}"


async def test_list_models(client: ChatClient) -> None:
    assert await client.list_models() == sorted(["gpt-4o-mini", "gpt-4o", "gpt-4.1", "o3-mini"])


@pytest.mark.parametrize(
    ("reply", "kind", "words"),
    [
        (Reply(status=401), ErrorKind.AUTH, "API key was rejected"),
        (Reply(status=403), ErrorKind.FORBIDDEN, "Access denied"),
        (Reply(status=404), ErrorKind.NOT_FOUND, "model does not exist"),
        (Reply(status=429), ErrorKind.RATE_LIMIT, "Rate limited"),
        (Reply(status=429, error_code="insufficient_quota"), ErrorKind.QUOTA, "quota"),
        (Reply(status=500), ErrorKind.SERVER, "server had an error (500)"),
        (Reply(status=503), ErrorKind.SERVER, "(503)"),
        (Reply(status=400), ErrorKind.BAD_REQUEST, "refused (400)"),
        (Reply(fault="cut"), ErrorKind.STREAM_CUT, "connection was cut"),
        (Reply(fault="no_finish"), ErrorKind.INCOMPLETE, "without the server saying"),
        (Reply(fault="malformed"), ErrorKind.BAD_RESPONSE, "not valid JSON"),
        (Reply(fault="html"), ErrorKind.BAD_RESPONSE, "base URL"),
        (Reply(fault="error_event"), ErrorKind.SERVER, "reported an error during the reply"),
        (Reply(fault="hang_after_first"), ErrorKind.TIMEOUT, "sent nothing more"),
        (Reply(fault="hang"), ErrorKind.TIMEOUT, "did not answer"),
    ],
)
async def test_failures_have_human_messages(
    fake_server: FakeOpenAI, reply: Reply, kind: ErrorKind, words: str
) -> None:
    client = ChatClient(KEY, fake_server.base_url, timeout=1)
    fake_server.queue(reply)
    with pytest.raises(ChatError) as info:
        await collect(client)
    await client.aclose()
    assert info.value.kind is kind, info.value.message
    assert words in info.value.message
    assert KEY.reveal() not in info.value.message
    assert len([r for r in fake_server.requests if r.path.endswith("/completions")]) == 1


async def test_invalid_utf8_does_not_crash(client: ChatClient, fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(text="abc def", fault="invalid_utf8"))
    try:
        events = await collect(client)
    except ChatError as error:
        assert error.kind in (ErrorKind.BAD_RESPONSE, ErrorKind.INCOMPLETE)
    else:
        assert any(isinstance(e, TextDelta) for e in events)


async def test_cannot_connect() -> None:
    client = ChatClient(KEY, "http://127.0.0.1:9/v1", timeout=2)
    with pytest.raises(ChatError) as info:
        await collect(client)
    assert info.value.kind is ErrorKind.CONNECT
    assert "Cannot connect to 127.0.0.1:9" in info.value.message


async def test_dead_proxy_is_named() -> None:
    client = ChatClient(KEY, "http://127.0.0.1:9/v1", proxy="http://u:pw@127.0.0.1:8", timeout=2)
    with pytest.raises(ChatError) as info:
        await collect(client)
    assert info.value.kind is ErrorKind.PROXY
    assert "http://u:***@127.0.0.1:8" in info.value.message and "pw" not in info.value.message


async def test_max_tokens_param_retry(client: ChatClient, fake_server: FakeOpenAI) -> None:
    fake_server.queue(
        Reply(
            status=400,
            error_body={
                "error": {
                    "message": "Unsupported parameter: 'max_tokens' is not supported with this "
                    "model. Use 'max_completion_tokens' instead.",
                    "type": "invalid_request_error",
                    "param": "max_tokens",
                    "code": "unsupported_parameter",
                }
            },
        ),
        Reply(text="ok"),
    )
    request = ChatRequest(
        model="o3-mini", messages=[{"role": "user", "content": "x"}], max_tokens=50
    )
    events = await collect(client, request)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "ok"
    first, second = (r.json for r in fake_server.requests[-2:])
    assert first["max_tokens"] == 50 and "max_completion_tokens" not in first
    assert second["max_completion_tokens"] == 50 and "max_tokens" not in second


async def test_through_http_proxy(fake_server: FakeOpenAI, http_proxy: HttpProxy) -> None:
    client = ChatClient(KEY, fake_server.base_url, proxy=http_proxy.url, timeout=3)
    fake_server.queue(Reply(text="via http proxy"))
    events = await collect(client)
    await client.aclose()
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "via http proxy"
    assert f"127.0.0.1:{fake_server.port}" in http_proxy.targets


async def test_through_socks5_proxy(fake_server: FakeOpenAI, socks5_proxy: Socks5Proxy) -> None:
    client = ChatClient(KEY, fake_server.base_url, proxy=socks5_proxy.url, timeout=3)
    fake_server.queue(Reply(text="via socks"))
    events = await collect(client)
    await client.aclose()
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "via socks"
    assert f"127.0.0.1:{fake_server.port}" in socks5_proxy.targets


@pytest.mark.parametrize("proxy_type", [Socks5Proxy, HttpProxy])
async def test_proxy_wrong_credentials(
    fake_server: FakeOpenAI, proxy_type: type[Socks5Proxy] | type[HttpProxy]
) -> None:
    with proxy_type(username="user", password="right") as proxy:
        client = ChatClient(
            KEY, fake_server.base_url, proxy=proxy.url_with("user", "wrong"), timeout=3
        )
        with pytest.raises(ChatError) as info:
            await collect(client)
        await client.aclose()
    assert info.value.kind is ErrorKind.PROXY
    assert "wrong" not in info.value.message


def test_repr_hides_key_and_proxy_password() -> None:
    client = ChatClient(KEY, "http://127.0.0.1:1/v1", proxy="http://u:secretpw@127.0.0.1:2")
    text = repr(client)
    assert KEY.reveal() not in text and "secretpw" not in text
