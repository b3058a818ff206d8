"""``chattui tokens [--model M] [--chat]``: count the tokens of a text offline.

The command line reads stdin and calls :func:`run`. Only the number goes to stdout, so the
command composes in pipelines; a note on stderr says when the count is an estimate.
"""

from __future__ import annotations

import sys
from typing import Final, TextIO

from chattui.core.catalog import Catalog
from chattui.core.tokens import EncodingError, TokenCounter, counter_for_model

__all__ = ["DEFAULT_MODEL", "run"]

DEFAULT_MODEL: Final = "gpt-4o-mini"
"""Model counted for when none is given (o200k_base, exact)."""


def run(
    model: str | None,
    chat: bool,
    text: str,
    *,
    catalog: Catalog | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the token count of ``text`` for ``model``.

    The text is counted exactly as given (a trailing newline from stdin counts too).

    Args:
        model: The model id, ``None`` for :data:`DEFAULT_MODEL`.
        chat: Count ``text`` as one user message of a chat request, framing and reply
            priming included (what the API reports as ``prompt_tokens``).
        text: The text to count.
        catalog: Model catalog with the user's overrides (default: the bundled one).
        out: Where the number goes (default stdout).
        err: Where notes and errors go (default stderr).

    Returns:
        The process exit status: 0, or 1 when the tokenizer cannot be loaded.
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    model_id = model or DEFAULT_MODEL
    catalog = catalog or Catalog.bundled()
    tokenizer = counter_for_model(model_id, catalog)
    try:
        if chat:
            count = TokenCounter(tokenizer).messages([{"role": "user", "content": text}])
        else:
            count = tokenizer.count(text)
    except EncodingError as error:
        print(f"chattui tokens: error: {error}", file=err)
        return 1
    print(count, file=out)
    if not tokenizer.exact:
        info = catalog.lookup(model_id)
        why = "is not in the catalog" if not info.known else "has no exact tokenizer offline"
        print(
            f"note: approximate count: {model_id!r} {why}; "
            f"estimated as {tokenizer.encoding_name} x {tokenizer.factor:g}",
            file=err,
        )
    return 0
