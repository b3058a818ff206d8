"""Conversations as one self-contained HTML file: inline CSS, code highlighted by Pygments.

Message text is Markdown from users and models, so it is untrusted: it is rendered with raw
HTML turned off (tags show as text) and markdown-it's link check (no ``javascript:`` links);
titles and headings are escaped. The page loads nothing from anywhere.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable, Iterator, Sequence

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from chattui.core.export import ROLE_HEADINGS, format_time
from chattui.core.models import Conversation, Message, MessageStatus, Role

__all__ = ["conversations_html"]

_PAGE_CSS = """
:root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #656d76;
  --card: #f6f8fa; --border: #d0d7de; --user: #ddf4ff; --accent: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8d96a0; --card: #161b22;
    --border: #30363d; --user: #0c2d6b; --accent: #4493f8; }
}
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC",
  "Microsoft YaHei", sans-serif; color: var(--fg); background: var(--bg);
  max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
.meta { color: var(--muted); font-size: .9rem; margin: 0 0 1.5rem; }
.message { border: 1px solid var(--border); border-radius: 8px; padding: .2rem 1rem;
  margin: 1rem 0; background: var(--card); }
.message.user { background: var(--user); }
.role { font-weight: 600; color: var(--accent); margin: .6rem 0 0; font-size: .95rem; }
.role .model { color: var(--muted); font-weight: 400; }
.note { color: var(--muted); font-style: italic; }
pre { overflow-x: auto; padding: .7rem; border-radius: 6px; border: 1px solid var(--border);
  font: 14px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
table { border-collapse: collapse; }
td, th { border: 1px solid var(--border); padding: .3rem .6rem; }
blockquote { margin-left: 0; padding-left: 1rem; border-left: 3px solid var(--border); }
hr.between { margin: 3rem 0; border: 0; border-top: 2px solid var(--border); }
"""


def _code_css() -> str:
    light = HtmlFormatter(style="default").get_style_defs(".hl")
    dark = HtmlFormatter(style="monokai").get_style_defs(".hl")
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}"


@functools.lru_cache(maxsize=64)
def _lexer(name: str) -> Lexer | None:
    """The lexer for a fence's language name (looking one up scans Pygments' tables: cached)."""
    try:
        return get_lexer_by_name(name) if name else None
    except ClassNotFound:
        return None


_FORMATTER = HtmlFormatter(nowrap=True)


def _highlight(code: str, language: str, _attrs: object) -> str:
    lexer = _lexer(language.strip().split()[0] if language.strip() else "")
    if lexer is None:
        return f'<pre class="hl"><code>{html.escape(code)}</code></pre>'
    # markdown-it uses a result starting with "<pre" as it is (no second wrapper).
    spans = highlight(code, lexer, _FORMATTER)
    return f'<pre class="hl"><code>{spans}</code></pre>'


def _renderer() -> MarkdownIt:
    markdown = MarkdownIt("commonmark", {"html": False, "highlight": _highlight})
    return markdown.enable(["table", "strikethrough"])


def _message_html(markdown: MarkdownIt, message: Message) -> str:
    role = html.escape(ROLE_HEADINGS[message.role])
    model = (
        f' <span class="model">· {html.escape(message.model)}</span>'
        if message.model and message.role is Role.ASSISTANT
        else ""
    )
    body = markdown.render(message.content) if message.content else ""
    note = ""
    if message.status is MessageStatus.ERROR:
        note = f'<p class="note">Failed: {html.escape(message.error or "error")}</p>'
    elif message.status in (MessageStatus.STOPPED, MessageStatus.STREAMING):
        note = '<p class="note">Stopped before the end.</p>'
    return (
        f'<section class="message {message.role.value}">\n'
        f'<p class="role">{role}{model}</p>\n{body}{note}\n</section>'
    )


def _conversation_html(markdown: MarkdownIt, conversation: Conversation) -> str:
    branch = conversation.branch()
    title = html.escape(conversation.title or "Untitled conversation")
    meta = [f"Date: {format_time(conversation.created)}"]
    models = sorted({m.model for m in branch if m.model} | {conversation.model or ""} - {""})
    if models:
        meta.append(f"Model: {', '.join(models)}")
    parts = [f"<article>\n<h1>{title}</h1>", f'<p class="meta">{html.escape(" · ".join(meta))}</p>']
    if conversation.system_prompt.strip():
        system = Message(Role.SYSTEM, conversation.system_prompt.strip())
        parts.append(_message_html(markdown, system))
    parts.extend(_message_html(markdown, message) for message in branch)
    parts.append("</article>")
    return "\n".join(parts)


def conversations_html(conversations: Sequence[Conversation]) -> str:
    """One HTML page holding ``conversations`` (the branch on screen of each)."""
    return "".join(html_parts(conversations, len(conversations)))


def html_parts(conversations: Iterable[Conversation], count: int) -> Iterator[str]:
    """The page of :func:`conversations_html` in pieces, one per conversation as it is
    rendered (``count`` of them), so that a long export can be written as it goes."""
    markdown = _renderer()
    items = iter(conversations)
    first = next(items, None)
    title = (
        (first.title if first is not None else "") or "Untitled conversation"
        if count == 1
        else f"{count} conversations"
    )
    yield (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="chattui">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{_PAGE_CSS}\n{_code_css()}</style>\n</head>\n<body>\n"
    )
    if first is not None:
        yield _conversation_html(markdown, first)
    for conversation in items:
        yield '\n<hr class="between">\n' + _conversation_html(markdown, conversation)
    yield "\n</body>\n</html>\n"
