"""OpenAI-style error bodies and the status lines the fake server sends."""

from __future__ import annotations

from typing import Any

__all__ = ["REASONS", "error_body", "incorrect_key_body", "mask_key", "missing_key_body"]

_RATE_LIMIT_MESSAGE = (
    "Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
    "Limit 3, Used 3, Requested 1. Please try again in 20s."
)

# status -> (message, type, code)
_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request: the body could not be processed.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: (
        "Country, region, or territory not supported",
        "request_forbidden",
        "unsupported_country_region_territory",
    ),
    404: (
        "The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    429: (_RATE_LIMIT_MESSAGE, "requests", "rate_limit_exceeded"),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}

_QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, read the docs: "
    "https://platform.openai.com/docs/guides/error-codes/api-errors."
)

REASONS: dict[int, str] = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
"""The reason phrase of each status line."""


def error_body(
    status: int, *, code: str | None = None, message: str | None = None, model: str = "gpt-4o-mini"
) -> dict[str, Any]:
    """The OpenAI error JSON for `status`; `code="insufficient_quota"` for the quota 429."""
    default_message, err_type, default_code = _ERRORS.get(
        status, (f"Request failed with status {status}.", "server_error", None)
    )
    if code == "insufficient_quota":
        default_message, err_type = _QUOTA_MESSAGE, "insufficient_quota"
    return {
        "error": {
            "message": message if message is not None else default_message.format(model=model),
            "type": err_type,
            "param": None,
            "code": code if code is not None else default_code,
        }
    }


def mask_key(key: str) -> str:
    """The key as OpenAI echoes a wrong one: first 3 and last 4 characters."""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


def missing_key_body() -> dict[str, Any]:
    """The 401 body for a request without a Bearer key."""
    message = (
        "You didn't provide an API key. You need to provide your API key in an "
        "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
        "or as the password field (with blank username) if you're accessing the API "
        "from your browser and are prompted for a username and password. You can "
        "obtain an API key from https://platform.openai.com/account/api-keys."
    )
    body = error_body(401, message=message)
    body["error"]["code"] = None
    return body


def incorrect_key_body(key: str) -> dict[str, Any]:
    """The 401 body for a wrong key (masked in the message)."""
    message = (
        f"Incorrect API key provided: {mask_key(key)}. You can find your API key at "
        "https://platform.openai.com/account/api-keys."
    )
    return error_body(401, message=message)
