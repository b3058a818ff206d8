"""Chinese line breaking in replies: no closing punctuation at the start of a wrapped line, no
opening punctuation at its end, nothing lost or reordered, no line wider than the pane."""

from __future__ import annotations

import io

import pytest
from rich._wrap import divide_line
from rich.cells import cell_len
from rich.console import Console

from chattui.ui.render.kinsoku import CLOSING, OPENING, kinsoku_breaks
from chattui.ui.render.markdown import _TokenMarkdown

CHINESE = (
    "这是一段中文文本，用来检查宽字符的换行和光标位置是否正确。我们再写一些字，看看标点符号"
    "会不会出现在行首，比如逗号，句号。还有（括号）和「引号」的情况：好吗？好！"
) * 3


def wrapped(text: str, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    lines = console.render_lines(_TokenMarkdown(text), pad=False)
    return ["".join(segment.text for segment in line).rstrip() for line in lines]


@pytest.mark.parametrize("width", range(8, 61))
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(width: int) -> None:
    lines = wrapped(CHINESE, width)
    assert "".join(lines) == CHINESE
    assert all(cell_len(line) <= width for line in lines)
    assert not [line for line in lines[1:] if line[0] in CLOSING]
    assert not [line for line in lines[:-1] if line[-1] in OPENING]


def test_text_without_cjk_punctuation_wraps_as_rich_does() -> None:
    english = "A paragraph of English words, with commas, stops. And (brackets) too! " * 4
    for width in (10, 23, 40):
        assert kinsoku_breaks(english, width) == divide_line(english, width, fold=True)
    mixed = "中文 and English 混排没有标点" * 5
    assert kinsoku_breaks(mixed, 12) == divide_line(mixed, 12, fold=True)


def test_a_run_of_punctuation_longer_than_the_shift_is_left_alone() -> None:
    text = "字" * 9 + "。" * 8 + "字" * 9
    breaks = kinsoku_breaks(text, 10)
    assert breaks and all(0 < b < len(text) for b in breaks)
    assert breaks == sorted(set(breaks))
