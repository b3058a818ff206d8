"""The models endpoint: `GET /v1/models` and `GET /v1/models/{id}` bodies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["DEFAULT_MODELS", "model_list", "model_object"]

DEFAULT_MODELS: tuple[str, ...] = ("gpt-4o-mini", "gpt-4o", "gpt-4.1", "o3-mini")

_CREATED = 1_700_000_000


def model_object(model_id: str) -> dict[str, Any]:
    """One model as the API lists it."""
    return {"id": model_id, "object": "model", "created": _CREATED, "owned_by": "system"}


def model_list(models: Sequence[str]) -> dict[str, Any]:
    """The body of `GET /v1/models`."""
    return {"object": "list", "data": [model_object(m) for m in models]}
