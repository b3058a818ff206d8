"""Model catalog: context window, max output, tokenizer and list prices per model.

The bundled data lives in ``catalog.toml`` next to this module (read lazily, once). Users add or
override entries from ``config.toml``; :meth:`Catalog.from_overrides` validates them and names
the entry and key of any mistake. No I/O happens at import time.
"""

from __future__ import annotations

import fnmatch
import functools
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TypedDict
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "DEFAULT_TOKEN_FACTOR",
    "ENCODING_NAMES",
    "Catalog",
    "CatalogError",
    "MaxTokensParam",
    "MaxTokensSetting",
    "ModelInfo",
    "estimate_cost",
    "is_reasoning_model",
    "max_tokens_param",
    "model_choices",
    "normalize_model_id",
    "other_max_tokens_param",
]

DEFAULT_CONTEXT_WINDOW: Final = 8192
"""Window assumed for a model the catalog does not know: small enough to be safe almost anywhere."""

DEFAULT_TOKEN_FACTOR: Final = 1.1
"""Multiplier on the o200k_base count for models without an exact tokenizer (errs high)."""

ENCODING_NAMES: Final = ("o200k_base", "cl100k_base", "estimate")
"""Values of the ``encoding`` field; ``estimate`` means no exact tokenizer is available."""

MaxTokensSetting = Literal["auto", "max_completion_tokens", "max_tokens"]
"""Which request parameter caps the reply; ``auto`` lets the endpoint decide."""

MaxTokensParam = Literal["max_completion_tokens", "max_tokens"]
"""The two spellings of the reply cap in a chat completions request."""

_MAX_TOKENS_SETTINGS: Final = ("auto", "max_completion_tokens", "max_tokens")
_SNAPSHOT = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{4})$")
_WILDCARDS = re.compile(r"\[[^\]]*\]|[*?]")
_REASONING_FAMILY = re.compile(r"o\d+(?:-|$)|gpt-5(?:[-.]|$)")


class CatalogError(ValueError):
    """A catalog entry (bundled or from the user's config) is malformed.

    Attributes:
        entry: The model id or pattern of the faulty entry.
        key: The faulty field, or ``None`` when the entry itself is wrong.
    """

    def __init__(self, entry: str, key: str | None, problem: str) -> None:
        where = f'models."{entry}"' + (f".{key}" if key else "")
        super().__init__(f"{where}: {problem}")
        self.entry = entry
        self.key = key


class _Fields(TypedDict, total=False):
    encoding: str
    token_factor: float
    context_window: int
    max_output: int | None
    input_price: float | None
    output_price: float | None
    reasoning: bool
    max_tokens_param: MaxTokensSetting


@dataclass(frozen=True)
class ModelInfo:
    """What chattui knows about one model id."""

    id: str
    """The model id as it was looked up."""
    encoding: str = "estimate"
    """``o200k_base`` or ``cl100k_base`` for exact counts, ``estimate`` otherwise."""
    context_window: int = DEFAULT_CONTEXT_WINDOW
    """Tokens the model accepts for prompt and reply together."""
    max_output: int | None = None
    """Largest reply the model can produce, if known."""
    input_price: float | None = None
    """USD per 1M prompt tokens (an estimate), if known."""
    output_price: float | None = None
    """USD per 1M completion tokens (an estimate), if known."""
    reasoning: bool = False
    """A reasoning model: hidden reasoning tokens count against the reply budget."""
    max_tokens_param: MaxTokensSetting = "auto"
    """The request parameter that caps the reply; ``auto`` decides by endpoint."""
    token_factor: float = DEFAULT_TOKEN_FACTOR
    """Multiplier on the o200k_base count when ``encoding`` is ``estimate``."""
    known: bool = True
    """False when no catalog entry matched and these are conservative defaults."""
    matched: str | None = None
    """The catalog key (id or pattern) that matched, ``None`` for the default."""

    @property
    def exact(self) -> bool:
        """True when token counts for this model are exact (an OpenAI tokenizer)."""
        return self.encoding != "estimate"


def normalize_model_id(model_id: str) -> str:
    """Reduce a model id to the form catalog keys use.

    Lower-cases, strips a fine-tune wrapper (``ft:gpt-4o-mini-2024-07-18:org::id`` ->
    ``gpt-4o-mini-2024-07-18``) and a provider prefix (``openai/gpt-4o`` -> ``gpt-4o``).

    Args:
        model_id: The id as the user or server spells it.

    Returns:
        The normalized id.
    """
    name = model_id.strip().lower()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    return name.rsplit("/", 1)[-1]


def estimate_cost(info: ModelInfo, prompt_tokens: int, completion_tokens: int) -> float | None:
    """Estimate the list price of one request in USD.

    Args:
        info: The model's catalog entry.
        prompt_tokens: Input tokens (as reported in ``usage.prompt_tokens``).
        completion_tokens: Output tokens, reasoning tokens included.

    Returns:
        The cost in USD, or ``None`` when the catalog has no price for the model.
    """
    if info.input_price is None or info.output_price is None:
        return None
    return (prompt_tokens * info.input_price + completion_tokens * info.output_price) / 1_000_000


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` belongs to OpenAI's reasoning families (o1, o3, o4, gpt-5 ...).

    The ``-chat`` variants (``gpt-5-chat-latest``) are ChatGPT's non-reasoning models.

    Args:
        model: Any model id (provider prefixes and fine-tune wrappers are ignored).

    Returns:
        True for reasoning models.
    """
    name = normalize_model_id(model)
    return bool(_REASONING_FAMILY.match(name)) and "-chat" not in name


def max_tokens_param(model: str, base_url: str, info: ModelInfo | None = None) -> MaxTokensParam:
    """The request parameter that caps the reply for ``model`` at ``base_url``.

    OpenAI deprecated ``max_tokens`` in favour of ``max_completion_tokens`` and its reasoning
    models reject ``max_tokens``; most OpenAI-compatible servers only know ``max_tokens``.
    Order: an explicit catalog setting, then reasoning models (anywhere) and OpenAI's own
    endpoints (``api.openai.com``, ``*.openai.azure.com``, an empty base URL meaning the
    default) -> ``max_completion_tokens``; anything else -> ``max_tokens``. If the server
    rejects the choice, retry once with :func:`other_max_tokens_param`.

    Args:
        model: The model id.
        base_url: The API base URL (may be empty for the SDK default).
        info: The model's catalog entry, whose ``max_tokens_param`` wins unless ``auto``.

    Returns:
        ``"max_completion_tokens"`` or ``"max_tokens"``.
    """
    if info is not None and info.max_tokens_param != "auto":
        return info.max_tokens_param
    if is_reasoning_model(model) or _is_openai_endpoint(base_url):
        return "max_completion_tokens"
    return "max_tokens"


def other_max_tokens_param(name: MaxTokensParam) -> MaxTokensParam:
    """The other spelling, for a retry after the server rejected ``name``."""
    return "max_tokens" if name == "max_completion_tokens" else "max_completion_tokens"


def _host(base_url: str) -> str:
    url = base_url.strip()
    return (urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower()


def _is_openai_endpoint(base_url: str) -> bool:
    if not base_url.strip():
        return True
    host = _host(base_url)
    return host == "api.openai.com" or host.endswith(".openai.azure.com")


_PROVIDERS: Final = (
    # (provider, its model ids' prefix, words in its API host), in the order a list shows
    # them after the endpoint's own provider. OpenAI's models are the ones no other claims.
    ("openai", "", ("openai",)),
    ("deepseek", "deepseek", ("deepseek",)),
    ("qwen", "qwen", ("dashscope", "aliyun", "qwen")),
)


def _provider_of_model(model: str) -> int:
    for index, (_, prefix, _) in enumerate(_PROVIDERS):
        if prefix and model.startswith(prefix):
            return index
    return 0


def _provider_of_endpoint(base_url: str) -> int:
    host = _host(base_url)
    for index, (_, _, words) in enumerate(_PROVIDERS):
        if any(word in host for word in words):
            return index
    return 0


def model_choices(catalog: Catalog, base_url: str = "") -> list[str]:
    """The model ids to offer in a picker, from the catalog.

    Dated snapshots are left out (``gpt-4o-2024-05-13``: the undated id stands for them), and
    so are glob patterns. The ids are grouped by provider, the endpoint's own first (OpenAI's
    when the endpoint is not a known provider's), then in a fixed order; sorted within a group.

    Args:
        catalog: The bundled catalog, or one with the user's ``[models]`` added.
        base_url: The endpoint the models are for.

    Returns:
        The ids, e.g. DeepSeek's first for ``https://api.deepseek.com/v1``.
    """
    first = _provider_of_endpoint(base_url)
    ids = [model for model in catalog.model_ids() if not _SNAPSHOT.search(model)]

    def order(model: str) -> tuple[bool, int, str]:
        provider = _provider_of_model(model)
        return provider != first, provider, model

    return sorted(ids, key=order)


class Catalog:
    """An immutable set of model entries with id and glob-pattern lookup."""

    def __init__(
        self, entries: Mapping[str, Mapping[str, object]], default_window: int | None = None
    ) -> None:
        """Build a catalog, validating every entry.

        Args:
            entries: Model id or glob pattern -> fields (see ``catalog.toml``).
            default_window: Context window for unknown models (default 8,192).

        Raises:
            CatalogError: An entry or a field is malformed.
        """
        if default_window is not None and (
            isinstance(default_window, bool)
            or not isinstance(default_window, int)
            or default_window <= 0
        ):
            raise ValueError(f"default_window must be a positive integer, got {default_window!r}")
        self.default_window = default_window or DEFAULT_CONTEXT_WINDOW
        self._exact: dict[str, _Fields] = {}
        self._patterns: list[tuple[int, int, str, _Fields]] = []
        for key, raw in entries.items():
            fields = _validate(key, raw)
            norm = key.strip().lower()
            if _WILDCARDS.search(norm):
                self._patterns.append((_specificity(norm), len(norm), norm, fields))
            else:
                self._exact[norm] = fields
        # Most specific first; sorted() is stable, so file order breaks the remaining ties.
        self._patterns.sort(key=lambda item: (-item[0], -item[1]))
        self._raw = {key: dict(value) for key, value in entries.items()}
        self._cache: dict[str, ModelInfo] = {}

    @classmethod
    def bundled(cls) -> Catalog:
        """The catalog shipped with chattui (parsed on first use, then shared)."""
        return _bundled()

    @classmethod
    def from_overrides(
        cls,
        user_entries: Mapping[str, Mapping[str, object]],
        default_window: int | None = None,
    ) -> Catalog:
        """The bundled catalog with the user's entries added or overriding.

        A user entry whose key equals a bundled key changes only the fields it sets. A new
        exact id starts from what the bundled catalog says about that id (so
        ``[models."gpt-4o-2024-11-20"] input_price = 2.0`` keeps gpt-4o's window); a new
        pattern starts from the defaults.

        Args:
            user_entries: The ``[models]`` table of ``config.toml``.
            default_window: Context window for models no entry matches.

        Returns:
            A new catalog.

        Raises:
            CatalogError: A user entry is not a table, or a field has the wrong type or value.
        """
        base = cls.bundled()
        if not isinstance(user_entries, Mapping):
            raise CatalogError("*", None, "the [models] section must be a table")
        merged: dict[str, dict[str, object]] = {key: dict(v) for key, v in base._raw.items()}
        lower_keys = {key.strip().lower(): key for key in merged}
        for key, raw in user_entries.items():
            if not isinstance(key, str) or not key.strip():
                raise CatalogError(str(key), None, "the model id must be a non-empty string")
            if not isinstance(raw, Mapping):
                raise CatalogError(key, None, f"must be a table, got {type(raw).__name__}")
            _validate(key, raw)  # report the user's mistake under the user's key
            norm = key.strip().lower()
            existing = lower_keys.get(norm)
            if existing is not None:
                merged[existing] = {**merged[existing], **raw}
                continue
            start: dict[str, object] = {}
            if not _WILDCARDS.search(norm):
                info = base.lookup(norm)
                if info.known:
                    start = {name: getattr(info, name) for name in _Fields.__annotations__}
            merged[key] = {**start, **raw}
            lower_keys[norm] = key
        return cls(merged, default_window)

    def lookup(self, model_id: str) -> ModelInfo:
        """Find what the catalog knows about a model.

        Order: the exact id, the id without a dated snapshot suffix (``gpt-4o-2024-08-06`` ->
        ``gpt-4o``), the most specific matching pattern, then a conservative default with
        ``known=False``. Each is tried with the id as given and with the id normalized by
        :func:`normalize_model_id`.

        Args:
            model_id: Any model id.

        Returns:
            The model's info (never raises).
        """
        cached = self._cache.get(model_id)
        if cached is not None:
            return cached
        info = self._find(model_id)
        self._cache[model_id] = info
        return info

    def model_ids(self) -> list[str]:
        """The exact (non-pattern) model ids in the catalog, sorted."""
        return sorted(self._exact)

    def _find(self, model_id: str) -> ModelInfo:
        lowered = model_id.strip().lower()
        candidates = list(dict.fromkeys([lowered, normalize_model_id(model_id)]))
        for name in candidates:
            for variant in (name, _SNAPSHOT.sub("", name)):
                fields = self._exact.get(variant)
                if fields is not None:
                    return ModelInfo(id=model_id, matched=variant, **fields)
        for _, _, pattern, fields in self._patterns:
            if any(fnmatch.fnmatchcase(name, pattern) for name in candidates):
                return ModelInfo(id=model_id, matched=pattern, **fields)
        return ModelInfo(id=model_id, context_window=self.default_window, known=False)


@functools.lru_cache(maxsize=1)
def _bundled() -> Catalog:
    # The file next to this module when it is one (an ordinary install): importing
    # importlib.resources (and zipfile) costs a few milliseconds of start-up.
    path = Path(__file__).with_name("catalog.toml")
    if path.is_file():
        text = path.read_text(encoding="utf-8")
    else:  # pragma: no cover - a zipped install
        from importlib import resources

        text = resources.files("chattui.core").joinpath("catalog.toml").read_text("utf-8")
    data = tomllib.loads(text)
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise CatalogError("*", None, "the [models] section must be a table")
    return Catalog(models)


def _specificity(pattern: str) -> int:
    """Literal characters in a glob, a ``[...]`` class counting as one."""
    return len(_WILDCARDS.sub("", pattern)) + len(re.findall(r"\[[^\]]*\]", pattern))


def _validate(entry: str, raw: Mapping[str, object]) -> _Fields:
    """Check one entry's fields and return them typed."""
    if not isinstance(raw, Mapping):
        raise CatalogError(entry, None, f"must be a table, got {type(raw).__name__}")
    fields: _Fields = {}
    for key, value in raw.items():
        if key == "encoding":
            if value not in ENCODING_NAMES:
                raise CatalogError(entry, key, f"must be one of {_names(ENCODING_NAMES)}")
            fields["encoding"] = value
        elif key == "max_tokens_param":
            if value not in _MAX_TOKENS_SETTINGS:
                raise CatalogError(entry, key, f"must be one of {_names(_MAX_TOKENS_SETTINGS)}")
            fields["max_tokens_param"] = value
        elif key == "context_window":
            fields["context_window"] = _positive_int(entry, key, value)
        elif key == "max_output":
            fields["max_output"] = None if value is None else _positive_int(entry, key, value)
        elif key in ("input_price", "output_price"):
            price = None if value is None else _number(entry, key, value, allow_zero=True)
            fields[key] = price  # type: ignore[literal-required]
        elif key == "token_factor":
            fields["token_factor"] = _number(entry, key, value, allow_zero=False)
        elif key == "reasoning":
            if not isinstance(value, bool):
                raise CatalogError(entry, key, f"must be true or false, got {value!r}")
            fields["reasoning"] = value
        else:
            known = _names(tuple(_Fields.__annotations__))
            raise CatalogError(entry, str(key), f"unknown key (known keys: {known})")
    return fields


def _positive_int(entry: str, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CatalogError(entry, key, f"must be a positive integer, got {value!r}")
    return value


def _number(entry: str, key: str, value: object, *, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CatalogError(entry, key, f"must be a number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        limit = "zero or more" if allow_zero else "greater than zero"
        raise CatalogError(entry, key, f"must be {limit}, got {value!r}")
    return float(value)


def _names(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{value}"' for value in values)
