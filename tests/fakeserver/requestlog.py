"""The request log: every request as the fake server saw it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakeserver.tokens import value_text

__all__ = ["RecordedRequest"]


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any
    time: float = field(default_factory=time.monotonic)
    status: int | None = None
    outcome: str = "pending"
    """pending, complete, client_disconnected, cut, stopped or an error description."""
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def messages(self) -> list[dict[str, Any]]:
        if isinstance(self.json, dict) and isinstance(self.json.get("messages"), list):
            return list(self.json["messages"])
        return []

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return value_text(message.get("content"))
        return ""
