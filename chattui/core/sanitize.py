"""Neutralise terminal control sequences in untrusted text.

Model output, conversation titles, error bodies and files read from disk may carry escape
sequences that a terminal would act on: clearing the screen, setting the window title, writing
the clipboard (OSC 52), faking hyperlinks (OSC 8) or asking for cursor reports. Textual passes
such bytes in widget text straight through, so everything untrusted goes through
:func:`sanitize` before anything displays it.

Printable text (including CJK, emoji and combining marks), newlines and tabs are kept.
"""

from __future__ import annotations

import re

__all__ = ["clean_surrogates", "sanitize", "sanitize_line", "show_controls"]

# A complete escape sequence: CSI (ESC [ ... final), OSC / DCS / SOS / PM / APC strings
# (terminated by BEL or ST), or a two-byte ESC sequence. The 8-bit C1 forms are covered too.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?          # CSI ... final byte
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])      # OSC, DCS, SOS, PM, APC ...
    [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?        # ... up to BEL or ST (or the end)
  | \x1b[ -/]*[0-~]?                             # other ESC sequences (ESC 7, ESC ( B ...)
    """,
    re.VERBOSE,
)

# What is left after sequences are gone: C0 controls except TAB / LF, DEL, C1 controls,
# and the Unicode bidi overrides / isolates that can reorder what the user sees.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufff9-\ufffb]"
)

_SURROGATE = re.compile("[\ud800-\udfff]")

# One character at a time, for text that must be kept as it is but shown safely.
_UNSAFE_CHAR = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufff9-\ufffb\ud800-\udfff]"
)


def clean_surrogates(text: str) -> str:
    """Replace lone surrogates (which cannot be encoded as UTF-8) with U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def sanitize(text: str) -> str:
    """Return ``text`` with terminal control sequences and control characters removed.

    Args:
        text: Untrusted text, possibly multi-line.

    Returns:
        The same text with escape sequences, C0/C1 controls (except newline and tab), NUL,
        bidi overrides and lone surrogates removed or replaced. A carriage return followed by
        a newline becomes a newline; a lone carriage return is dropped.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _CONTROL.sub("", text)
    return clean_surrogates(text)


def sanitize_line(text: str, limit: int = 0) -> str:
    """Sanitize ``text`` and fold it to one line (for titles and status text).

    Args:
        text: Untrusted text.
        limit: If positive, truncate to this many characters, ending with an ellipsis.
    """
    line = " ".join(sanitize(text).split())
    if limit > 0 and len(line) > limit:
        line = line[: max(limit - 1, 0)].rstrip() + "…"
    return line


def _control_picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400 CONTROL PICTURES: ␀ ... ␛ ...
    return "\u2421" if code == 0x7F else "\ufffd"


def show_controls(text: str) -> str:
    """Replace each control character with a visible stand-in, one character for one.

    For text the user is editing, which must be sent as typed but never reach the terminal
    raw: ESC becomes ``␛``, NUL ``␀``, DEL ``␡``; C1 controls, bidi overrides and lone
    surrogates become U+FFFD. Tabs and newlines are kept. The length does not change, so
    offsets into the original (cursor, selection) still apply.
    """
    return _UNSAFE_CHAR.sub(_control_picture, text)
