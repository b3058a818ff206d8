"""Request handling: routing, the API key check, the models endpoint and chat completions
(non-streamed and SSE), each with the scripted reply's fault."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from tests.fakeserver.chunks import (
    chunk_body,
    completion_base,
    completion_body,
    usage_body,
)
from tests.fakeserver.errors import error_body, incorrect_key_body, missing_key_body
from tests.fakeserver.faults import (
    HTML_PAGE,
    INVALID_UTF8_MARK,
    MID_STREAM_FAULTS,
    damaged_completion,
    invalid_utf8_event,
    malformed_event,
)
from tests.fakeserver.models import model_list, model_object
from tests.fakeserver.replies import Reply, echo_text
from tests.fakeserver.requestlog import RecordedRequest
from tests.fakeserver.tokens import count_tokens, truncate_to_tokens
from tests.fakeserver.wire import Stop, Wire

__all__ = ["Handler"]


class Handler(Wire):
    """Answers one connection's requests as the owning `FakeOpenAI` scripts them."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        path = self.path.split("?", 1)[0]
        record = RecordedRequest(
            method=self.command,
            path=path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            json=parsed,
        )
        fake._record(record)
        try:
            self._route(record, path)
            if record.outcome == "pending":
                record.outcome = "complete"
        except Stop as stop:
            record.outcome = str(stop)
            self.close_connection = True
        except Exception as exc:  # a bug in the fake server: report it to the client
            record.outcome = f"error: {exc!r}"
            self.close_connection = True
            with contextlib.suppress(Stop):
                self._send_json(500, error_body(500, message=f"fake server bug: {exc!r}"))
        finally:
            record.finished.set()
            if fake.log is not None:
                model = parsed.get("model") if isinstance(parsed, dict) else None
                fake.log(
                    f"{record.method} {path} model={model} -> {record.status} {record.outcome}"
                )

    def _route(self, record: RecordedRequest, path: str) -> None:
        fake = self.server.fake
        if not path.startswith("/v1/"):
            path = "/v1" + path  # tolerate base URLs without /v1
        if fake.api_key is not None and not self._authorized(record):
            return
        if path == "/v1/models" and record.method == "GET":
            record.status = 200
            self._send_json(200, model_list(fake.models))
        elif path.startswith("/v1/models/") and record.method == "GET":
            model_id = path[len("/v1/models/") :]
            if model_id in fake.models:
                record.status = 200
                self._send_json(200, model_object(model_id))
            else:
                record.status = 404
                self._send_json(404, error_body(404, model=model_id))
        elif path == "/v1/chat/completions" and record.method == "POST":
            self._chat(record)
        else:
            record.status = 404
            msg = f"Invalid URL ({record.method} {record.path})"
            body = error_body(404, message=msg)
            body["error"]["code"] = None
            self._send_json(404, body)

    def _authorized(self, record: RecordedRequest) -> bool:
        fake = self.server.fake
        auth = record.headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if key == fake.api_key:
            return True
        record.status = 401
        self._send_json(401, incorrect_key_body(key) if key else missing_key_body())
        return False

    def _chat(self, record: RecordedRequest) -> None:
        fake = self.server.fake
        req = record.json
        if not isinstance(req, dict) or not isinstance(req.get("messages"), list):
            record.status = 400
            msg = "We could not parse the JSON body of your request."
            self._send_json(400, error_body(400, message=msg))
            return
        model = str(req.get("model") or "")
        if fake.strict_models and model not in fake.models:
            record.status = 404
            self._send_json(404, error_body(404, model=model))
            return
        reply = fake._next_reply(record)
        fake._sleep(reply.headers_delay)
        if reply.fault == "hang":
            fake._hang(self.connection)
        if reply.status != 200:
            self._error_reply(record, reply, model)
            return
        if reply.fault == "html":
            record.status = 200
            self._send_body(200, HTML_PAGE, "text/html; charset=utf-8", reply.headers)
            return

        text = reply.text if reply.text is not None else echo_text(record)
        finish_reason = reply.finish_reason
        limit = req.get("max_completion_tokens", req.get("max_tokens"))
        if isinstance(limit, int) and reply.chunks is None and count_tokens(text) > limit:
            text = truncate_to_tokens(text, limit)
            finish_reason = "length"
        deltas = reply.split(text)
        full_text = "".join(deltas)
        base = completion_base(reply.model or model)

        def usage() -> dict[str, int]:
            return usage_body(record.messages, full_text)

        if req.get("stream"):
            opts = req.get("stream_options")
            wants_usage = isinstance(opts, dict) and bool(opts.get("include_usage"))
            send_usage = wants_usage if reply.usage is None else reply.usage
            with self._held_back(reply.burst):
                self._stream(record, reply, base, deltas, finish_reason, send_usage, usage)
        else:
            self._complete(record, reply, base, full_text, finish_reason, usage)

    def _error_reply(self, record: RecordedRequest, reply: Reply, model: str) -> None:
        record.status = reply.status
        body = reply.error_body
        if body is None:
            body = error_body(reply.status, code=reply.error_code, model=model or "gpt-4o-mini")
        if isinstance(body, dict):
            self._send_json(reply.status, body, reply.headers)
        else:
            data = body.encode() if isinstance(body, str) else body
            self._send_body(reply.status, data, "text/plain; charset=utf-8", reply.headers)

    def _complete(
        self,
        record: RecordedRequest,
        reply: Reply,
        base: dict[str, Any],
        text: str,
        finish_reason: str,
        usage: Callable[[], dict[str, int]],
    ) -> None:
        record.status = 200
        data = completion_body(
            base,
            text,
            None if reply.fault == "no_finish" else finish_reason,
            usage() if reply.usage is not False else None,
        )
        body = json.dumps(data, ensure_ascii=False).encode()
        fake = self.server.fake
        fake._sleep(reply.delay)
        body = damaged_completion(body, reply.fault)
        if reply.fault == "error_event":
            self._send_json(200, error_body(500))
            return
        if reply.fault == "cut":
            self._start(
                200, "application/json", reply.headers, **{"Content-Length": str(len(body))}
            )
            self._write(body[: len(body) // 2])
            self._abort()
        if reply.fault == "hang_after_first":
            self._start(
                200, "application/json", reply.headers, **{"Content-Length": str(len(body))}
            )
            self._write(body[: len(body) // 2])
            fake._hang(self.connection)
            self._write(body[len(body) // 2 :])
            return
        self._send_body(200, body, "application/json", reply.headers)

    def _stream(
        self,
        record: RecordedRequest,
        reply: Reply,
        base: dict[str, Any],
        deltas: list[str],
        finish_reason: str,
        send_usage: bool,
        usage: Callable[[], dict[str, int]],
    ) -> None:
        fake = self.server.fake
        record.status = 200
        self._start(
            200,
            "text/event-stream; charset=utf-8",
            reply.headers,
            **{"Transfer-Encoding": "chunked", "Cache-Control": "no-cache"},
        )

        def chunk(delta: dict[str, Any], reason: str | None) -> dict[str, Any]:
            return chunk_body(base, delta, reason, send_usage)

        self._event(chunk({"role": "assistant", "content": ""}, None))
        fault = reply.fault
        strike_at = min(reply.fault_after, len(deltas))
        for i in range(len(deltas) + 1):
            if i == strike_at and fault in MID_STREAM_FAULTS:
                if fault == "cut":
                    self._abort()
                elif fault == "malformed":
                    self._chunk(malformed_event(base["id"]))
                elif fault == "error_event":
                    self._event(error_body(500))
                    self._chunk(b"")  # end of body, without finish_reason or [DONE]
                    return
                else:
                    self._chunk(invalid_utf8_event(chunk({"content": INVALID_UTF8_MARK}, None)))
            if i == len(deltas):
                break
            fake._sleep(reply.delay)
            self._event(chunk({"content": deltas[i]}, None))
            if i == 0 and fault == "hang_after_first":
                fake._hang(self.connection)
        if not deltas and fault == "hang_after_first":
            fake._hang(self.connection)
        if fault != "no_finish":
            self._event(chunk({}, finish_reason))
        if send_usage:
            final = chunk({}, None)
            final["choices"] = []
            final["usage"] = usage()
            self._event(final)
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")
