"""The items of the chat pane (messages, system prompt, notices) as lines of strips.

Each :class:`Entry` renders itself at a width into a *head* (lines that no longer change while
a reply streams: the role header and the finished Markdown blocks) and a *tail* (the open blocks,
the status line and the spacer), so a streaming update touches only the tail. Until an entry is
rendered its height is an estimate. All text is sanitized here; none of it is read as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from chattui.core.markdown_blocks import CODE_KINDS, Block, BlockStream
from chattui.core.models import Message, MessageStatus, Role
from chattui.core.sanitize import sanitize, sanitize_line
from chattui.i18n import _, ngettext
from chattui.ui.render.problems import error_hint, message_problem_text

if TYPE_CHECKING:  # Rich's Markdown and Syntax (Pygments) load on first use, after the first frame
    from chattui.ui.render.markdown import BlockRenderer, FenceProgress

__all__ = [
    "AssistantEntry",
    "Entry",
    "NoticeEntry",
    "RenderContext",
    "SystemEntry",
    "UserEntry",
    "entry_for",
]


@dataclass(frozen=True)
class RenderContext:
    """What an entry needs to render: the renderer (palette), the width and the error hint."""

    renderer: BlockRenderer
    width: int
    error_hint: str = ""
    usage_label: Callable[[Message], str] | None = None
    """Formats a reply's usage (tokens, cost) for its header; None shows nothing."""


def _estimate(text: str, width: int) -> int:
    """A cheap guess of how many lines ``text`` wraps to (corrected once rendered)."""
    return text.count("\n") + 1 + len(text) // max(width, 1)


class Entry:
    """One item of the conversation, rendered lazily into lines."""

    __slots__ = ("_head", "_tail", "height", "index", "key", "rendered")

    def __init__(self, key: str) -> None:
        self.key = key
        self.index = 0
        """Position in the pane (kept up to date by the widget)."""
        self.height = 1
        """Number of lines: exact once rendered, an estimate before."""
        self.rendered = False
        self._head: list[Strip] = []
        self._tail: list[Strip] = []

    def line(self, y: int) -> Strip | None:
        """Line ``y`` of the rendered entry, or None if there is no such line."""
        head = self._head
        if y < len(head):
            return head[y] if y >= 0 else None
        y -= len(head)
        return self._tail[y] if y < len(self._tail) else None

    @property
    def lines(self) -> list[Strip]:
        """All rendered lines (a new list)."""
        return [*self._head, *self._tail]

    def invalidate(self, width: int) -> None:
        """Forget the rendered lines (width or palette changed); estimate the height."""
        self.rendered = False
        self._head = []
        self._tail = []
        self.height = self.estimate(width)

    def estimate(self, width: int) -> int:
        """Estimated height at ``width`` before rendering."""
        return 2

    def render(self, context: RenderContext) -> None:
        """Render all lines at ``context.width``."""
        self._set(self._render(context), [])

    def _render(self, context: RenderContext) -> list[Strip]:
        raise NotImplementedError

    def _set(self, head: list[Strip], tail: list[Strip]) -> None:
        self._head = head
        self._tail = tail
        self.height = len(head) + len(tail)
        self.rendered = True


def _one_line(context: RenderContext, *parts: tuple[str, Style]) -> Strip:
    """A single (truncated) line from styled parts."""
    text = Text.assemble(*parts, no_wrap=True, overflow="ellipsis", end="")
    return context.renderer.render_renderable(text, context.width)[0]


def _alternative(entry: UserEntry | AssistantEntry, palette_style: Style) -> tuple[str, Style]:
    """`` ◀ 2/3 ▶`` after the role when the message has alternatives (empty otherwise)."""
    if entry.alternative is None or entry.alternative[1] < 2:
        return ("", palette_style)
    index, count = entry.alternative
    return (f" ◀ {index}/{count} ▶", palette_style)


def code_header(context: RenderContext, block: Block, number: int) -> Strip:
    """``python · 2``: the line above code block ``number`` of a reply."""
    token = block.tokens[0]
    language = token.info.partition(" ")[0] if token.type == "fence" else ""
    label = f"{sanitize_line(language, 30) or _('code')} · {number}"
    return _one_line(context, (label, context.renderer.palette.meta))


def is_code(block: Block) -> bool:
    """True for a fenced or indented code block."""
    return block.kind in CODE_KINDS


def _footer(message: Message, live: bool, context: RenderContext) -> list[Strip]:
    """Status lines under a message: error text and hint, stopped, incomplete."""
    palette = context.renderer.palette
    width = context.width
    render = context.renderer.render_renderable
    if message.status is MessageStatus.ERROR:
        words = message_problem_text(message) or _("Error")
        error = Text("⚠ " + sanitize(words), style=palette.error)
        hint = error_hint(message.problem, context.error_hint)
        if hint:
            error.append("  " + sanitize_line(hint), style=palette.meta)
        return render(error, width)
    if message.status is MessageStatus.STOPPED:
        return render(Text("■ " + _("stopped"), style=palette.meta), width)
    if message.status is MessageStatus.STREAMING and not live:
        return render(Text("… " + _("incomplete"), style=palette.warning), width)
    if message.error:  # complete, with a note (e.g. cut short by max_tokens)
        note = sanitize(message_problem_text(message))
        return render(Text("⚠ " + note, style=palette.warning), width)
    return []


class NoticeEntry(Entry):
    """A line of information from the app, e.g. "3 earlier messages not sent"."""

    __slots__ = ("text",)

    def __init__(self, key: str, text: str) -> None:
        super().__init__(key)
        self.text = sanitize(text)

    def estimate(self, width: int) -> int:
        return _estimate(self.text, width) + 1

    def _render(self, context: RenderContext) -> list[Strip]:
        text = Text(self.text, style=context.renderer.palette.meta, justify="center")
        lines = context.renderer.render_renderable(text, context.width)
        return [*lines, Strip.blank(context.width)]


class SystemEntry(Entry):
    """The system prompt: one line "System: first words…", or the whole text when expanded."""

    __slots__ = ("expanded", "text")

    def __init__(self, key: str, text: str, expanded: bool = False) -> None:
        super().__init__(key)
        self.text = sanitize(text)
        self.expanded = expanded

    def estimate(self, width: int) -> int:
        return _estimate(self.text, width) + 2 if self.expanded else 2

    def _render(self, context: RenderContext) -> list[Strip]:
        palette = context.renderer.palette
        label = (_("System") + ": ", palette.meta + Style(bold=True))
        blank = Strip.blank(context.width)
        if not self.expanded:
            return [_one_line(context, label, (sanitize_line(self.text), palette.meta)), blank]
        body = Text(self.text, style=palette.meta, overflow="fold")
        lines = context.renderer.render_renderable(Padding(body, (0, 0, 0, 2)), context.width)
        return [_one_line(context, label), *lines, blank]


USER_SHOWN_CHARS = 20_000
"""User messages longer than this show their beginning and a note."""


class UserEntry(Entry):
    """A user turn: a header and the literal text (not Markdown) in a tinted block."""

    __slots__ = ("alternative", "message")

    def __init__(self, message: Message) -> None:
        super().__init__(message.id)
        self.message = message
        self.alternative: tuple[int, int] | None = None
        """(position, count) among the prompt's alternatives (edits), shown as ◀ 1/2 ▶."""

    def estimate(self, width: int) -> int:
        return _estimate(self.message.content[:USER_SHOWN_CHARS], width - 2) + 3

    def _render(self, context: RenderContext) -> list[Strip]:
        palette = context.renderer.palette
        width = context.width
        header = _one_line(
            context, (_("You"), palette.user_label), _alternative(self, palette.meta)
        )
        content = self.message.content
        if len(content) > USER_SHOWN_CHARS:
            # A huge paste is sent and saved whole; drawing all of it would take seconds.
            hidden = len(content) - USER_SHOWN_CHARS
            content = (
                content[:USER_SHOWN_CHARS]
                + "\n… "
                + ngettext(
                    "{count} more character not shown (all of it is sent and saved)",
                    "{count} more characters not shown (all of it is sent and saved)",
                    hidden,
                    count=f"{hidden:,}",
                )
            )
        body = Text(sanitize(content), style=palette.user_body, overflow="fold")
        tinted = Padding(body, (0, 1), style=palette.user_body, expand=True)
        lines = context.renderer.render_renderable(tinted, width, wraps=1)
        footer = _footer(self.message, False, context)
        return [header, *lines, *footer, Strip.blank(width)]


class AssistantEntry(Entry):
    """An assistant turn: a header, the reply as Markdown blocks, and a status line.

    While the reply streams, deltas go to a :class:`BlockStream`; :meth:`update_stream` renders
    the newly finished blocks once (appending them to the head) and re-renders only the open
    blocks in the tail.
    """

    __slots__ = (
        "_blocks_rendered",
        "_codes_rendered",
        "_document",
        "_fence",
        "_source",
        "alternative",
        "code_spans",
        "live",
        "message",
    )

    def __init__(self, message: Message, *, live: bool = False) -> None:
        super().__init__(message.id)
        self.message = message
        self.alternative: tuple[int, int] | None = None
        """(position, count) among the replies to the same prompt, shown as ◀ 2/3 ▶."""
        self.code_spans: list[tuple[int, int]] = []
        """Lines (start, end) of each code block, its header line first, once rendered."""
        self._codes_rendered = 0
        self.live = live
        """True while the reply is streaming in this session (not "incomplete")."""
        self._source = message.content
        """The text at creation: the screen may change ``message.content`` as it streams."""
        self._document: BlockStream | None = None
        self._blocks_rendered = 0
        self._fence: FenceProgress = _fence_progress()

    @property
    def document(self) -> BlockStream:
        """The reply's blocks; parsed on first use, so a long conversation opens fast."""
        if self._document is None:
            self._document = BlockStream(self._source, closed=not self.live)
        return self._document

    def estimate(self, width: int) -> int:
        return _estimate(self.message.content, width) + 2

    def append(self, delta: str) -> None:
        """Buffer streamed text (O(len(delta)); rendered by :meth:`update_stream`)."""
        self.live = True
        self.document.append(delta)

    def set_message(self, message: Message) -> None:
        """Take the final (or changed) message; rebuild the blocks only if the text differs."""
        self.message = message
        if self._document is None:
            self._source = message.content
        else:
            text = sanitize(message.content)
            if text != self._document.text:
                self._document = BlockStream(text)
        if message.status is not MessageStatus.STREAMING:
            self.live = False
            self.document.close()

    def render(self, context: RenderContext) -> None:
        self.document.flush()
        renderer = context.renderer
        palette = renderer.palette
        header: tuple[tuple[str, Style], ...] = (
            (_("Assistant"), palette.assistant_label),
            _alternative(self, palette.meta),
        )
        if self.message.model:
            header += ((" · " + sanitize_line(self.message.model), palette.meta),)
        if self.message.usage is not None and context.usage_label is not None:
            label = context.usage_label(self.message)
            if label:
                header += ((" · " + label, palette.meta),)
        self._head = [_one_line(context, *header)]
        self.code_spans = []
        self._blocks_rendered = 0
        self._codes_rendered = 0
        self._render_frozen(context)
        self._set(self._head, self._render_tail(context))

    def _render_frozen(self, context: RenderContext) -> None:
        """Append the frozen blocks not rendered yet to the head (each rendered once)."""
        width = context.width
        for block in self.document.frozen[self._blocks_rendered :]:
            if self._blocks_rendered:
                self._head.append(Strip.blank(width))
            self._head.extend(self._block_lines(block, context, len(self._head), True))
            block.release()  # the renderer keeps its lines; parsed again if they go
            self._blocks_rendered += 1
        self._codes_rendered = len(self.code_spans)
        if self._fence.lines and self._fence.key[0] < self._blocks_rendered:
            self._fence = _fence_progress()  # its code block is final: drop the pieces

    def _block_lines(
        self,
        block: Block,
        context: RenderContext,
        top: int,
        final: bool,
        lines: list[Strip] | None = None,
    ) -> list[Strip]:
        """A block's lines starting at line ``top``; a code block gets a numbered header."""
        body = lines or context.renderer.render(block, context.width, final=final)
        if not is_code(block):
            return body
        header = code_header(context, block, len(self.code_spans) + 1)
        self.code_spans.append((top, top + 1 + len(body)))
        return [header, *body]

    def code_blocks(self) -> list[tuple[str, str]]:
        """(language, code) of every code block, numbered as on screen (code only, no fences)."""
        self.document.flush()
        blocks = [*self.document.frozen, *self.document.open_blocks]
        result = []
        for block in blocks:
            if is_code(block):
                token = block.tokens[0]
                language = token.info.partition(" ")[0] if token.type == "fence" else ""
                result.append((language, token.content.rstrip("\n")))
        return result

    def update_stream(self, context: RenderContext) -> None:
        """Apply buffered deltas: render newly frozen blocks once, re-render the open tail."""
        self.document.flush()
        frozen = self.document.frozen
        if not self.rendered or len(frozen) < self._blocks_rendered:
            self.render(context)
            return
        del self.code_spans[self._codes_rendered :]  # the tail's, from the last frame
        self._render_frozen(context)
        self._set(self._head, self._render_tail(context))

    def _render_tail(self, context: RenderContext) -> list[Strip]:
        renderer = context.renderer
        width = context.width
        tail: list[Strip] = []
        blocks = self.document.open_blocks
        del self.code_spans[self._codes_rendered :]
        for index, block in enumerate(blocks):
            if self._blocks_rendered or tail:
                tail.append(Strip.blank(width))
            lines = None
            if index == len(blocks) - 1:
                position = len(self.document.frozen) + index
                lines = renderer.render_open_fence(block, width, self._fence, position)
            top = len(self._head) + len(tail)
            tail.extend(self._block_lines(block, context, top, False, lines))
        if not self._blocks_rendered and not tail:
            if self.live:
                tail.extend(
                    renderer.render_renderable(Text("…", style=renderer.palette.meta), width)
                )
            elif self.message.status is MessageStatus.COMPLETE:
                note = Text(_("(empty reply)"), style=renderer.palette.meta)
                tail.extend(renderer.render_renderable(note, width))
        tail.extend(_footer(self.message, self.live, context))
        tail.append(Strip.blank(width))
        return tail


def _fence_progress() -> FenceProgress:
    from chattui.ui.render.markdown import FenceProgress

    return FenceProgress()


def entry_for(message: Message, *, live: bool = False) -> Entry:
    """The entry that shows ``message`` (``live``: a reply streaming in this session)."""
    if message.role is Role.ASSISTANT:
        return AssistantEntry(message, live=live)
    if message.role is Role.SYSTEM:
        return SystemEntry(message.id, message.content)
    return UserEntry(message)
