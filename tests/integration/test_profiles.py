"""Endpoint profiles end to end: config.toml -> Services -> the real client -> the loopback
server, checking what the server really received (headers, key, no key) and that each profile's
proxy really carried its traffic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chattui.core.client import ChatClient, endpoint_client
from chattui.core.events import ChatRequest, TextDelta
from chattui.core.models import Conversation
from chattui.core.secrets import ApiKey, save_credentials
from chattui.core.services import Services
from tests.fakeserver import FakeOpenAI, Reply
from tests.proxies import HttpProxy, Socks5Proxy

REQUEST = ChatRequest(model="m", messages=[{"role": "user", "content": "hi"}])


@pytest.fixture
def second_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-second-profile-2222") as server:
        yield server


def services_with(home: Path, config: str, env: dict[str, str] | None = None) -> Services:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(config, "utf-8")
    services = Services.load(environ={"CHATTUI_HOME": str(home), **(env or {})})
    assert services.warnings == [], services.warnings
    services.connect()
    return services


def gateway_config(base_url: str) -> str:
    """A profile that sends its key in ``api-key`` and two extra headers."""
    return f"""\
[profiles.gateway]
base_url = "{base_url}"
needs_key = true
key_header = "api-key"
headers = {{ "HTTP-Referer" = "https://example.com/app", "X-Title" = "chattui" }}
"""


async def reply_text(client: ChatClient) -> str:
    """The text of the reply to :data:`REQUEST`; the client is closed afterwards."""
    try:
        events = [e async for e in client.stream(REQUEST)]
    finally:
        await client.aclose()
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def ask(services: Services, profile: str, text: str = "hi") -> str:
    conversation = Conversation(params={"profile": profile})
    client = services.client_for(conversation)
    assert client is not None
    return await reply_text(client)


async def test_extra_headers_and_key_header_are_really_sent(
    tmp_path: Path, fake_server: FakeOpenAI
) -> None:
    services = services_with(tmp_path, gateway_config(fake_server.base_url))
    save_credentials(services.paths.credentials_file, ApiKey("sk-gateway-key-1111"), "gateway")
    services.update(services.settings)  # re-reads the keys
    fake_server.queue(Reply(text="ok"))
    assert await ask(services, "gateway") == "ok"
    headers = fake_server.latest_request.headers
    assert headers["api-key"] == "sk-gateway-key-1111"
    assert "authorization" not in headers  # the key goes in api-key only
    assert headers["http-referer"] == "https://example.com/app"
    assert headers["x-title"] == "chattui"


async def test_a_local_endpoint_gets_no_key_at_all(tmp_path: Path, fake_server: FakeOpenAI) -> None:
    services = services_with(
        tmp_path,
        f'profile = "local"\n[profiles.local]\nbase_url = "{fake_server.base_url}"\n',
        env={"OPENAI_API_KEY": "sk-must-not-be-sent-0000"},
    )
    assert services.has_key  # ready without a key: the welcome screen is not shown
    fake_server.queue(Reply(text="local"))
    assert await ask(services, "local") == "local"
    headers = fake_server.latest_request.headers
    assert "authorization" not in headers
    assert "sk-must-not-be-sent-0000" not in str(headers)


async def test_each_profile_sends_its_own_key(
    tmp_path: Path, fake_server: FakeOpenAI, second_server: FakeOpenAI
) -> None:
    fake_server.api_key = "sk-first-profile-1111"
    services = services_with(
        tmp_path,
        f"""\
[profiles.first]
base_url = "{fake_server.base_url}"
needs_key = true
api_key_env = "FIRST_KEY"

[profiles.second]
base_url = "{second_server.base_url}"
needs_key = true
""",
        env={"FIRST_KEY": "sk-first-profile-1111"},
    )
    save_credentials(services.paths.credentials_file, ApiKey("sk-second-profile-2222"), "second")
    services.update(services.settings)
    fake_server.queue(Reply(text="one"))
    second_server.queue(Reply(text="two"))
    assert await ask(services, "first") == "one"
    assert await ask(services, "second") == "two"
    assert fake_server.latest_request.headers["authorization"] == "Bearer sk-first-profile-1111"
    assert second_server.latest_request.headers["authorization"] == "Bearer sk-second-profile-2222"


async def test_each_profile_uses_its_own_proxy(
    tmp_path: Path,
    fake_server: FakeOpenAI,
    second_server: FakeOpenAI,
    http_proxy: HttpProxy,
    socks5_proxy: Socks5Proxy,
) -> None:
    services = services_with(
        tmp_path,
        f"""\
[profiles.via-http]
base_url = "{fake_server.base_url}"
proxy = "{http_proxy.url}"

[profiles.via-socks]
base_url = "{second_server.base_url}"
proxy = "{socks5_proxy.url}"
api_key_env = "SECOND_KEY"
""",
        env={"SECOND_KEY": "sk-second-profile-2222"},
    )
    fake_server.queue(Reply(text="http"))
    second_server.queue(Reply(text="socks"))
    assert await ask(services, "via-http") == "http"
    assert await ask(services, "via-socks") == "socks"
    assert http_proxy.targets == [f"127.0.0.1:{fake_server.port}"]
    assert socks5_proxy.targets == [f"127.0.0.1:{second_server.port}"]


async def test_the_client_factory_sends_the_key_it_is_given_with_the_endpoints_headers(
    tmp_path: Path, fake_server: FakeOpenAI
) -> None:
    """The settings screen's Test connection passes the form's key, not saved yet: the one
    factory still gives it the endpoint's key header and extra headers."""
    services = services_with(tmp_path, gateway_config(fake_server.base_url))
    endpoint = services.endpoint("gateway")
    assert endpoint.key.key is None  # nothing saved: only the form has a key
    client = endpoint_client(endpoint, ApiKey("sk-typed-in-the-form-3333"))
    fake_server.queue(Reply(text="ok"))
    assert await reply_text(client) == "ok"
    headers = fake_server.latest_request.headers
    assert headers["api-key"] == "sk-typed-in-the-form-3333"
    assert "authorization" not in headers
    assert headers["x-title"] == "chattui"
