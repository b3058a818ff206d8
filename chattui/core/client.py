"""The OpenAI-compatible HTTP client: the only module that imports ``openai`` (and ``httpx2``).

Every client is made by :func:`endpoint_client` (the session's, the one-shot ``ask``'s, the
settings screen's connection test), so each gets the same key, URL, proxy and timeout handling.
It streams a chat completion as typed events and turns every failure into a
:class:`~chattui.core.events.ChatError` with a human message. No raw exception escapes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import AsyncGenerator, Mapping
from urllib.parse import unquote, urlsplit

import httpx2
import openai

from chattui.core.catalog import other_max_tokens_param
from chattui.core.config import mask_proxy
from chattui.core.events import (
    ChatError,
    ChatRequest,
    ErrorKind,
    Finished,
    StreamEvent,
    TextDelta,
)
from chattui.core.profiles import Endpoint
from chattui.core.sanitize import sanitize_line
from chattui.core.secrets import ApiKey
from chattui.core.sse import StreamState, chunk_events, sse_data

__all__ = ["ChatClient", "endpoint_client", "preload"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 15.0
DETAIL_LIMIT = 300


class ChatClient:
    """A streaming chat client for one endpoint, key and proxy.

    Args:
        api_key: The key (sent only in the Authorization header).
        base_url: API root, e.g. ``https://api.openai.com/v1``.
        proxy: ``http(s)://`` or ``socks5(h)://`` proxy URL, or empty for a direct connection.
        timeout: Seconds to wait for a connection and between chunks (not the SDK's 600 s).
        headers: Extra headers sent with every request (gateways).
        key_header: Send the key in this header instead of ``Authorization: Bearer``.

    With no key (a local server), no ``Authorization`` header is sent at all.
    """

    def __init__(
        self,
        api_key: ApiKey | None,
        base_url: str,
        proxy: str = "",
        timeout: float = 60.0,
        *,
        headers: Mapping[str, str] | None = None,
        key_header: str = "",
    ) -> None:
        self.base_url = base_url
        self.proxy = proxy
        self.timeout = timeout
        self._key = api_key
        extra = dict(headers or {})
        hooks = []
        if api_key is None or (key_header and key_header.lower() != "authorization"):
            # The SDK always adds a Bearer header; the request hook takes it out again.
            hooks.append(_drop_authorization)
            if api_key is not None:
                extra[key_header] = api_key.reveal()
        self._http = httpx2.AsyncClient(
            proxy=proxy or None,
            trust_env=False,
            timeout=httpx2.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            event_hooks={"request": hooks},
        )
        self._sdk = openai.AsyncOpenAI(
            api_key=api_key.reveal() if api_key is not None else "no-key",
            base_url=base_url,
            default_headers=extra or None,
            http_client=self._http,
            max_retries=0,
            timeout=httpx2.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
        )

    def __repr__(self) -> str:
        return f"ChatClient({self.base_url!r}, proxy={mask_proxy(self.proxy)!r}, key={self._key})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        with contextlib.suppress(Exception):
            await self._sdk.close()

    async def list_models(self) -> list[str]:
        """The model ids the endpoint offers, sorted.

        Raises:
            ChatError: any failure, with a human message.
        """
        started = time.monotonic()
        try:
            page = await self._sdk.models.list()
            log.info("models listed in %.3fs", time.monotonic() - started)
            return sorted(model.id for model in page.data)
        except Exception as error:
            mapped = self._map_error(error)
            log.warning("listing models failed: %s: %s", mapped.problem.code, mapped.message)
            raise mapped from None

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        """Send ``request`` and yield the reply as events.

        The last event is :class:`Finished` when the server said why it stopped. If the
        server rejects the max tokens parameter's name, the request is sent once more with
        the other name (``max_tokens`` <-> ``max_completion_tokens``).

        Raises:
            ChatError: any failure, including a stream that ends without a finish reason.
        """
        started = False
        clock = _Timing(request.model, self.base_url, self.proxy)
        for attempt in (1, 2):
            try:
                async for event in self._stream_once(request):
                    started = True
                    clock.event(event)
                    yield event
                clock.done()
                return
            except ChatError as error:
                if started or attempt == 2 or not _rejects_param(error, request):
                    clock.failed(error)
                    raise
                request = _with_other_param(request)

    async def _stream_once(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        body = request.body(stream=True)
        state = StreamState()
        opened = False
        try:
            async with self._sdk.chat.completions.with_streaming_response.create(
                **body
            ) as response:
                opened = True
                http = response.http_response
                content_type = http.headers.get("content-type", "")
                if "html" in content_type:
                    raise _not_a_stream(content_type)
                async for payload in sse_data(http.aiter_lines()):
                    for event in chunk_events(payload, state):
                        yield event
                    if state.done:
                        break
        except ChatError as error:
            raise self._map_error(error) from None
        except Exception as error:
            raise self._map_error(error, streaming=opened) from None
        if state.finish is None:
            if state.chunks == 0 and "event-stream" not in content_type:
                raise _not_a_stream(content_type)
            raise ChatError(ErrorKind.INCOMPLETE)
        yield Finished(state.finish)

    def _map_error(self, error: BaseException, streaming: bool = False) -> ChatError:
        return map_error(error, self.base_url, self.proxy, self._key, streaming)


_FIRST_REQUEST_MODULES = (
    "openai.resources.chat.chat",
    "openai.resources.chat.completions.completions",
    "openai.lib.streaming.chat",
    "openai.pagination",
    "anyio._backends._asyncio",
)
"""What the SDK and the HTTP stack import only when the first request is made (~50 modules)."""


def preload() -> None:
    """Import what the first request would otherwise wait for (the warm-up thread calls it:
    a first reply then costs what the later ones do)."""
    import importlib

    for name in _FIRST_REQUEST_MODULES:
        with contextlib.suppress(ImportError):  # another version of the SDK: imported when used
            importlib.import_module(name)


def endpoint_client(endpoint: Endpoint, key: ApiKey | None) -> ChatClient:
    """A client for ``endpoint``: its base URL, proxy, timeout, extra headers and key header.

    Args:
        endpoint: Where the requests go (a profile's or the top-level settings').
        key: The key to send, given explicitly (the endpoint's own, or one typed into the
            settings form and not saved yet); None sends no key (a local server).
    """
    return ChatClient(
        key,
        endpoint.base_url,
        endpoint.proxy,
        endpoint.timeout,
        headers=endpoint.headers,
        key_header=endpoint.key_header,
    )


async def _drop_authorization(request: httpx2.Request) -> None:
    request.headers.pop("Authorization", None)


class _Timing:
    """Logs a request's timings and outcome (the debug log; nothing when it is off)."""

    def __init__(self, model: str, base_url: str, proxy: str) -> None:
        self.start = time.monotonic()
        self.first: float | None = None
        self.deltas = 0
        via = f" via {mask_proxy(proxy)}" if proxy else ""
        log.info("request: model %s at %s%s", model, base_url, via)

    def event(self, event: StreamEvent) -> None:
        if isinstance(event, TextDelta):
            self.deltas += 1
            if self.first is None:
                self.first = time.monotonic() - self.start
        elif isinstance(event, Finished):
            log.info("finish reason: %s", event.reason)

    def done(self) -> None:
        first = f"{self.first:.3f}s" if self.first is not None else "-"
        log.info(
            "reply done in %.3fs (first text after %s, %d deltas)",
            time.monotonic() - self.start, first, self.deltas,
        )  # fmt: skip

    def failed(self, error: ChatError) -> None:
        log.warning(
            "request failed after %.3fs: %s: %s",
            time.monotonic() - self.start, error.problem.code, error.message,
        )  # fmt: skip


def _not_a_stream(content_type: str) -> ChatError:
    shown = sanitize_line(content_type, DETAIL_LIMIT) or "no content type"
    return ChatError(ErrorKind.BAD_RESPONSE, "not_stream", content_type=shown)


def _with_other_param(request: ChatRequest) -> ChatRequest:
    other = other_max_tokens_param(request.max_tokens_param)
    return dataclasses.replace(request, max_tokens_param=other)


def _rejects_param(error: ChatError, request: ChatRequest) -> bool:
    """Whether the server said it does not support the max tokens parameter we sent."""
    if error.kind is not ErrorKind.BAD_REQUEST or request.max_tokens is None:
        return False
    text = str(error.values.get("detail", "")).lower()
    return request.max_tokens_param in text and (
        "unsupported" in text
        or "not supported" in text
        or "unrecognized" in text
        or "unknown" in text
        or "extra" in text
        or "not permitted" in text
    )


def _server_detail(error: openai.APIStatusError) -> dict[str, str]:
    """The server's own explanation, sanitized and short, as problem values (the key is
    masked by map_error)."""
    body = error.body
    message: object = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
    if not message:
        text = error.response.text if error.response is not None else ""
        if "<html" in text[:500].lower() or "<!doctype" in text[:500].lower():
            return {"html": "yes"}
        message = text
    detail = sanitize_line(str(message), DETAIL_LIMIT)
    return {"detail": detail} if detail else {}


_STATUS_KINDS = {
    401: ErrorKind.AUTH,
    403: ErrorKind.FORBIDDEN,
    404: ErrorKind.NOT_FOUND,
}


def _status_error(error: openai.APIStatusError, proxy: str) -> ChatError:
    status = error.status_code
    detail = _server_detail(error)
    if status == 407:
        return ChatError(ErrorKind.PROXY, "auth", status=status, proxy=mask_proxy(proxy))
    if status in _STATUS_KINDS:
        return ChatError(_STATUS_KINDS[status], status=status, values=detail)
    if status == 429:
        said = detail.get("detail", "").lower()
        quota = "quota" in said or "billing" in said
        kind = ErrorKind.QUOTA if quota else ErrorKind.RATE_LIMIT
        return ChatError(kind, status=status, values=detail)
    if status >= 500:
        return ChatError(ErrorKind.SERVER, status=status, values=detail)
    return ChatError(ErrorKind.BAD_REQUEST, status=status, values=detail)


def map_error(
    error: BaseException, base_url: str, proxy: str, key: ApiKey | None, streaming: bool = False
) -> ChatError:
    """Turn any exception from the SDK or the HTTP stack into a :class:`ChatError`.

    The message never holds the key or the proxy password, whatever the server or the
    exception said (an error event in the stream may quote the key).
    """
    mapped = _map_error(error, base_url, proxy, streaming)
    mapped.values = {
        name: _redact(value, key, proxy) if isinstance(value, str) else value
        for name, value in mapped.values.items()
    }
    return mapped


def _redact(text: str, key: ApiKey | None, proxy: str) -> str:
    """``text`` with the key masked and the proxy URL's password replaced by ``***``."""
    secret = key.reveal() if key is not None else ""
    if secret and key is not None:
        text = text.replace(secret, key.masked)
    password = urlsplit(proxy).password if proxy else None
    if password:
        text = text.replace(proxy, mask_proxy(proxy))
        for form in {password, unquote(password)}:
            if len(form) >= 4:  # shorter ones would garble the text; too weak to matter
                text = text.replace(form, "***")
    return text


def _map_error(error: BaseException, base_url: str, proxy: str, streaming: bool) -> ChatError:
    host = urlsplit(base_url).netloc or base_url
    via = {"proxy": mask_proxy(proxy)} if proxy else {}
    if isinstance(error, ChatError):
        return error
    if isinstance(error, openai.APIStatusError):
        return _status_error(error, proxy)
    timeout_types = (openai.APITimeoutError, httpx2.TimeoutException)
    if isinstance(error, timeout_types) or isinstance(error.__cause__, timeout_types):
        variant = "streaming" if streaming else ""
        return ChatError(ErrorKind.TIMEOUT, variant, values=via, host=host)
    if isinstance(error, openai.APIConnectionError | httpx2.TransportError):
        cause = error.__cause__ or error.__context__ or error
        if streaming or isinstance(cause, httpx2.RemoteProtocolError | httpx2.ReadError):
            return ChatError(ErrorKind.STREAM_CUT)
        reason = sanitize_line(str(cause), DETAIL_LIMIT) or type(cause).__name__
        if proxy and _is_proxy_failure(cause):
            return ChatError(ErrorKind.PROXY, values=via, reason=reason)
        variant = "proxy" if proxy else ""
        return ChatError(ErrorKind.CONNECT, variant, values=via, host=host, reason=reason)
    if isinstance(error, openai.APIError):
        # An error event inside the stream, or a response the SDK could not use.
        detail = sanitize_line(str(getattr(error, "message", error)), DETAIL_LIMIT)
        return ChatError(ErrorKind.SERVER, "event", detail=detail)
    if isinstance(error, json.JSONDecodeError | UnicodeDecodeError | ValueError):
        return ChatError(ErrorKind.BAD_RESPONSE, "json")
    return ChatError(ErrorKind.BAD_RESPONSE, host=host, error=type(error).__name__)


def _is_proxy_failure(cause: BaseException) -> bool:
    text = f"{type(cause).__name__} {cause}".lower()
    if isinstance(cause, httpx2.ProxyError | httpx2.ConnectError):
        return True  # with a proxy set, every connection goes to the proxy first
    return any(word in text for word in ("proxy", "socks", "407", "connection refused"))
