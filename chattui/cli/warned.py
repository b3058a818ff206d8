"""Start-up warnings that ``chattui ask`` has already shown: each once per config change.

A broken config.toml (or a bad ``CHATTUI_*`` variable) would otherwise add the same lines to
the stderr of every ``ask`` in a script. What was shown is kept in the cache dir with a hash
of config.toml: a warning is shown again only once the file has changed (an edit that did not
fix it, or a new problem), and every warning is shown again when the cache is cleared.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from chattui.core.atomic import atomic_write
from chattui.core.problems import Problem

__all__ = ["not_yet_shown"]

FILE_NAME = "ask-warnings.json"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def not_yet_shown(warnings: Sequence[Problem], config_file: Path, cache_dir: Path) -> list[Problem]:
    """The ``warnings`` not shown since ``config_file`` last changed; they are recorded as
    shown (in ``cache_dir``) by this call. Nothing is hidden if the record cannot be read or
    written."""
    if not warnings:
        return []
    try:
        config = _digest(config_file.read_bytes().decode("utf-8", "replace"))
    except OSError:
        config = ""  # no config file: the environment's warnings, once
    record = cache_dir / FILE_NAME
    shown: set[str] = set()
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        data = json.loads(record.read_text("utf-8"))
        if data.get("config") == config:
            shown = {str(item) for item in data.get("shown", [])}
    keys = [_digest(repr(warning)) for warning in warnings]
    fresh = [warning for warning, key in zip(warnings, keys, strict=True) if key not in shown]
    if fresh:
        payload = {"config": config, "shown": sorted(shown | set(keys))}
        with contextlib.suppress(OSError):
            cache_dir.mkdir(parents=True, exist_ok=True)
            atomic_write(record, json.dumps(payload).encode("utf-8"))
    return fresh
