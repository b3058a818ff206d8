"""Model catalog: lookup order, user overrides and their errors, costs, max tokens naming."""

from __future__ import annotations

import pytest

from chattui.core.catalog import (
    DEFAULT_CONTEXT_WINDOW,
    Catalog,
    CatalogError,
    ModelInfo,
    estimate_cost,
    is_reasoning_model,
    max_tokens_param,
    model_choices,
    normalize_model_id,
    other_max_tokens_param,
)

REQUIRED = [
    "gpt-3.5-turbo", "gpt-3.5-turbo-16k", "gpt-4", "gpt-4-turbo", "gpt-4o", "gpt-4o-mini",
    "chatgpt-4o-latest", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o1", "o1-mini", "o3",
    "o3-mini", "o4-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano", "deepseek-chat",
    "deepseek-reasoner",
]  # fmt: skip


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.bundled()


def test_bundled_catalog_has_the_common_models(catalog: Catalog) -> None:
    for model in REQUIRED:
        assert model in catalog.model_ids(), model
        assert catalog.lookup(model).matched == model


def test_exact_entry(catalog: Catalog) -> None:
    info = catalog.lookup("gpt-4o")
    assert info == ModelInfo(
        id="gpt-4o",
        encoding="o200k_base",
        context_window=128000,
        max_output=16384,
        input_price=2.5,
        output_price=10.0,
        matched="gpt-4o",
    )
    assert info.exact and info.known and not info.reasoning


def test_gpt_35_turbo_window(catalog: Catalog) -> None:
    assert catalog.lookup("gpt-3.5-turbo").context_window == 16385
    assert catalog.lookup("gpt-3.5-turbo-0613").context_window == 4096  # the old one
    assert catalog.lookup("gpt-3.5-turbo-16k").context_window == 16385
    assert catalog.lookup("gpt-4").encoding == "cl100k_base"


@pytest.mark.parametrize(
    ("model", "matched"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4-0613", "gpt-4"),
        ("gpt-3.5-turbo-16k-0613", "gpt-3.5-turbo-16k"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("gpt-5-2025-08-07", "gpt-5"),
    ],
)
def test_dated_snapshot_matches_base(catalog: Catalog, model: str, matched: str) -> None:
    info = catalog.lookup(model)
    assert info.matched == matched
    assert info.id == model


def test_specific_snapshot_entry_wins(catalog: Catalog) -> None:
    assert catalog.lookup("gpt-4o-2024-05-13").max_output == 4096


@pytest.mark.parametrize(
    ("model", "matched"),
    [
        ("gpt-5.1", "gpt-5*"),
        ("gpt-4o-audio-preview", "gpt-4o*"),
        ("gpt-4-1106-preview", "gpt-4-*-preview"),
        ("o9-mini", "o[0-9]*"),
        ("llama3.1:8b", "llama*3.[1-3]*"),
        ("llama2:13b", "llama*"),
        ("mistral-large-latest", "mistral-large*"),
        ("mistral-small", "mistral*"),
        ("qwen-plus-latest", "qwen-plus*"),
        ("qwen2.5-coder", "qwen*"),
    ],
)
def test_most_specific_pattern(catalog: Catalog, model: str, matched: str) -> None:
    assert catalog.lookup(model).matched == matched


def test_pattern_entries_are_approximate_for_other_vendors(catalog: Catalog) -> None:
    for model in ("deepseek-chat", "qwen-max", "llama3", "mistral-7b"):
        info = catalog.lookup(model)
        assert info.known and not info.exact, model


@pytest.mark.parametrize(
    ("model", "normalized"),
    [
        ("GPT-4o", "gpt-4o"),
        ("openai/gpt-4o-mini", "gpt-4o-mini"),
        ("ft:gpt-4o-mini-2024-07-18:my-org::abc123", "gpt-4o-mini-2024-07-18"),
        ("meta-llama/Llama-3.3-70B-Instruct", "llama-3.3-70b-instruct"),
    ],
)
def test_normalize(model: str, normalized: str) -> None:
    assert normalize_model_id(model) == normalized


def test_prefixed_and_fine_tuned_ids(catalog: Catalog) -> None:
    assert catalog.lookup("openai/gpt-4o").matched == "gpt-4o"
    assert catalog.lookup("ft:gpt-4o-mini-2024-07-18:org::x").matched == "gpt-4o-mini"
    assert catalog.lookup("meta-llama/Llama-3.3-70B-Instruct").context_window == 131072


def test_unknown_model_gets_conservative_default(catalog: Catalog) -> None:
    info = catalog.lookup("my-local-model")
    assert not info.known
    assert not info.exact
    assert info.context_window == DEFAULT_CONTEXT_WINDOW == 8192
    assert info.matched is None
    assert info.input_price is None


def test_default_window_setting() -> None:
    catalog = Catalog.from_overrides({}, default_window=32768)
    assert catalog.lookup("my-local-model").context_window == 32768
    assert catalog.lookup("gpt-4o").context_window == 128000


# --------------------------------------------------------------------------- overrides


def test_override_changes_only_given_fields() -> None:
    catalog = Catalog.from_overrides({"gpt-4o": {"input_price": 2.0}})
    info = catalog.lookup("gpt-4o")
    assert info.input_price == 2.0
    assert info.output_price == 10.0
    assert info.context_window == 128000
    assert Catalog.bundled().lookup("gpt-4o").input_price == 2.5  # bundled unchanged


def test_new_id_inherits_from_what_it_would_match() -> None:
    catalog = Catalog.from_overrides({"gpt-4o-2024-11-20": {"input_price": 2.0}})
    info = catalog.lookup("gpt-4o-2024-11-20")
    assert (info.input_price, info.context_window, info.encoding) == (2.0, 128000, "o200k_base")


def test_new_model_and_pattern() -> None:
    catalog = Catalog.from_overrides(
        {
            "my-model": {"context_window": 65536, "encoding": "cl100k_base", "reasoning": True},
            "corp-*": {"context_window": 20000, "input_price": 0, "output_price": 0},
        }
    )
    mine = catalog.lookup("my-model")
    assert (mine.context_window, mine.exact, mine.reasoning, mine.known) == (
        65536, True, True, True,
    )  # fmt: skip
    corp = catalog.lookup("corp-llm-7b")
    assert (corp.matched, corp.context_window, corp.exact) == ("corp-*", 20000, False)
    assert estimate_cost(corp, 1000, 1000) == 0.0


def test_user_pattern_can_beat_bundled_one() -> None:
    catalog = Catalog.from_overrides({"llama3.1:70b*": {"context_window": 16384}})
    assert catalog.lookup("llama3.1:70b-instruct-q4").context_window == 16384
    assert catalog.lookup("llama3.1:8b").context_window == 131072


@pytest.mark.parametrize(
    ("entries", "entry", "key", "message"),
    [
        ({"m": {"context_window": "128k"}}, "m", "context_window", "positive integer"),
        ({"m": {"context_window": True}}, "m", "context_window", "positive integer"),
        ({"m": {"context_window": 0}}, "m", "context_window", "positive integer"),
        ({"m": {"max_output": 1.5}}, "m", "max_output", "positive integer"),
        ({"m": {"input_price": -1}}, "m", "input_price", "zero or more"),
        ({"m": {"output_price": "cheap"}}, "m", "output_price", "number"),
        ({"m": {"token_factor": 0}}, "m", "token_factor", "greater than zero"),
        ({"m": {"reasoning": "yes"}}, "m", "reasoning", "true or false"),
        ({"m": {"encoding": "p50k_base"}}, "m", "encoding", "o200k_base"),
        ({"m": {"max_tokens_param": "max"}}, "m", "max_tokens_param", "max_tokens"),
        ({"m": {"contex_window": 1}}, "m", "contex_window", "unknown key"),
        ({"m": 5}, "m", None, "must be a table"),
        ({"gpt-4o": {"input_price": "2"}}, "gpt-4o", "input_price", "number"),
    ],
)
def test_bad_override(
    entries: dict[str, object], entry: str, key: str | None, message: str
) -> None:
    with pytest.raises(CatalogError, match=message) as caught:
        Catalog.from_overrides(entries)  # type: ignore[arg-type]
    assert caught.value.entry == entry
    assert caught.value.key == key
    assert f'models."{entry}"' in str(caught.value)


def test_bad_default_window() -> None:
    with pytest.raises(ValueError, match="default_window"):
        Catalog.from_overrides({}, default_window=0)


# --------------------------------------------------------------------------- cost


def test_estimate_cost(catalog: Catalog) -> None:
    info = catalog.lookup("gpt-4o")
    assert estimate_cost(info, 1000, 500) == pytest.approx((1000 * 2.5 + 500 * 10.0) / 1e6)
    assert estimate_cost(info, 0, 0) == 0.0
    assert estimate_cost(catalog.lookup("gpt-5.1"), 1000, 500) is None  # pattern: no price
    assert estimate_cost(catalog.lookup("unknown-model"), 1000, 500) is None


# --------------------------------------------------------------------------- max tokens


@pytest.mark.parametrize(
    ("model", "base_url", "expected"),
    [
        ("gpt-4o", "https://api.openai.com/v1", "max_completion_tokens"),
        ("gpt-4o", "", "max_completion_tokens"),
        ("gpt-4o", "https://res.openai.azure.com/openai/deployments/x", "max_completion_tokens"),
        ("gpt-4o", "https://api.openai.com.evil.example/v1", "max_tokens"),
        ("gpt-4o", "http://localhost:4000/v1", "max_tokens"),
        ("llama3.1:8b", "http://localhost:11434/v1", "max_tokens"),
        ("deepseek-chat", "https://api.deepseek.com", "max_tokens"),
        ("o3-mini", "http://localhost:4000/v1", "max_completion_tokens"),
        ("gpt-5-mini", "https://openrouter.ai/api/v1", "max_completion_tokens"),
        ("openai/o4-mini", "https://openrouter.ai/api/v1", "max_completion_tokens"),
    ],
)
def test_max_tokens_param(model: str, base_url: str, expected: str) -> None:
    assert max_tokens_param(model, base_url) == expected


def test_max_tokens_param_catalog_setting_wins(catalog: Catalog) -> None:
    reasoner = catalog.lookup("deepseek-reasoner")
    assert max_tokens_param("deepseek-reasoner", "https://api.deepseek.com", reasoner) == (
        "max_tokens"
    )
    auto = catalog.lookup("gpt-4o")
    assert max_tokens_param("gpt-4o", "http://localhost:8000/v1", auto) == "max_tokens"
    user = Catalog.from_overrides({"gpt-4o": {"max_tokens_param": "max_tokens"}})
    assert max_tokens_param("gpt-4o", "", user.lookup("gpt-4o")) == "max_tokens"


def test_other_max_tokens_param() -> None:
    assert other_max_tokens_param("max_tokens") == "max_completion_tokens"
    assert other_max_tokens_param("max_completion_tokens") == "max_tokens"


@pytest.mark.parametrize(
    "model",
    ["o1", "o1-mini", "o3-2025-04-16", "o4-mini", "gpt-5", "gpt-5-nano", "gpt-5.1", "openai/o3"],
)
def test_reasoning_models(model: str) -> None:
    assert is_reasoning_model(model)


@pytest.mark.parametrize(
    "model",
    ["gpt-4o", "gpt-4.1", "gpt-5-chat-latest", "deepseek-reasoner", "omni-moderation", "o"],
)
def test_not_reasoning_models(model: str) -> None:
    assert not is_reasoning_model(model)


def test_catalog_reasoning_flag_agrees(catalog: Catalog) -> None:
    for model in catalog.model_ids():
        if model.startswith(("o", "gpt")) and not model.startswith("gpt-oss"):
            assert catalog.lookup(model).reasoning == is_reasoning_model(model), model


def test_model_choices_come_from_the_catalog_endpoints_provider_first(catalog: Catalog) -> None:
    """Issue 17: the settings screen's model list is the catalog's, not a list of its own."""
    choices = model_choices(catalog)
    assert set(choices) <= set(catalog.model_ids())
    for model in ("gpt-4o-mini", "gpt-4o", "gpt-5", "o4-mini", "deepseek-chat", "qwen-plus"):
        assert model in choices, model
    assert "gpt-4o-2024-05-13" not in choices and "gpt-3.5-turbo-0125" not in choices
    assert choices[0].startswith(("gpt", "chatgpt", "o"))  # OpenAI's first by default
    deepseek = model_choices(catalog, "https://api.deepseek.com/v1")
    assert deepseek[:2] == ["deepseek-chat", "deepseek-reasoner"]
    assert sorted(deepseek) == sorted(choices)
    qwen = model_choices(catalog, "https://dashscope.aliyuncs.com/compatible-mode/v1")
    assert qwen[:3] == ["qwen-max", "qwen-plus", "qwen-turbo"]
    mine = Catalog.from_overrides({"my-local-model": {"context_window": 4096}})
    assert "my-local-model" in model_choices(mine, "http://127.0.0.1:11434/v1")
