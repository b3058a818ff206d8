"""Cut the chat completion request schema out of OpenAI's OpenAPI document.

Source: the `openapi.json` of the openai/openai-openapi repository, commit
f85dbe223d40e1a31cba812ab2d755c7e98a92a3 (2026-08-21, info.version 2.3.0, MIT licence, md5
6feb6b3eadecabdd8cd28635bac3b96e), as kept in ../shared/openai-openapi/ beside the repo.

Keeps `#/components/schemas/CreateChatCompletionRequest` and every schema it references,
directly or not, unchanged and under the same paths, plus `openapi` and `info`. Regenerate
(from the repo root) with::

    python -m tests.data.openai_openapi.extract ../shared/openai-openapi/openapi.json

which rewrites `chat_request_schema.json`; `tests/security/test_request_schema.py` checks that
it still matches the document when ../shared is there.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tests.data.openai_openapi import SCHEMA_FILE

ROOT = "CreateChatCompletionRequest"
"""The schema the tests validate request bodies against."""
_PREFIX = "#/components/schemas/"


def _refs(node: Any) -> Iterator[str]:
    """Every `$ref` string inside `node`, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def extract(spec: dict[str, Any], root: str = ROOT) -> dict[str, Any]:
    """The part of `spec` that `#/components/schemas/{root}` needs, as a document of its own."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    kept: dict[str, Any] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        kept[name] = schemas[name]
        for ref in _refs(schemas[name]):
            if not ref.startswith(_PREFIX):
                raise ValueError(f"{name} refers outside the schemas: {ref}")
            todo.append(ref.removeprefix(_PREFIX))
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "components": {"schemas": dict(sorted(kept.items()))},
    }


def dump(document: dict[str, Any]) -> str:
    """The file's text: one key per line, so a refresh gives a readable diff."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: python -m tests.data.openai_openapi.extract OPENAPI_JSON", file=sys.stderr)
        return 2
    spec: dict[str, Any] = json.loads(Path(args[0]).read_text("utf-8"))
    document = extract(spec)
    SCHEMA_FILE.write_text(dump(document), "utf-8")
    print(f"{SCHEMA_FILE}: {len(document['components']['schemas'])} schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main())
