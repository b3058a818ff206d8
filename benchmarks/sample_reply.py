"""Realistic Markdown chat replies of a given size, for benchmarks and tests.

``sample_reply(tokens)`` returns a deterministic reply of roughly ``tokens`` tokens at about 6.4
characters per token (a 4,000-token reply is ~25.6k characters, ~250 top-level blocks): headings,
paragraphs in English and Chinese with inline markup and links, bullet and numbered lists (some
loose, some nested), fenced code in several languages (with blank lines inside), tables, block
quotes and rules. ``stream_deltas(text, size)`` splits it the way a stream would deliver it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

__all__ = ["CHARS_PER_TOKEN", "sample_reply", "stream_deltas"]

CHARS_PER_TOKEN = 6.4
"""Average characters per token of the generated replies."""

_WORD_TEXT = (
    "the model returns a stream of tokens that the client renders as they arrive while the "
    "user keeps reading earlier parts of the answer and the terminal redraws only what changed "
    "each block is parsed once cached at the current width and reused until the theme or the "
    "pane size changes which keeps the cost of a long reply proportional to its length"
)
_WORDS = tuple(_WORD_TEXT.split())

_CHINESE = (
    "终端聊天客户端需要在流式输出时保持流畅。",
    "每个段落只渲染一次，之后直接复用缓存的行。",
    "中文字符在终端中占两个单元格，换行时必须按显示宽度计算。",
    "如果用户向上滚动，新内容到达时视图不应跳动。",
    "长回复的渲染时间应当与其长度成正比。",
)

_CODE: dict[str, str] = {
    "python": (
        "def render(blocks: list[str], width: int) -> list[str]:\n"
        '    """Render every block once."""\n'
        "    lines: list[str] = []\n"
        "\n"
        "    for block in blocks:\n"
        "        lines.extend(wrap(block, width))\n"
        "\n"
        "    return lines\n"
    ),
    "javascript": (
        "async function streamReply(url, onDelta) {\n"
        "  const response = await fetch(url, { method: 'POST' });\n"
        "  const reader = response.body.getReader();\n"
        "\n"
        "  for (;;) {\n"
        "    const { done, value } = await reader.read();\n"
        "    if (done) break;\n"
        "    onDelta(new TextDecoder().decode(value));\n"
        "  }\n"
        "}\n"
    ),
    "rust": (
        "fn split_blocks(text: &str) -> Vec<&str> {\n"
        '    text.split("\\n\\n")\n'
        "        .filter(|block| !block.trim().is_empty())\n"
        "        .collect()\n"
        "}\n"
    ),
    "bash": (
        '#!/usr/bin/env bash\nset -euo pipefail\n\nfor file in "$@"; do\n  wc -c "$file"\ndone\n'
    ),
    "json": (
        "{\n"
        '  "model": "gpt-4o-mini",\n'
        '  "stream": true,\n'
        '  "messages": [{"role": "user", "content": "你好"}]\n'
        "}\n"
    ),
    "sql": (
        "SELECT id, title, updated\n"
        "FROM conversations\n"
        "WHERE updated > :since\n"
        "ORDER BY updated DESC\n"
        "LIMIT 50;\n"
    ),
}


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 14))]
    roll = rng.random()
    if roll < 0.2:
        index = rng.randrange(len(words))
        words[index] = f"**{words[index]}**"
    elif roll < 0.35:
        index = rng.randrange(len(words))
        words[index] = f"`{words[index]}()`"
    elif roll < 0.45:
        index = rng.randrange(len(words))
        words[index] = f"[{words[index]}](https://example.com/{words[index]})"
    elif roll < 0.5:
        index = rng.randrange(len(words))
        words[index] = f"*{words[index]}*"
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random) -> str:
    parts = [_sentence(rng) for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.3:
        parts.append(rng.choice(_CHINESE))
    return " ".join(parts)


def _heading(rng: random.Random) -> str:
    level = rng.choice((1, 2, 2, 3, 3, 3))
    return "#" * level + " " + " ".join(rng.choice(_WORDS) for _ in range(3)).title()


def _bullets(rng: random.Random) -> str:
    items = []
    for _ in range(rng.randint(2, 4)):
        item = f"- {_sentence(rng)}"
        if rng.random() < 0.2:
            item += f"\n  - {_sentence(rng)}"
        items.append(item)
    return ("\n\n" if rng.random() < 0.2 else "\n").join(items)


def _numbered(rng: random.Random) -> str:
    return "\n".join(f"{n}. {_sentence(rng)}" for n in range(1, rng.randint(3, 6)))


def _code(rng: random.Random) -> str:
    language = rng.choice(sorted(_CODE))
    return f"```{language}\n{_CODE[language]}```"


def _table(rng: random.Random) -> str:
    rows = ["| Name | Tokens | Notes |", "|------|-------:|-------|"]
    for _ in range(rng.randint(2, 5)):
        name = rng.choice(_WORDS)
        note = rng.choice(_CHINESE) if rng.random() < 0.3 else " ".join(rng.sample(_WORDS, 4))
        rows.append(f"| {name} | {rng.randint(10, 9999)} | {note} |")
    return "\n".join(rows)


def _quote(rng: random.Random) -> str:
    return "\n".join(f"> {_sentence(rng)}" for _ in range(rng.randint(1, 2)))


_KINDS: tuple[tuple[Callable[[random.Random], str], int], ...] = (
    (_paragraph, 52),
    (_heading, 14),
    (_bullets, 12),
    (_numbered, 6),
    (_code, 7),
    (_table, 4),
    (_quote, 5),
    (lambda _rng: "---", 2),
)


def sample_reply(tokens: int, seed: int = 0) -> str:
    """A deterministic Markdown reply of about ``tokens`` tokens (6.4 characters each)."""
    rng = random.Random(seed)
    target = int(tokens * CHARS_PER_TOKEN)
    makers = [maker for maker, _ in _KINDS]
    weights = [weight for _, weight in _KINDS]
    blocks: list[str] = []
    size = 0
    while size < target:
        block = rng.choices(makers, weights)[0](rng)
        blocks.append(block)
        size += len(block) + 2
    return "\n\n".join(blocks) + "\n"


def stream_deltas(text: str, size: int = 4) -> Iterator[str]:
    """``text`` cut into consecutive pieces of ``size`` characters, as a stream delivers it."""
    for start in range(0, len(text), size):
        yield text[start : start + size]


if __name__ == "__main__":
    reply = sample_reply(4000)
    print(reply)
    print(f"-- {len(reply)} chars")
