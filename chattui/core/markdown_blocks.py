"""Split Markdown into top-level blocks, incrementally while a reply streams.

A reply is cut into the source ranges of its top-level blocks (paragraph, heading, list, fenced
code, table, quote, rule) as markdown-it reports them (token ``map`` line ranges). Each block keeps
its text, from its first line to the first line of the next block (blank lines in between belong
to it), and its tokens, so the renderer never parses twice. Concatenating the block texts gives
the whole text back.

While streaming, :class:`BlockStream` keeps the finished blocks frozen and re-parses only the
*tail*: the text from the start of the first block that may still change. A block is frozen once
the block after it has a complete first line; only then is it certain that nothing appended later
can merge them (``1. a`` + blank + ``2`` becomes one list when ``.`` arrives). An unclosed fence
runs to the end of the text, so it stays in the tail, blank lines and all. Every append is
O(len(delta)); each flush parses only the tail, so a whole stream costs time linear in its length.

The parser has raw HTML turned off (``<T>`` and ``<div>`` show as text) and links whose scheme is
not http(s) lose their link: their text is shown, nothing is clickable. A single newline is a
line break (chat replies are often lines of text), not the space CommonMark makes of it.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from chattui.core.sanitize import sanitize

if TYPE_CHECKING:  # markdown-it is imported on first use: it is not needed for the first frame
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = ["CODE_KINDS", "Block", "BlockStream", "is_web_link", "markdown_parser", "parse_blocks"]

_parser: MarkdownIt | None = None


def markdown_parser() -> MarkdownIt:
    """The shared parser: CommonMark with tables and strikethrough, raw HTML off."""
    global _parser
    if _parser is None:
        from markdown_it import MarkdownIt

        _parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    return _parser


def is_web_link(url: str) -> bool:
    """True if ``url`` is an absolute http(s) URL (the only links we make clickable)."""
    try:
        return urlsplit(url.strip()).scheme.lower() in ("http", "https")
    except ValueError:
        return False


class Block:
    """One top-level Markdown block."""

    __slots__ = ("_env", "_tokens", "kind", "text")

    def __init__(
        self, text: str, tokens: Sequence[Token], env: MutableMapping[str, Any] | None = None
    ) -> None:
        self.text = text
        """Source text, from the block's first line up to the next block (ends with its
        newlines)."""
        self.kind = tokens[0].type if tokens else ""
        """The first token's type: ``paragraph_open``, ``fence``, ``table_open``..."""
        self._tokens: Sequence[Token] | None = tokens
        self._env = env

    @property
    def key(self) -> str:
        """The text without trailing blank lines: what the rendering depends on."""
        return self.text.rstrip("\n")

    @property
    def tokens(self) -> Sequence[Token]:
        """The block's markdown-it tokens, links already neutralised.

        Parsed again from :attr:`text` (with the reference definitions of the text it came
        from) after :meth:`release`; not kept then, as the renderer caches its lines.
        """
        tokens = self._tokens
        if tokens is None:
            blocks = parse_blocks(self.text, self._env)
            tokens = [token for block in blocks for token in block.tokens]
        return tokens

    def release(self) -> None:
        """Forget the tokens of a rendered block (a few kB per paragraph: a 20k-token reply's
        are ~5 MB); a code block keeps its one token (its language and code are read often)."""
        tokens = self._tokens
        if tokens is not None and not (len(tokens) == 1 and self.kind in CODE_KINDS):
            self._tokens = None


CODE_KINDS: Final = ("fence", "code_block")
"""The kinds of a code block."""


def _adjust_inline(tokens: Sequence[Token]) -> None:
    """Drop link tokens whose target is not http(s), and such image sources; make single
    newlines line breaks, as chat clients show replies (CommonMark joins the lines). In place."""
    for token in tokens:
        children = token.children
        if not children:
            continue
        kept: list[Token] = []
        dropping = False
        changed = False
        for child in children:
            if child.type == "link_open" and not is_web_link(str(child.attrs.get("href", ""))):
                dropping = changed = True
                continue
            if child.type == "link_close" and dropping:
                dropping = False
                continue
            if child.type == "image" and not is_web_link(str(child.attrs.get("src", ""))):
                child.attrs["src"] = ""
            elif child.type == "softbreak":
                child.type = "hardbreak"
            kept.append(child)
        if changed:
            token.children = kept


def _line_starts(text: str) -> list[int]:
    """Offsets at which each line of ``text`` starts."""
    starts = [0]
    find = text.find
    index = find("\n")
    while index != -1:
        starts.append(index + 1)
        index = find("\n", index + 1)
    return starts


def parse_blocks(text: str, env: MutableMapping[str, Any] | None = None) -> list[Block]:
    """Split sanitized ``text`` into its top-level blocks.

    Args:
        text: Markdown source (already sanitized).
        env: markdown-it environment; pass the same dict across calls to keep reference
            definitions seen earlier.

    Returns:
        The blocks in order; their texts concatenate to ``text``. Leading blank lines belong to
        the first block; text without any block (only blanks) gives no block.
    """
    env = {} if env is None else env
    tokens = markdown_parser().parse(text, env)
    groups: list[tuple[int, list[Token]]] = []
    for token in tokens:
        if token.level == 0 and token.nesting != -1 and token.map is not None:
            groups.append((token.map[0], [token]))
        elif groups:
            groups[-1][1].append(token)
    if not groups:
        return []
    starts = _line_starts(text)
    blocks: list[Block] = []
    for index, (_line, group) in enumerate(groups):
        begin = 0 if index == 0 else starts[groups[index][0]]
        end = starts[groups[index + 1][0]] if index + 1 < len(groups) else len(text)
        _adjust_inline(group)
        blocks.append(Block(text[begin:end], group, env))
    return blocks


class BlockStream:
    """The blocks of a Markdown text that grows at the end (a streaming reply).

    ``append`` only buffers; ``flush`` sanitizes the buffered deltas, re-parses the tail and
    freezes the blocks that can no longer change. ``close`` freezes everything (the reply ended);
    appending after ``close`` re-opens the blocks it froze. Deltas are sanitized per flush, so an
    escape sequence cut across two flushes loses its bytes but may leave its printable rest.
    """

    __slots__ = ("_closed_at", "_env", "_frozen", "_open", "_pending", "_tail")

    def __init__(self, text: str = "", *, closed: bool = False) -> None:
        self._frozen: list[Block] = []
        self._open: list[Block] = []
        self._tail = ""
        self._pending: list[str] = []
        self._env: dict[str, Any] = {}
        self._closed_at = -1
        if text:
            self.append(text)
            self.flush()
        if closed:
            self.close()

    @property
    def frozen(self) -> Sequence[Block]:
        """Blocks that will not change any more (the list only grows)."""
        return self._frozen

    @property
    def open_blocks(self) -> Sequence[Block]:
        """The blocks of the tail, as of the last flush (at most a few)."""
        return self._open

    @property
    def dirty(self) -> bool:
        """True if deltas were appended since the last flush."""
        return bool(self._pending)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed_at >= 0

    @property
    def text(self) -> str:
        """All the (sanitized) text so far, pending deltas included. O(length)."""
        pending = sanitize("".join(self._pending)) if self._pending else ""
        return "".join(block.text for block in self._frozen) + self._tail + pending

    def append(self, delta: str) -> None:
        """Buffer ``delta``; nothing is parsed until :meth:`flush`."""
        if not delta:
            return
        if self._closed_at >= 0:
            # Re-open what close() froze: the new text may still merge with it.
            reopened = self._frozen[self._closed_at :]
            del self._frozen[self._closed_at :]
            self._tail = "".join(block.text for block in reopened) + self._tail
            self._closed_at = -1
        self._pending.append(delta)

    def flush(self) -> int:
        """Parse what was appended; return how many blocks were frozen by it."""
        if not self._pending:
            return 0
        self._tail += sanitize("".join(self._pending))
        self._pending.clear()
        blocks = parse_blocks(self._tail, self._env)
        if not blocks:
            self._open = []
            return 0
        # The last block's first line decides whether the block before it can still grow.
        keep = 1 if "\n" in blocks[-1].text else 2
        count = max(len(blocks) - keep, 0)
        if count:
            self._frozen.extend(blocks[:count])
            self._tail = self._tail[sum(len(block.text) for block in blocks[:count]) :]
        self._open = blocks[count:]
        return count

    def close(self) -> int:
        """Flush and freeze every block (the text is final); return how many were frozen."""
        self.flush()
        if self._closed_at < 0:
            self._closed_at = len(self._frozen)
        count = len(self._open)
        if count:
            self._frozen.extend(self._open)
            self._open = []
            self._tail = ""
        return count
