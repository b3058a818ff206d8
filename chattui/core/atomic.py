"""Crash-safe file writes: temp file in the same directory, fsync, ``os.replace``.

A reader (or a crash at any instant) sees either the old file or the new one, never a torn
or empty file. Files are created with their final mode from the start, so a secret is never
readable by others, not even for an instant.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["TEMP_MARKER", "atomic_write", "clean_temp_files"]

TEMP_MARKER = ".tmp-"
"""Part of every temp file name, so leftovers of a killed process can be found and removed."""


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    Args:
        path: The file to write; its directory must exist.
        data: The complete new content.
        mode: Permission bits for the new file (applied at creation, not after).

    Raises:
        OSError: the write failed (disk full, I/O error...); ``path`` is unchanged.
    """
    temp = path.with_name(f".{path.name}{TEMP_MARKER}{os.getpid()}-{os.urandom(4).hex()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def clean_temp_files(directory: Path) -> int:
    """Remove temp files left behind by killed writers in ``directory``; return how many."""
    removed = 0
    try:
        names = os.listdir(directory)  # names only: a Path per file is slow for 10,000 files
    except OSError:
        return 0
    for name in names:
        if not name.startswith(".") or TEMP_MARKER not in name:
            continue
        candidate = directory / name
        pid = name.rsplit(TEMP_MARKER, 1)[1].split("-", 1)[0]
        if pid.isdigit() and _alive(int(pid)):
            continue  # another running instance is writing it right now
        with contextlib.suppress(OSError):
            candidate.unlink()
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
