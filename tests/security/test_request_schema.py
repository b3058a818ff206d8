"""Request hygiene: every body chattui sends validates against OpenAI's own
``CreateChatCompletionRequest`` schema (cut from the official OpenAPI document into
tests/data/openai_openapi/, see extract.py there), and names no top-level field the schema does
not know.

The bodies are taken from the loopback server's request log after driving the real app: first
turn, multi-turn, system prompt, temperature, max_tokens under both names (and the automatic
retry with the other name), a reasoning model with reasoning_effort, Ctrl+R after an error and
after a stop, and a history trimmed to the window.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.data.openai_openapi import SCHEMA_FILE
from tests.data.openai_openapi.extract import extract
from tests.fakeserver import FakeOpenAI, Reply
from tests.security.helpers import (
    REPO_ROOT,
    SIZE,
    chat_log,
    make_app,
    paste,
    press_now,
    send,
    settle,
    status_text,
)

SHARED_SPEC = REPO_ROOT.parent / "shared" / "openai-openapi" / "openapi.json"
SCHEMA = "#/components/schemas/CreateChatCompletionRequest"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def validator(spec: dict[str, Any]) -> Draft202012Validator:
    # The whole (extracted) document is the root, so every "#/components/..." reference
    # resolves.
    # OpenAPI-only keywords (nullable, discriminator, x-*) are unknown to JSON Schema and
    # ignored; "nullable" only ever widens, and chattui never sends null.
    return Draft202012Validator({**spec, "$ref": SCHEMA})


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _properties(spec: dict[str, Any], node: dict[str, Any]) -> Iterator[str]:
    node = _resolve(spec, node)
    yield from node.get("properties", {})
    for branch in node.get("allOf", []):
        yield from _properties(spec, branch)


@pytest.fixture(scope="module")
def known_fields(spec: dict[str, Any]) -> set[str]:
    fields = set(_properties(spec, {"$ref": SCHEMA}))
    assert {"model", "messages", "max_tokens", "max_completion_tokens"} <= fields
    return fields


def check(
    bodies: list[Any], validator: Draft202012Validator, known_fields: set[str]
) -> list[dict[str, Any]]:
    assert bodies
    for body in bodies:
        assert isinstance(body, dict), body
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, (errors, body)
        assert set(body) <= known_fields, set(body) - known_fields
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        for message in body["messages"]:
            assert set(message) == {"role", "content"} and isinstance(message["content"], str)
            assert message["content"], "an empty message was sent"
        assert body["messages"][-1]["role"] == "user"
    return bodies


def bodies(server: FakeOpenAI) -> list[Any]:
    return [request.json for request in server.chat_requests]


def unsupported(param: str, other: str) -> Reply:
    """OpenAI's 400 for a max tokens parameter the model does not take."""
    return Reply(
        status=400,
        error_body={
            "error": {
                "message": f"Unsupported parameter: '{param}' is not supported with this "
                f"model. Use '{other}' instead.",
                "type": "invalid_request_error",
                "param": param,
                "code": "unsupported_parameter",
            }
        },
    )


def test_the_validator_is_not_a_rubber_stamp(
    validator: Draft202012Validator, known_fields: set[str]
) -> None:
    good = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    assert validator.is_valid(good)
    for bad in (
        {"model": "gpt-4o", "messages": []},
        {"model": "gpt-4o", "messages": [{"role": "wizard", "content": "hi"}]},
        {"model": "gpt-4o", "messages": [{"role": "user", "content": 3}]},
        {**good, "temperature": 5},
        {**good, "max_tokens": "many"},
        {**good, "reasoning_effort": "extreme"},
        {**good, "stream_options": {"include_usage": "yes"}},
        {"messages": good["messages"]},
    ):
        assert not validator.is_valid(bad), bad
    assert "max_output_tokens" not in known_fields


async def test_first_multi_turn_system_prompt_and_temperature(
    fake_server: FakeOpenAI, validator: Draft202012Validator, known_fields: set[str]
) -> None:
    env = {
        "CHATTUI_MODEL": "gpt-4o",
        "CHATTUI_SYSTEM_PROMPT": "Be brief. [bold]literal[/]",
        "CHATTUI_TEMPERATURE": "0.7",
    }
    app = make_app(fake_server.base_url, env=env)
    async with app.run_test(size=SIZE) as pilot:
        for text in ("first", "second turn", "third\nwith lines and 中文"):
            await send(pilot, text)
    sent = check(bodies(fake_server), validator, known_fields)
    assert [len(b["messages"]) for b in sent] == [2, 4, 6]
    assert all(
        b["messages"][0] == {"role": "system", "content": env["CHATTUI_SYSTEM_PROMPT"]}
        for b in sent
    )
    assert all(b["temperature"] == 0.7 and b["model"] == "gpt-4o" for b in sent)
    assert sent[2]["messages"][-1]["content"] == "third\nwith lines and 中文"
    assert not any("max_tokens" in b or "max_completion_tokens" in b for b in sent)


@pytest.mark.parametrize(
    ("model", "effort", "first", "second"),
    [
        ("gpt-4o", "", "max_tokens", "max_completion_tokens"),
        ("o3-mini", "low", "max_completion_tokens", "max_tokens"),
    ],
)
async def test_max_tokens_names_and_the_retry_with_the_other_name(
    fake_server: FakeOpenAI,
    validator: Draft202012Validator,
    known_fields: set[str],
    model: str,
    effort: str,
    first: str,
    second: str,
) -> None:
    env = {"CHATTUI_MODEL": model, "CHATTUI_MAX_TOKENS": "200", "CHATTUI_TEMPERATURE": "1"}
    if effort:
        env["CHATTUI_REASONING_EFFORT"] = effort
    app = make_app(fake_server.base_url, env=env)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "plain turn")
        fake_server.queue(unsupported(first, second), Reply(text="after the retry"))
        await send(pilot, "turn that is refused once")
        assert "after the retry" in chat_log(app).rendered_text()
    sent = check(bodies(fake_server), validator, known_fields)
    assert len(sent) == 3
    assert [b.get(first) for b in sent] == [200, 200, None]
    assert [b.get(second) for b in sent] == [None, None, 200]
    for body in sent:
        if effort:  # a reasoning model: no temperature, the effort instead
            assert body["reasoning_effort"] == effort and "temperature" not in body
        else:
            assert body["temperature"] == 1 and "reasoning_effort" not in body


async def test_retry_after_an_error_and_after_a_stop(
    fake_server: FakeOpenAI, validator: Draft202012Validator, known_fields: set[str]
) -> None:
    app = make_app(fake_server.base_url, env={"CHATTUI_MODEL": "gpt-4o-mini"})
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        fake_server.queue(Reply(status=500))
        await send(pilot, "this fails first")
        assert "error" in status_text(app)
        await press_now(pilot, "ctrl+r")
        await settle(pilot)
        assert "ready" in status_text(app)

        fake_server.queue(Reply(text="partial and then a long wait", fault="hang_after_first"))
        await paste(pilot, "this is stopped")
        await press_now(pilot, "enter")
        assert await asyncio.to_thread(fake_server.wait_for_hang, 1, 10)
        await press_now(pilot, "escape")
        await settle(pilot)
        assert "stopped" in status_text(app)
        await press_now(pilot, "ctrl+r")
        await settle(pilot)
        assert "ready" in status_text(app)
    sent = check(bodies(fake_server), validator, known_fields)
    assert len(sent) == 5  # hello, the failure, its retry, the stopped one, its retry
    # The retry after the error asks exactly what the failed request asked.
    assert sent[2] == sent[1] and sent[2]["messages"][-1]["content"] == "this fails first"
    # The retry after the stop asks again without the stopped partial reply.
    assert sent[4] == sent[3] and sent[4]["messages"][-1]["content"] == "this is stopped"


async def test_continue_after_a_stop(
    fake_server: FakeOpenAI, validator: Draft202012Validator, known_fields: set[str]
) -> None:
    app = make_app(fake_server.base_url, env={"CHATTUI_MODEL": "gpt-4o-mini"})
    async with app.run_test(size=SIZE) as pilot:
        fake_server.queue(Reply(text="partial and then a long wait", fault="hang_after_first"))
        await paste(pilot, "write a long story")
        await press_now(pilot, "enter")
        assert await asyncio.to_thread(fake_server.wait_for_hang, 1, 10)
        await press_now(pilot, "escape")
        await settle(pilot)
        assert "stopped" in status_text(app)
        fake_server.queue(Reply(text=" and the rest of it."))
        await press_now(pilot, "ctrl+g")
        await settle(pilot)
        assert "ready" in status_text(app)
        text = chat_log(app).rendered_text()
        assert "and the rest of it." in text and "stopped" not in text
    sent = check(bodies(fake_server), validator, known_fields)
    assert len(sent) == 2
    assert [m["role"] for m in sent[1]["messages"]] == ["user", "assistant", "user"]
    partial = sent[1]["messages"][1]["content"]
    assert partial and "partial and then a long wait".startswith(partial)


async def test_trimmed_history(
    fake_server: FakeOpenAI, validator: Draft202012Validator, known_fields: set[str]
) -> None:
    env = {
        "CHATTUI_MODEL": "tiny-local-model",
        "CHATTUI_CONTEXT_WINDOW": "400",
        "CHATTUI_MAX_TOKENS": "50",
        "CHATTUI_SYSTEM_PROMPT": "system prompt kept",
    }
    app = make_app(fake_server.base_url, env=env)
    long_text = "word " * 100
    async with app.run_test(size=SIZE) as pilot:
        for turn in range(4):
            fake_server.queue(Reply(text="ok " * 30))
            await send(pilot, f"{turn} {long_text}")
        assert "earlier messages not sent" in chat_log(app).rendered_text()
    sent = check(bodies(fake_server), validator, known_fields)
    assert len(sent) == 4
    last = sent[-1]["messages"]
    assert last[0] == {"role": "system", "content": "system prompt kept"}
    assert last[-1]["content"] == f"3 {long_text}" and len(last) < 8
    # Trimming keeps whole turns: after the system prompt, a user turn comes first.
    assert last[1]["role"] == "user"
    assert all(b["max_tokens"] == 50 for b in sent)


async def test_body_from_the_core_matches_what_the_sdk_sends(
    fake_server: FakeOpenAI, validator: Draft202012Validator, known_fields: set[str]
) -> None:
    """ChatRequest.body() (what the core builds) is the body on the wire, field for field."""
    from chattui.core.client import ChatClient
    from chattui.core.events import ChatRequest
    from chattui.core.secrets import ApiKey

    request = ChatRequest(
        model="o3-mini",
        messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
        max_tokens=10,
        max_tokens_param="max_completion_tokens",
        reasoning_effort="minimal",
    )

    client = ChatClient(ApiKey("sk-security-core-000011112222"), fake_server.base_url)
    try:
        async for _event in client.stream(request):
            pass
    finally:
        await client.aclose()
    sent = check(bodies(fake_server), validator, known_fields)
    assert sent == [request.body(stream=True)]


def test_the_extracted_schema_is_whole_and_nothing_more(spec: dict[str, Any]) -> None:
    """Every schema the request schema refers to is in tests/data, and nothing else is:
    cutting the cut again gives it back unchanged."""
    assert len(spec["components"]["schemas"]) > 10
    assert extract(spec) == spec
    without_one = {**spec["components"]["schemas"]}
    del without_one["ChatCompletionRequestUserMessage"]
    with pytest.raises(KeyError, match="ChatCompletionRequestUserMessage"):
        extract({**spec, "components": {"schemas": without_one}})


def test_the_extracted_schema_matches_the_shared_document(spec: dict[str, Any]) -> None:
    """A freshness check, where ../shared/openai-openapi is beside the repo: the schema in
    tests/data is exactly what extract.py cuts from the document there."""
    assert Path(__file__).resolve().parents[2] == REPO_ROOT
    assert SCHEMA.removeprefix("#/components/schemas/") in spec["components"]["schemas"]
    if not SHARED_SPEC.is_file():
        pytest.skip(f"no OpenAPI document at {SHARED_SPEC} to compare with (optional)")
    assert extract(json.loads(SHARED_SPEC.read_text("utf-8"))) == spec
