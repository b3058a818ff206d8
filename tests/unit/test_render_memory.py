"""Issue 11 (RSS): the chat pane's stored lines keep no derived strips, and rendered Markdown
blocks keep no tokens; both give the same output as before."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from benchmarks.sample_reply import sample_reply
from chattui.core.markdown_blocks import BlockStream, parse_blocks
from chattui.core.models import Message, MessageStatus, Role
from chattui.ui.render.entries import AssistantEntry, RenderContext
from chattui.ui.render.markdown import BlockRenderer
from chattui.ui.render.palette import Palette
from chattui.ui.render.strips import _CACHES, LeanStrip


def _segments() -> list[Segment]:
    return [
        Segment("héllo ", Style(bold=True)),
        Segment("世界", Style(color="red")),
        Segment(" end  ", None),
    ]


def test_a_lean_strip_gives_what_a_strip_gives_and_keeps_nothing_derived() -> None:
    lean = LeanStrip(_segments(), 16)
    plain = Strip(_segments(), 16)
    assert isinstance(lean, Strip)
    assert lean.text == plain.text and lean.cell_length == plain.cell_length == 16
    style = Style(bgcolor="blue")
    for _ in range(2):  # the second time would be a cache hit on a plain strip
        assert lean.crop(2, 9) == plain.crop(2, 9)
        assert lean.crop_extend(0, 20, None) == plain.crop_extend(0, 20, None)
        assert lean.apply_style(style) == plain.apply_style(style)
        assert lean.divide([3, 8, 16]) == plain.divide([3, 8, 16])
        assert lean.apply_offsets(0, 7) == plain.apply_offsets(0, 7)
        assert lean.extend_cell_length(20) == plain.extend_cell_length(20)
    assert plain._crop_cache.get((2, 9)) is not None  # what a plain strip keeps
    assert lean._crop_cache.get((2, 9)) is None
    assert lean._offsets_cache.get((0, 7)) is None
    assert not hasattr(lean, "__dict__")


def test_lean_strip_knows_every_field_of_strip() -> None:
    """A Textual upgrade that adds a field or a cache to Strip must fail here, not at runtime."""
    lean = LeanStrip(_segments(), 16)
    for name in Strip.__slots__:
        getattr(lean, name)  # set by __init__, or a cache made on demand
    assert set(Strip.__slots__) == set(_CACHES) | {
        "_segments",
        "_cell_length",
        "_render_cache",
        "_link_ids",
        "_cell_count",
    }


def test_rendered_lines_are_lean() -> None:
    renderer = BlockRenderer(Palette())
    lines = renderer.render_all(parse_blocks("# Title\n\nSome *text*.\n\n```py\nx = 1\n```\n"), 40)
    assert lines and all(isinstance(line, LeanStrip) for line in lines if line.text.strip())


def test_a_released_block_parses_again_to_the_same_tokens() -> None:
    text = "A [link][ref] and `code`.\n\n- one\n- two\n\n[ref]: https://example.com/a\n"
    document = BlockStream(text, closed=True)
    paragraph = document.frozen[0]
    before = [(token.type, token.content, token.attrs) for token in paragraph.tokens]
    renderer = BlockRenderer(Palette())
    lines_before = [line.text for line in renderer.render(paragraph, 50)]
    paragraph.release()
    assert paragraph._tokens is None
    assert paragraph.kind == "paragraph_open"
    again = paragraph.tokens
    children = [child.type for token in again for child in (token.children or [])]
    assert "link_open" in children  # the reference defined in a later block still resolves
    assert [(token.type, token.content, token.attrs) for token in again] == before
    assert paragraph._tokens is None  # parsed for the caller, not kept
    fresh = BlockRenderer(Palette())
    assert [line.text for line in fresh.render(paragraph, 50)] == lines_before


def test_a_code_block_keeps_its_token() -> None:
    (block,) = parse_blocks("```python\nprint(1)\n```\n")
    block.release()
    assert block._tokens is not None
    assert block.kind == "fence" and block.tokens[0].info == "python"


def test_a_finished_reply_keeps_no_tokens_and_renders_the_same_at_another_width() -> None:
    text = sample_reply(1500)
    message = Message(role=Role.ASSISTANT, content=text, status=MessageStatus.COMPLETE)
    entry = AssistantEntry(message)
    renderer = BlockRenderer(Palette())
    entry.render(RenderContext(renderer, 80))
    frozen = entry.document.frozen
    assert len(frozen) > 10
    assert all(block._tokens is None for block in frozen if block.kind not in ("fence",))
    codes = entry.code_blocks()
    assert codes and all(code for _language, code in codes)
    entry.render(RenderContext(renderer, 61))  # not cached at this width: parsed again
    fresh = AssistantEntry(message)
    fresh.render(RenderContext(BlockRenderer(Palette()), 61))
    assert [line.text for line in entry.lines] == [line.text for line in fresh.lines]
    assert entry.code_spans == fresh.code_spans


def test_the_pieces_of_a_long_streamed_code_block_go_once_it_is_final() -> None:
    message = Message(role=Role.ASSISTANT, content="", status=MessageStatus.STREAMING)
    entry = AssistantEntry(message, live=True)
    context = RenderContext(BlockRenderer(Palette()), 70)
    entry.append("Intro.\n\n```python\n")
    for number in range(200):
        entry.append(f"x_{number} = {number}\n")
        if number % 20 == 0:
            entry.update_stream(context)
    entry.update_stream(context)
    assert entry._fence.lines  # finished pieces, kept while the fence is open
    entry.append("```\n\nAfter the code.\n\nMore.\n")
    entry.update_stream(context)
    assert not entry._fence.lines
    texts = [line.text for line in entry.lines]
    assert any("x_199 = 199" in text for text in texts)
    assert any("After the code." in text for text in texts)
