"""The sidebar's relative times read as times past, in English and in Chinese."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chattui.i18n import set_language
from chattui.ui.widgets.sidebar import relative_time

NOW = 1_700_000_000.0


@pytest.fixture
def chinese() -> Iterator[None]:
    set_language("zh")
    try:
        yield
    finally:
        set_language("en")


def test_english() -> None:
    assert relative_time(NOW - 10, NOW) == "just now"
    assert relative_time(NOW - 5 * 60, NOW) == "5 min ago"
    assert relative_time(NOW - 3 * 3600, NOW) == "3 h ago"
    assert relative_time(NOW - 2 * 86400, NOW) == "2 d ago"


@pytest.mark.usefixtures("chinese")
def test_chinese_says_ago() -> None:
    assert relative_time(NOW - 10, NOW) == "刚刚"
    assert relative_time(NOW - 5 * 60, NOW) == "5 分钟前"
    assert relative_time(NOW - 3 * 3600, NOW) == "3 小时前"
    assert relative_time(NOW - 2 * 86400, NOW) == "2 天前"
