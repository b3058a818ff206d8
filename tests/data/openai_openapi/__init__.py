"""OpenAI's `CreateChatCompletionRequest` schema, cut from the official OpenAPI document.

`chat_request_schema.json` beside this file holds that schema and every component it
references (transitively), verbatim, under the same `#/components/schemas/...` paths, so the
request-hygiene tests validate against it on any clone. `extract.py` made it; its docstring
names the source. LICENSE: OpenAI's MIT licence for the document.
"""

from __future__ import annotations

from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("chat_request_schema.json")
"""The extracted schema document (JSON, a few tens of KB)."""
