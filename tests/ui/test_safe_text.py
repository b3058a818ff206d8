"""Text fields keep control characters in their value but never draw them raw."""

from __future__ import annotations

from textual.app import App, ComposeResult

from chattui.ui.widgets.safe_text import SafeInput, SafeTextArea

HOSTILE = "a\x1b]52;c;aGk=\x07b\x9bc\u202e"


class Fields(App[None]):
    def compose(self) -> ComposeResult:
        yield SafeInput(HOSTILE, id="input")
        yield SafeTextArea(HOSTILE, id="area")


async def test_fields_keep_the_value_and_draw_stand_ins() -> None:
    app = Fields()
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        field = app.query_one(SafeInput)
        area = app.query_one(SafeTextArea)
        assert field.value == HOSTILE and area.text == HOSTILE
        drawn = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "\x1b" not in drawn and "\x9b" not in drawn and "\u202e" not in drawn
        assert "␛" in drawn
