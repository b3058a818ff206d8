"""Markdown block splitting (full and incremental), link neutralising, sanitizing, rendering."""

from __future__ import annotations

import random

import pytest
from rich.cells import cell_len

from benchmarks import sample_reply as sample
from chattui.core.markdown_blocks import BlockStream, is_web_link, parse_blocks
from chattui.ui.render.markdown import BlockRenderer, FenceProgress
from chattui.ui.render.palette import Palette
from chattui.ui.render.wraps import wrap_joints


def texts(text: str) -> list[str]:
    return [block.text for block in parse_blocks(text)]


def stream(text: str, cuts: list[int]) -> BlockStream:
    """Feed ``text`` cut at ``cuts``, flushing after each piece; check frozen blocks as we go."""
    full = texts(text)
    document = BlockStream()
    previous = 0
    for cut in [*cuts, len(text)]:
        document.append(text[previous:cut])
        previous = cut
        document.flush()
        frozen = [block.text for block in document.frozen]
        assert frozen == full[: len(frozen)], f"wrong freeze after {text[:cut]!r}"
    return document


def assert_incremental_equals_full(text: str, cuts: list[int]) -> None:
    document = stream(text, cuts)
    document.close()
    assert [block.text for block in document.frozen] == texts(text)
    assert document.text == text


# ------------------------------------------------------------------ full parse


def test_paragraphs_and_headings_split_and_concatenate() -> None:
    text = "# Title\nfirst para\nstill first\n\nsecond\n\n\n## Sub\n"
    assert texts(text) == ["# Title\n", "first para\nstill first\n\n", "second\n\n\n", "## Sub\n"]
    assert "".join(texts(text)) == text


def test_leading_blank_lines_belong_to_first_block() -> None:
    assert texts("\n\nhello\n") == ["\n\nhello\n"]
    assert texts("\n \n") == []


def test_fenced_code_keeps_blank_lines() -> None:
    text = "intro\n\n```python\ndef f():\n\n\n    return 1\n```\nafter\n"
    assert texts(text) == ["intro\n\n", "```python\ndef f():\n\n\n    return 1\n```\n", "after\n"]


def test_open_fence_runs_to_the_end() -> None:
    text = "intro\n\n```js\nlet a = 1;\n\n\n# not a heading\n"
    assert texts(text)[-1] == "```js\nlet a = 1;\n\n\n# not a heading\n"


def test_loose_and_nested_lists_are_one_block() -> None:
    text = "- a\n\n- b\n  - nested\n\n  more of b\n\n1. one\n2. two\n"
    assert texts(text) == ["- a\n\n- b\n  - nested\n\n  more of b\n\n", "1. one\n2. two\n"]


def test_table_is_one_block() -> None:
    text = "| a | b |\n|---|--:|\n| 1 | 2 |\n| 3 | 4 |\n\nafter\n"
    assert texts(text) == ["| a | b |\n|---|--:|\n| 1 | 2 |\n| 3 | 4 |\n\n", "after\n"]
    (table, _after) = parse_blocks(text)
    assert table.tokens[0].type == "table_open"


def test_quote_with_lazy_continuation() -> None:
    assert texts("> quoted\nlazy line\n\nnext\n") == ["> quoted\nlazy line\n\n", "next\n"]


def test_raw_html_is_text() -> None:
    (block,) = parse_blocks("Use Vec<T> and <div>x</div>\n")
    inline = block.tokens[1]
    assert [child.type for child in inline.children or []] == ["text"]


# ------------------------------------------------------------------ streaming


def test_open_fence_while_streaming() -> None:
    document = BlockStream()
    document.append("Here:\n\n```python\nx = 1\n\n\ny = 2\n")
    document.flush()
    assert [block.text for block in document.frozen] == ["Here:\n\n"]
    assert [block.text for block in document.open_blocks] == ["```python\nx = 1\n\n\ny = 2\n"]
    document.append("```\n\nDone.\n")
    document.flush()
    assert [block.text for block in document.frozen][-1] == "```python\nx = 1\n\n\ny = 2\n```\n\n"


def test_block_is_frozen_only_when_next_first_line_is_complete() -> None:
    document = BlockStream()
    document.append("1. a\n\n2")
    document.flush()
    assert not document.frozen  # "2" may still become "2. b" and join the list.
    document.append(". b\n")
    document.flush()
    assert not document.frozen
    assert [block.text for block in document.open_blocks] == ["1. a\n\n2. b\n"]


def test_append_is_buffered_until_flush() -> None:
    document = BlockStream()
    document.append("hello ")
    document.append("world\n\nnext\n")
    assert document.dirty and not document.open_blocks
    assert document.flush() == 1
    assert not document.dirty
    assert document.text == "hello world\n\nnext\n"


def test_close_then_append_reopens() -> None:
    document = BlockStream("para one\n\npara", closed=True)
    assert document.closed and len(document.frozen) == 2
    document.append(" two\n")
    document.close()
    assert [block.text for block in document.frozen] == ["para one\n\n", "para two\n"]


@pytest.mark.parametrize("seed", range(6))
def test_incremental_equals_full_for_random_splits(seed: int) -> None:
    rng = random.Random(seed)
    text = sample.sample_reply(600, seed=seed)
    cuts = sorted(rng.sample(range(1, len(text)), 200))
    assert_incremental_equals_full(text, cuts)


def test_incremental_equals_full_char_by_char() -> None:
    text = sample.sample_reply(150, seed=42)
    assert_incremental_equals_full(text, list(range(1, len(text))))


_PIECES = [
    *("1. a\n", "2. b\n", "\n", "- x\n", "  - y\n", "```py\n", "code\n", "```\n", "> q\n"),
    *("para\n", "| a | b |\n", "|---|---|\n", "| 1 | 2 |\n", "---\n", "===\n", "# h\n"),
    *("    indented\n", "* s\n", "+ p\n", "10) n\n", "text *em\n", "~~x~~\n", "  cont\n"),
    *("   \n", "2\n", "-\n", "1.\n", "> - ql\n", "~~~\n", "a|b\n", "-|-\n", "\t- tab\n"),
]


def test_incremental_equals_full_on_tricky_fragments() -> None:
    rng = random.Random(7)
    for _ in range(400):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(2, 9)))
        assert_incremental_equals_full(text, list(range(1, len(text))))


# ------------------------------------------------------------------ safety


def test_escapes_are_removed_even_when_split_across_flushes() -> None:
    document = BlockStream()
    for piece in ("red \x1b[3", "1mtext\x1b", "]52;c;ZXZpbA==\x07 and \x9b2J", "done\n"):
        document.append(piece)
        document.flush()
    text = document.text
    assert not any(char in text for char in "\x1b\x07\x9b")
    assert BlockStream("\x1b[31mred\x1b[0m \x1b]0;title\x07ok\n").text == "red ok\n"


@pytest.mark.parametrize(
    ("url", "web"),
    [
        ("https://example.com/a", True),
        ("HTTP://example.com", True),
        ("mailto:a@b.c", False),
        ("file:///etc/passwd", False),
        ("relative/page.html", False),
        ("#anchor", False),
        ("ftp://host/x", False),
    ],
)
def test_is_web_link(url: str, web: bool) -> None:
    assert is_web_link(url) is web


def _link_targets(text: str, width: int = 80) -> set[str]:
    renderer = BlockRenderer(Palette())
    lines = renderer.render_all(parse_blocks(text), width)
    return {
        segment.style.link
        for line in lines
        for segment in line
        if segment.style is not None and segment.style.link
    }


def test_only_http_links_are_clickable() -> None:
    text = (
        "[web](https://example.com/x) [rel](docs/page.md) [mail](mailto:a@b.c) "
        "[file](file:///etc/passwd) <https://auto.example/> ![img](local.png)\n"
    )
    assert _link_targets(text) == {"https://example.com/x", "https://auto.example/"}
    rendered = " ".join(
        line.text for line in BlockRenderer(Palette()).render_all(parse_blocks(text), 200)
    )
    for label in ("web", "rel", "mail", "file"):
        assert label in rendered


def test_rich_markup_is_not_interpreted() -> None:
    text = "Say [bold]x[/] and [@click=app.quit]quit[/] and :smile:\n"
    lines = BlockRenderer(Palette()).render_all(parse_blocks(text), 100)
    assert lines[0].text.rstrip() == text.strip()
    assert all(not (segment.style and segment.style.meta) for segment in lines[0])


# ------------------------------------------------------------------ rendering


def test_rendered_lines_have_the_width_and_cjk_wraps_by_cells() -> None:
    chinese = "终端聊天客户端需要在流式输出时保持流畅。" * 6
    renderer = BlockRenderer(Palette())
    lines = renderer.render_all(parse_blocks(chinese + "\n"), 31)
    assert len(lines) > 3
    assert all(line.cell_length == 31 for line in lines)
    assert all(cell_len(line.text.rstrip()) <= 31 for line in lines)
    assert "".join(line.text.strip() for line in lines) == chinese


def test_finished_blocks_are_cached() -> None:
    renderer = BlockRenderer(Palette())
    (block,) = parse_blocks("Some *text*\n\n")
    (same,) = parse_blocks("Some *text*\n")
    assert renderer.render(block, 40) is renderer.render(same, 40)
    assert renderer.render(block, 41) is not renderer.render(block, 40)


def test_blocks_are_separated_by_one_blank_line() -> None:
    renderer = BlockRenderer(Palette())
    lines = renderer.render_all(parse_blocks("para\n\n| a |\n|---|\n| 1 |\n\n> quote\n"), 30)
    text = [line.text.rstrip() for line in lines]
    assert text[0] == "para" and text[1] == ""
    assert text[2] != "" and text[-2] == "" and "quote" in text[-1]


def test_long_open_code_block_is_rendered_in_pieces_with_the_same_text() -> None:
    renderer = BlockRenderer(Palette())
    progress = FenceProgress()
    code = "".join(f"value_{i} = compute({i})  # step {i}\n" for i in range(200))
    document = BlockStream()
    document.append("Intro.\n\n```python\n" + code[: len(code) // 2])
    document.flush()
    (block,) = document.open_blocks
    pieces = renderer.render_open_fence(block, 60, progress, 1)
    assert pieces is not None and progress.done == 80
    whole = renderer.render(block, 60, final=False)
    assert [line.text for line in pieces] == [line.text for line in whole]
    first_piece = progress.lines[:5]
    document.append(code[len(code) // 2 :])
    document.flush()
    (block,) = document.open_blocks
    pieces = renderer.render_open_fence(block, 60, progress, 1)
    assert pieces is not None and progress.done == 160 and pieces[:5] == first_piece
    assert [line.text for line in pieces] == [
        line.text for line in renderer.render(block, 60, final=False)
    ]
    document.append("```\n")
    document.flush()
    (block,) = document.open_blocks
    assert renderer.render_open_fence(block, 60, progress, 1) is None  # closed: rendered whole


def test_soft_wraps_are_marked_and_real_breaks_are_not() -> None:
    """What a copied selection joins: the lines Rich wrapped in a paragraph, list item or
    quote (with a space, or nothing inside a cut word or Chinese text); not a hard line
    break, a new list item, a table or code."""
    text = (
        "这是一段中文文本，用来检查宽字符的换行和光标位置是否正确。Mixed 中文 and English.\n\n"
        "Short line.  \nHard break, then a long sentence that will need wrapping here.\n\n"
        "- First bullet point that is long enough to wrap across lines\n"
        "- Second https://example.com/a/very/long/path/that/does/not/fit/in/forty\n\n"
        "> A quoted paragraph that goes on and on so that it wraps, in the quote.\n\n"
        "| a | b |\n|---|---|\n| cell with a long text that wraps around | x |\n\n"
        "```\n" + "code " * 12 + "\n```\n"
    )
    lines = BlockRenderer(Palette()).render_all(parse_blocks(text), 40)
    marked = [(line.text.strip(), getattr(line, "joint", None)) for line in lines]
    assert [(t, j) for t, j in marked if j is not None] == [
        ("光标位置是否正确。Mixed 中文 and", ""),
        ("English.", " "),
        ("will need wrapping here.", " "),
        ("enough to wrap across lines", " "),
        ("https://example.com/a/very/long/path/", " "),
        ("that/does/not/fit/in/forty", ""),
        ("▌ on so that it wraps, in the quote.", " "),
    ]
    # Kinsoku moved this break one character earlier (no line starts with "，"): the line
    # above is short of the edge, and still joined without a space.
    chinese = "一二三四五六七八九十" * 2 + "，后面还有更多的文字在这里。"
    wrapped = BlockRenderer(Palette()).render_all(parse_blocks(chinese), 40)
    assert [line.text.rstrip() for line in wrapped] == [chinese[:19], chinese[19:]]
    assert getattr(wrapped[1], "joint", None) == ""
    assert wrap_joints([" a long line of the user's own text", " that goes on"], 36) == [
        None,
        " ",
    ]
    assert wrap_joints([" short", " next line"], 36) == [None, None]
