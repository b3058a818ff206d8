"""The opt-in debug log: ``--debug`` or ``log_level`` in config.toml.

Written to ``chattui.log`` in the cache dir (``chattui --paths`` shows it), mode 0600, rotated by
size. It holds request timings and errors (see :mod:`chattui.core.client`) and, at ``debug``,
the HTTP libraries' own records. Every line is redacted as it is written: the API key, the proxy
password, ``Authorization`` headers and anything shaped like a key become ``***``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from chattui.core.problems import Problem

__all__ = ["BACKUPS", "MAX_BYTES", "RedactingFormatter", "start_logging", "stop_logging"]

MAX_BYTES = 1_000_000
"""A log file is rotated when it reaches this size."""
BACKUPS = 3
"""Rotated files kept (``chattui.log.1`` ... ``.3``)."""

_PATTERNS = (
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer\s+)?)[^\s'\",}]+"),
    re.compile(r"(?i)(bearer\s+)[^\s'\",}]+"),
    re.compile(r"(?i)((?:api[-_]?key|x-api-key)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
    re.compile(r"()\bsk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(://[^/\s:@]*:)[^/\s@]+(@)"),
)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets`` and anything that looks like a key masked."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(_mask, text)
    return text


def _mask(match: re.Match[str]) -> str:
    after = match.group(2) if match.lastindex == 2 else ""
    return match.group(1) + "***" + after


class RedactingFormatter(logging.Formatter):
    """Formats records, then masks secrets in the whole line (message, values, traceback)."""

    def __init__(self, secrets: Callable[[], Iterable[str]]) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets())


def _private_handler(path: Path) -> logging.Handler:
    """A rotating file handler whose files are created readable only by the user.

    The class is made here: ``logging.handlers`` is imported only when a log is wanted (it
    would cost start-up time otherwise).
    """
    import logging.handlers

    class PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
        def _open(self) -> Any:
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            return os.fdopen(fd, "a", encoding=self.encoding or "utf-8", errors=self.errors)

    return PrivateRotatingHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")


_handler: logging.Handler | None = None


def start_logging(path: Path, level: str, secrets: Callable[[], Iterable[str]]) -> Problem | None:
    """Send log records of ``level`` and above to ``path``; returns a problem, or None.

    ``secrets`` is asked for the current key and proxy password each time a line is written,
    so a key changed in the settings is masked too. Calling again replaces the handler.
    """
    global _handler
    stop_logging()
    if not level:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = _private_handler(path)
    except OSError as error:
        return Problem("files.log", {"path": str(path), "error": str(error.strerror or error)})
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.DEBUG))
    _handler = handler
    logging.getLogger("chattui").info("log started (level %s)", level)
    return None


def stop_logging() -> None:
    """Remove the handler :func:`start_logging` added (tests; the app never needs it)."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None
