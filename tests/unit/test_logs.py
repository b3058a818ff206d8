"""The debug log: off by default, rotated by size, private, and never holding a secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from chattui.core import logs
from chattui.core.logs import redact, start_logging, stop_logging

KEY = "sk-canary-log-0a1b2c3d4e5f6789"
PASSWORD = "pw-canary-4242"


@pytest.fixture(autouse=True)
def no_handler_left() -> Iterator[None]:
    yield
    stop_logging()
    logging.getLogger().setLevel(logging.WARNING)


def test_off_unless_a_level_is_set(tmp_path: Path) -> None:
    assert start_logging(tmp_path / "chattui.log", "", lambda: [KEY]) is None
    logging.getLogger("chattui.test").warning("nothing to see")
    assert not (tmp_path / "chattui.log").exists()


def test_rotated_by_size_private_and_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    path = tmp_path / "cache" / "chattui.log"
    assert start_logging(path, "debug", lambda: [KEY, PASSWORD]) is None
    log = logging.getLogger("chattui.test")
    for n in range(60):
        log.debug("request %d with key %s via http://user:%s@proxy:8080", n, KEY, PASSWORD)
        log.info("headers: {'Authorization': 'Bearer %s', 'api-key': 'azure-secret-1'}", KEY)
    try:
        raise ValueError(f"failed with {KEY}")
    except ValueError:
        log.exception("with a traceback")
    stop_logging()
    files = sorted(path.parent.glob("chattui.log*"))
    assert [f.name for f in files] == [f"chattui.log{s}" for s in ("", ".1", ".2", ".3")]
    text = "".join(f.read_text("utf-8") for f in files)
    assert "request 59 with key ***" in text and "with a traceback" in text
    assert KEY not in text and PASSWORD not in text and "azure-secret-1" not in text
    assert "http://user:***@proxy:8080" in text
    for f in files:
        assert f.stat().st_mode & 0o777 == 0o600
        assert f.stat().st_size <= 2_600


def test_redact_masks_shapes_of_secrets_it_was_not_told_about() -> None:
    assert redact("Authorization: Bearer abc.def-123", []) == "Authorization: Bearer ***"
    assert redact("key sk-proj-ABCDEFGH12345678 used", []) == "key *** used"
    assert redact("socks5://me:hunter22@127.0.0.1:1080", []) == "socks5://me:***@127.0.0.1:1080"
    assert redact("x-api-key=zzz123 rest", []) == "x-api-key=*** rest"
    assert redact("plain text stays", ["abc"]) == "plain text stays"  # too short to mask
