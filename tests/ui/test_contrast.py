"""Every bundled theme keeps its text readable: WCAG AA contrast for all the text on screen.

The real app is driven through the states that paint each themed style (a reply with a model
name, code, quotes, links, a table and rules; an error; the message cursor; a mouse selection;
find-in-conversation matches; the sidebar's current row; the status line; the footer; the prompt
with text and with its placeholder), and every cell of text is checked as Textual paints it:
theme variables resolved through the theme's colour system, semi-transparent colours blended
over what is under them, ``dim`` applied. So a style that reads a variable wrongly (an ``auto``
colour read without its background, an alpha dropped) fails here, not only a bad theme colour.

Required (WCAG 2.x relative luminance): 4.5:1 for text; 3:1 for decoration and hints:
box-drawing and block characters (pane borders, rules, table borders, the scrollbar, bullets
and markers) and the dimmed hints (the prompt's and the filter's placeholders, the sidebar's
age line). The ``terminal`` theme is left out: its colours are the terminal's own ANSI palette,
unknown here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.segment import Segment
from textual import events
from textual.pilot import Pilot
from textual.scrollbar import ScrollBar

from chattui.core.themes import bundled_themes_dir, load_themes
from chattui.i18n import _
from chattui.ui.app import ChatApp
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    chat_app,
    chat_log,
    main_screen,
    press_binding,
    prompt,
    send,
    settle,
    sidebar,
    type_prompt,
    wait_for,
)

TEXT = 4.5
"""WCAG AA for normal text."""
DECORATION = 3.0
"""WCAG AA for large text and graphical objects: borders, rules, markers; dimmed hints."""

REPLY = """\
# A heading

Some text with `inline code`, a [link](https://example.com) and **bold**.

> A quoted line.

- a bullet

```python
def f(x: int) -> str:  # a comment
    return "text" + str(x)
```

| a | b |
|---|---|
| 1 | 2 |

---

The end.
"""


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: RichColor) -> float:
    """WCAG relative luminance of an (opaque, already blended) colour."""
    r, g, b = color.get_truecolor()
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: RichColor, b: RichColor) -> float:
    """WCAG contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


_DECORATIVE = {chr(c) for c in range(0x2500, 0x25A0)} | set("•◀▶·…─━")


@dataclass(frozen=True)
class Finding:
    """One run of text as painted, and what it needs."""

    ratio: float
    required: float
    where: str
    text: str
    colors: str

    def __str__(self) -> str:
        return f"{self.ratio:5.2f} < {self.required} {self.where}: {self.text!r} ({self.colors})"


def _hints(app: ChatApp) -> list[str]:
    """The dimmed hints on screen: the placeholders and the sidebar's age line."""
    hints = [str(prompt(app).placeholder), _("Filter (Alt+F)"), _("just now")]
    hints.append(str(main_screen(app).panes.find_bar.input.placeholder))
    return [hint for hint in hints if hint]


def scan(app: ChatApp, state: str) -> list[Finding]:
    """Every run of text on the screen with its contrast and the contrast it needs.

    A pane's chrome (its border and scrollbar, drawn outside its content region) is left out:
    it is not text, and the panes are told apart by their backgrounds too."""
    screen = app.screen
    hints = _hints(app)
    findings: list[Finding] = []
    for y, strip in enumerate(screen._compositor.render_strips()):
        x = 0
        for segment in strip:
            widget, _region = screen.get_widget_at(x, y)
            x += segment.cell_length
            chrome = not widget.content_region.contains(x - segment.cell_length, y)
            if chrome or isinstance(widget, ScrollBar):
                continue
            finding = _check(segment, f"{state}: {type(widget).__name__}", hints)
            if finding is not None:
                findings.append(finding)
    return findings


def _check(segment: Segment, where: str, hints: list[str]) -> Finding | None:
    text = segment.text.strip()
    style = segment.style
    if not text or style is None or style.color is None or style.bgcolor is None:
        return None
    fg, bg = (style.bgcolor, style.color) if style.reverse else (style.color, style.bgcolor)
    decorative = all(c in _DECORATIVE or c.isspace() for c in text)
    hint = bool(style.dim) or any(text in h for h in hints)
    required = DECORATION if decorative or hint else TEXT
    colors = f"{fg.get_truecolor().hex} on {bg.get_truecolor().hex}"
    return Finding(contrast(fg, bg), required, where, text[:40], colors)


def bundled_theme_names() -> list[str]:
    specs, _failures = load_themes([bundled_themes_dir()])
    return sorted(spec.name for spec in specs if not spec.ansi)


async def _states(pilot: Pilot[None], fake_server: FakeOpenAI) -> list[Finding]:
    """Drive the app through the states that paint every themed style; scan each."""
    app = chat_app(pilot)
    found: list[Finding] = []
    fake_server.queue(Reply(text=REPLY), Reply(status=500))
    await send(pilot, "question")
    await send(pilot, "again")  # an error reply: the error text and its hint
    found += scan(app, "reply")
    await type_prompt(pilot, "typed text")
    found += scan(app, "prompt text")
    log = chat_log(app)
    await press_binding(pilot, "focus_log")
    await wait_for(pilot, lambda: log.has_focus and log.cursor is not None)
    await press_binding(pilot, "cursor_up")
    await pilot.pause()
    found += scan(app, "cursor")
    y = log.region.y + 1
    x = log.content_region.x
    for event in (
        events.MouseDown(None, x, y, 0, 0, 1, False, False, False, x, y),
        events.MouseMove(None, x + 30, y + 3, 30, 3, 1, False, False, False, x + 30, y + 3),
        events.MouseUp(None, x + 30, y + 3, 0, 0, 1, False, False, False, x + 30, y + 3),
    ):
        app.post_message(event)
        await pilot.pause()
    found += scan(app, "selection")
    await pilot.press("f4")
    bar = main_screen(app).panes.find_bar
    await wait_for(pilot, lambda: bar.is_open)
    app.post_message(events.Paste("text"))
    await wait_for(pilot, lambda: bar.text == "text")
    await settle(pilot)
    found += scan(app, "find")
    sidebar(app).focus()
    await wait_for(pilot, lambda: sidebar(app).has_focus)
    found += scan(app, "sidebar focused")
    return found


@pytest.mark.parametrize("theme", bundled_theme_names())
async def test_every_text_style_meets_wcag_aa(
    theme: str, make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    app = make_app(env={"CHATTUI_THEME": theme})
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == theme
        found = await _states(pilot, fake_server)
    failing = sorted({f for f in found if f.ratio < f.required}, key=lambda f: f.ratio)
    failing = list({(f.where, f.text, f.colors): f for f in reversed(failing)}.values())[::-1]
    assert not failing, f"{theme}:\n" + "\n".join(map(str, failing[:25]))


def test_the_contrast_formula() -> None:
    """Known WCAG values: black on white is 21:1, a colour on itself 1:1, #767676 on white
    the classic 4.54:1."""
    white, black = RichColor.parse("#ffffff"), RichColor.parse("#000000")
    assert contrast(black, white) == pytest.approx(21)
    assert contrast(white, white) == pytest.approx(1)
    assert contrast(RichColor.parse("#767676"), white) == pytest.approx(4.54, abs=0.01)
