"""The colours of the chat pane, taken from the Textual theme through component classes.

:data:`CHAT_LOG_CSS` gives every part of the pane a component class styled with theme variables
only (no hex colours), so a theme or a user stylesheet can restyle it. :func:`build_palette`
reads them back as Rich styles, plus the Rich Markdown theme that maps ``markdown.*`` styles onto
them. Code is highlighted with the theme's own Pygments style (``code_theme`` in its file), or
one for dark themes and one for light.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.style import Style
from textual.color import Color

if TYPE_CHECKING:
    from textual.theme import Theme

__all__ = [
    "CODE_THEME_DARK",
    "CODE_THEME_LIGHT",
    "CODE_THEME_VARIABLE",
    "COMPONENT_CLASSES",
    "Palette",
    "build_palette",
    "code_theme_of",
    "contrast_ratio",
    "painted_style",
    "readable_color",
    "readable_on",
]

CODE_THEME_DARK = "monokai"
"""Pygments theme of code blocks under a dark Textual theme."""
CODE_THEME_LIGHT = "friendly"
"""Pygments theme of code blocks under a light Textual theme."""
CODE_THEME_VARIABLE = "chattui-code-theme"
"""The Textual theme variable holding the theme's code highlighting style."""


def painted_style(own: Style, painted: Style) -> Style:
    """A component's own (partial) style with its colours as Textual paints them.

    A partial component style drops what a colour means in context: ``auto`` (``$text``,
    ``$text-muted``) comes out white whatever the background, and an alpha (``$accent 35%``)
    is ignored. ``painted`` (the full style) has them resolved over the widget's background;
    its colours are taken where the component sets one.
    """
    return own + Style(
        color=painted.color if own.color is not None else None,
        bgcolor=painted.bgcolor if own.bgcolor is not None else None,
    )


def readable_on(background: Color) -> Color:
    """Text colour for ``background``: white or black, whichever contrasts more (``auto``)."""
    return background + background.get_contrast_text(1.0)


TEXT_CONTRAST = 4.5
"""WCAG AA contrast for text; code colours are lifted to it (:func:`readable_color`)."""


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def contrast_ratio(a: Color, b: Color) -> float:
    """WCAG 2 contrast ratio of two opaque colours, 1 to 21."""

    def luminance(color: Color) -> float:
        return 0.2126 * _linear(color.r) + 0.7152 * _linear(color.g) + 0.0722 * _linear(color.b)

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_color(color: Color, background: Color, minimum: float = TEXT_CONTRAST) -> Color:
    """``color``, moved towards white (on a dark background) or black (on a light one) just
    enough to reach ``minimum`` contrast; unchanged if it already does."""
    if contrast_ratio(color, background) >= minimum:
        return color
    target = background.get_contrast_text(1.0)
    for step in range(1, 21):
        lifted = color.blend(target, step / 20)
        if contrast_ratio(lifted, background) >= minimum:
            return lifted
    return target


def code_theme_of(theme: Theme) -> str:
    """The theme's code highlighting style ("" when it names none)."""
    return theme.variables.get(CODE_THEME_VARIABLE, "")


COMPONENT_CLASSES: frozenset[str] = frozenset(
    {
        "chat-log--user-label",
        "chat-log--assistant-label",
        "chat-log--user-body",
        "chat-log--meta",
        "chat-log--warning",
        "chat-log--error",
        "chat-log--heading",
        "chat-log--code",
        "chat-log--code-block",
        "chat-log--link",
        "chat-log--quote",
        "chat-log--bullet",
        "chat-log--rule",
        "chat-log--cursor",
    }
)

CHAT_LOG_CSS = """
ChatLog {
    background: $background;
    padding: 0 1;
    overflow-x: hidden;
    overflow-y: auto;
    scrollbar-gutter: stable;
}
ChatLog > .chat-log--user-label { color: $text-primary; text-style: bold; }
ChatLog > .chat-log--assistant-label { color: $text-accent; text-style: bold; }
ChatLog > .chat-log--user-body { background: $primary-muted; color: $foreground; }
ChatLog > .chat-log--meta { color: $text-muted; }
ChatLog > .chat-log--warning { color: $text-warning; }
ChatLog > .chat-log--error { color: $text-error; }
ChatLog > .chat-log--heading { color: $text-primary; text-style: bold; }
ChatLog > .chat-log--code { color: $text-accent; background: $surface; }
ChatLog > .chat-log--code-block { background: $surface; }
ChatLog > .chat-log--link { color: $text-primary; text-style: underline; }
ChatLog > .chat-log--quote { color: $text-muted; }
ChatLog > .chat-log--bullet { color: $text-accent; }
ChatLog > .chat-log--rule { color: $text-muted; }
ChatLog > .chat-log--cursor { background: $accent 30%; color: auto 100%; text-style: bold; }
ChatLog:focus > .chat-log--cursor { background: $accent 50%; }
"""
"""The ``DEFAULT_CSS`` of ``ChatLog``: the pane itself and its component classes."""


@dataclass(frozen=True)
class Palette:
    """Rich styles for every part of the chat pane (compare with ``==`` to detect changes)."""

    user_label: Style = field(default_factory=lambda: Style(bold=True))
    assistant_label: Style = field(default_factory=lambda: Style(bold=True))
    user_body: Style = field(default_factory=Style)
    meta: Style = field(default_factory=lambda: Style(dim=True))
    warning: Style = field(default_factory=Style)
    error: Style = field(default_factory=Style)
    markdown: Mapping[str, Style] = field(default_factory=dict)
    """``markdown.*`` style name -> style, for the Rich console theme."""
    code_theme: str = CODE_THEME_DARK
    code_background: str | None = None
    """Background of fenced code (a colour Rich parses), or the code theme's own."""


def build_palette(style_of: Callable[[str], Style], *, dark: bool, code_theme: str = "") -> Palette:
    """Build the palette from component styles.

    Args:
        style_of: Returns the (partial) Rich style of a component class name.
        dark: Whether the Textual theme is dark (chooses the code theme when it names none).
        code_theme: The theme's own code highlighting style (Pygments), if any.
    """
    heading = style_of("chat-log--heading")
    code = style_of("chat-log--code")
    link = style_of("chat-log--link")
    quote = style_of("chat-log--quote")
    bullet = style_of("chat-log--bullet")
    rule = style_of("chat-log--rule")
    block_bg = style_of("chat-log--code-block").bgcolor
    markdown = {
        "markdown.paragraph": Style(),
        "markdown.text": Style(),
        "markdown.code": code,
        "markdown.code_block": code,
        "markdown.block_quote": quote,
        "markdown.list": bullet,
        "markdown.item": Style(),
        "markdown.item.bullet": bullet,
        "markdown.item.number": bullet,
        "markdown.hr": rule,
        "markdown.h1.border": rule,
        "markdown.h1": heading + Style(underline=True),
        "markdown.h2": heading,
        "markdown.h3": heading,
        "markdown.h4": heading + Style(bold=False, italic=True),
        "markdown.h5": Style(italic=True),
        "markdown.h6": Style(italic=True, dim=True),
        "markdown.link": link,
        "markdown.link_url": link,
        "markdown.table.border": rule,
        "markdown.table.header": heading,
    }
    return Palette(
        user_label=style_of("chat-log--user-label"),
        assistant_label=style_of("chat-log--assistant-label"),
        user_body=style_of("chat-log--user-body"),
        meta=style_of("chat-log--meta"),
        warning=style_of("chat-log--warning"),
        error=style_of("chat-log--error"),
        markdown=markdown,
        code_theme=code_theme or (CODE_THEME_DARK if dark else CODE_THEME_LIGHT),
        code_background=None if block_bg is None else block_bg.get_truecolor().hex,
    )
