"""Render Markdown blocks to Textual strips with Rich, once per (text, width) and theme.

Rich's own Markdown renderer is linear in the size of its input (Textual's Markdown widget is
not), so each block from :mod:`chattui.core.markdown_blocks` is handed to a
``rich.markdown.Markdown`` that reuses the block's tokens (no second parse) and is rendered at
the pane width into lines of segments. Lines of finished blocks are cached by the block text
and width; a renderer belongs to one palette (theme), so a theme change gets a new renderer and
a fresh cache.

Rich's Markdown never interprets Rich markup, and the console here has markup, emoji codes and
highlighting off; links that survive :func:`~chattui.core.markdown_blocks.parse_blocks` are
http(s).
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from time import perf_counter

from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.markdown import CodeBlock, Markdown
from rich.segment import Segment
from rich.style import Style
from rich.syntax import (
    RICH_SYNTAX_THEMES,
    PygmentsSyntaxTheme,
    Syntax,
    SyntaxTheme,
    TokenType,
)
from rich.theme import Theme
from textual.cache import LRUCache
from textual.color import Color
from textual.strip import Strip

from chattui.core.markdown_blocks import Block
from chattui.ui.render.kinsoku import KinsokuParagraph
from chattui.ui.render.palette import Palette, readable_color
from chattui.ui.render.strips import LeanStrip, WrappedStrip
from chattui.ui.render.wraps import wrap_joints

__all__ = ["BlockRenderer", "FenceProgress", "make_console"]

_WRAPPED_KINDS = frozenset(
    {"paragraph_open", "bullet_list_open", "ordered_list_open", "blockquote_open"}
)
"""The blocks whose soft wraps are marked (text Rich wraps; not code, tables or headings)."""

FENCE_CHUNK = 40
"""Lines per separately rendered piece of a long code block that is still streaming."""


class ReadableSyntaxTheme(PygmentsSyntaxTheme):
    """A Pygments style whose token colours all reach WCAG AA on the code background.

    Many styles draw comments (some, keywords) below 4.5:1 (``friendly``'s comments are 2.9:1
    on white, ``nord``'s 2:1 on its panel): such a colour is moved towards white or black just
    enough (:func:`~chattui.ui.render.palette.readable_color`); the others are untouched.
    """

    def __init__(self, name: str, background: str | None) -> None:
        super().__init__(name)
        self._code_background = Color.parse(background or self._background_color or "#000000")

    def get_style_for_token(self, token_type: TokenType) -> Style:
        cached = self._style_cache.get(token_type)
        if cached is not None:  # adjusted when it was cached
            return cached
        style = super().get_style_for_token(token_type)
        if style.color is not None and style.color.triplet is not None:
            # Against the background it is drawn on (the palette's, not the style's own).
            color = Color.from_rich_color(style.color)
            readable = readable_color(color, self._code_background)
            if readable != color:
                style = style + Style(color=readable.rich_color)
        self._style_cache[token_type] = style
        return style


def syntax_theme(palette: Palette) -> str | SyntaxTheme:
    """The palette's code style as a Rich syntax theme (Rich's ANSI ones as they are: their
    colours are the terminal's)."""
    if palette.code_theme in RICH_SYNTAX_THEMES:
        return palette.code_theme
    return ReadableSyntaxTheme(palette.code_theme, palette.code_background)


class _CodeBlock(CodeBlock):
    """A fenced code block on the palette's code background."""

    background: str | None = None
    syntax: str | SyntaxTheme = ""

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> CodeBlock:
        block = super().create(markdown, token)
        if isinstance(block, _CodeBlock) and isinstance(markdown, _TokenMarkdown):
            block.background = markdown.code_background
            block.syntax = markdown.syntax_theme or block.theme
        return block

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code = str(self.text).rstrip()
        yield Syntax(
            code,
            self.lexer_name,
            theme=self.syntax or self.theme,
            word_wrap=True,
            padding=1,
            background_color=self.background,
        )


class _TokenMarkdown(Markdown):
    """``rich.markdown.Markdown`` over tokens we already have (see :meth:`BlockRenderer`)."""

    elements = {
        **Markdown.elements,
        "fence": _CodeBlock,
        "code_block": _CodeBlock,
        "paragraph_open": KinsokuParagraph,
    }
    code_background: str | None = None
    syntax_theme: str | SyntaxTheme = ""


def make_console(palette: Palette, width: int = 80) -> Console:
    """A private Rich console for rendering: truecolor, no markup, the palette's styles."""
    return Console(
        file=io.StringIO(),
        width=width,
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
        markup=False,
        emoji=False,
        highlight=False,
        theme=Theme(dict(palette.markdown), inherit=True),
    )


def _is_blank(line: Sequence[Segment]) -> bool:
    """True for a line of plain spaces with no background (safe to drop at a block's end)."""
    for segment in line:
        if segment.text.strip() or (segment.style is not None and segment.style.bgcolor):
            return False
    return True


@dataclass
class FenceProgress:
    """The finished pieces of a long code block that is still streaming (one per reply)."""

    key: tuple[int, str, int] = (-1, "", 0)
    """Block position, lexer and width the pieces were rendered for."""
    lines: list[Strip] = field(default_factory=list)
    done: int = 0
    """Code lines rendered into ``lines``."""


def _fence_is_closed(block: Block, token: Token) -> bool:
    """True if the fenced block's last line is its closing fence."""
    head, _, last = block.key.rpartition("\n")
    marker = token.markup
    last = last.strip()
    return bool(head) and len(last) >= len(marker) and last == marker[0] * len(last)


class BlockRenderer:
    """Renders Markdown blocks for one palette, caching finished blocks by text and width."""

    def __init__(self, palette: Palette, *, cache_size: int = 20_000) -> None:
        self.palette = palette
        self.console = make_console(palette)
        self._cache: LRUCache[tuple[str, int], list[Strip]] = LRUCache(cache_size)
        self._open: LRUCache[tuple[str, int], list[Strip]] = LRUCache(8)
        self.lasting_seconds = 0.0
        """Time spent on renders that are kept (finished blocks, code pieces): work done once
        per block, unlike re-rendering an open block, which repeats every frame."""
        prototype = _TokenMarkdown("", code_theme=palette.code_theme, hyperlinks=True)
        prototype.code_background = palette.code_background
        self.syntax_theme = syntax_theme(palette)
        prototype.syntax_theme = self.syntax_theme
        self._prototype = prototype

    def render(self, block: Block, width: int, *, final: bool = True) -> list[Strip]:
        """The lines of ``block`` at ``width``, without blank lines at either end.

        Args:
            block: The block to render.
            width: Width in cells.
            final: ``False`` for a block that is still growing: it goes to a small cache of
                recent open blocks (a block that did not change since the last frame, or that
                is finished as it was last shown, is not rendered again).
        """
        key = (block.key, width)
        wraps = 0 if block.kind in _WRAPPED_KINDS else None
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        lines = self._open.get(key)
        if lines is None:
            start = perf_counter()
            markdown = self._markdown(block.tokens)
            lines = self.render_renderable(markdown, width, wraps=wraps)
            if final:
                self.lasting_seconds += perf_counter() - start
        if final:
            self._cache[key] = lines
        else:
            self._open[key] = lines
        return lines

    def render_open_fence(
        self, block: Block, width: int, progress: FenceProgress, position: int
    ) -> list[Strip] | None:
        """Lines of a long code block that is still open, or None for the ordinary path.

        Re-highlighting a code block of thousands of lines every frame would make streaming
        it quadratic, so complete pieces of :data:`FENCE_CHUNK` lines are rendered once (into
        ``progress``) and only the last piece is rendered again. Highlighting may differ at
        piece boundaries (a string spanning two pieces) until the fence closes and the block
        is rendered whole, once. ``position`` (the block's index in its reply) tells pieces of
        another code block apart.
        """
        token = block.tokens[0]
        if token.type != "fence" or _fence_is_closed(block, token):
            return None
        code = token.content.split("\n")
        if len(code) <= 2 * FENCE_CHUNK:
            return None
        lexer = token.info.partition(" ")[0] or "text"
        key = (position, lexer, width)
        if progress.key != key:
            progress.key, progress.lines, progress.done = key, [], 0
        complete = len(code) - 1  # the last item is a partial line (or empty)
        start = perf_counter()
        while progress.done + FENCE_CHUNK < complete:  # keep a complete line for the rest
            piece = "\n".join(code[progress.done : progress.done + FENCE_CHUNK])
            padding = (1, 1, 0, 1) if progress.done == 0 else (0, 1, 0, 1)
            progress.lines.extend(self._code(piece, lexer, width, padding))
            progress.done += FENCE_CHUNK
        self.lasting_seconds += perf_counter() - start
        rest = "\n".join(code[progress.done :]).rstrip()  # as the whole block would be
        return [*progress.lines, *self._code(rest, lexer, width, (0, 1, 1, 1))]

    def _code(
        self, code: str, lexer: str, width: int, padding: tuple[int, int, int, int]
    ) -> list[Strip]:
        syntax = Syntax(
            code,
            lexer,
            theme=self.syntax_theme,
            word_wrap=True,
            padding=padding,
            background_color=self.palette.code_background,
        )
        return self.render_renderable(syntax, width)

    def render_renderable(
        self, renderable: RenderableType, width: int, *, wraps: int | None = None
    ) -> list[Strip]:
        """Any Rich renderable as strips of exactly ``width`` cells, blank edges dropped.

        With ``wraps`` (the cells of padding on the right of the wrapped text), the lines
        that are soft wraps of the line above are :class:`WrappedStrip` (see ``wraps.py``).
        """
        width = max(width, 1)
        options = self.console.options.update(width=width, height=None)
        lines = self.console.render_lines(renderable, options, pad=True)
        end = len(lines)
        while end and _is_blank(lines[end - 1]):
            end -= 1
        start = 0
        while start < end and _is_blank(lines[start]):
            start += 1
        kept = lines[start:end]
        if wraps is None:
            return [LeanStrip(line, width) for line in kept]
        texts = ["".join(segment.text for segment in line) for line in kept]
        joints = wrap_joints(texts, width - wraps)
        return [
            LeanStrip(line, width) if joint is None else WrappedStrip(line, width, joint)
            for line, joint in zip(kept, joints, strict=True)
        ]

    def render_all(self, blocks: Iterable[Block], width: int) -> list[Strip]:
        """Blocks one after another, one blank line between two blocks (cached)."""
        lines: list[Strip] = []
        blank = Strip.blank(width)
        for block in blocks:
            if lines:
                lines.append(blank)
            lines.extend(self.render(block, width))
        return lines

    def _markdown(self, tokens: Sequence[Token]) -> Markdown:
        markdown = copy.copy(self._prototype)
        markdown.parsed = list(tokens)
        return markdown
