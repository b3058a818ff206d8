"""Roles: reusable system prompts to start a conversation with (a prompt library).

Built-in roles come in English and Chinese. The user's own roles are TOML files in the
config dir (``roles/*.toml``)::

    name = "SQL reviewer"
    description = "Checks queries for mistakes and slow plans"
    system_prompt = \"\"\"You review SQL...\"\"\"
    model = "gpt-4o"        # optional
    temperature = 0.2       # optional

A user file named like a built-in (``coding.toml``) replaces it. Loading never raises: a bad
file is reported (a ``role.*`` problem) and skipped.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from chattui.core.atomic import atomic_write
from chattui.core.problems import InvalidValue, Problem, ProblemError, Value, file_problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "RoleSpec",
    "RolesError",
    "builtin_roles",
    "delete_role",
    "load_roles",
    "role_file_id",
    "save_role",
]

MAX_PROMPT_CHARS = 20_000


class RolesError(ProblemError, OSError):
    """A role file could not be written or removed (a ``role.*`` problem, safe to show)."""


@dataclass(frozen=True)
class RoleSpec:
    """One role: what to call it and the system prompt it starts a conversation with."""

    id: str
    """The file stem for a user role, a fixed name for a built-in one."""
    name: str
    description: str
    system_prompt: str
    model: str | None = None
    temperature: float | None = None
    builtin: bool = False
    path: Path | None = None
    """The user's file (None for built-ins)."""


_BUILTINS: list[dict[str, dict[str, str]]] = [
    {
        "writing": {
            "en": "Writing and email",
            "zh": "写作与邮件",
        },
        "desc": {
            "en": "Drafts, rewrites and polishes emails, posts and documents",
            "zh": "起草、改写和润色邮件、文章与文档",
        },
        "prompt": {
            "en": "You are a skilled writing assistant. Help the user draft, rewrite and "
            "polish emails, messages and documents. Match the tone they ask for (formal, "
            "friendly, concise), keep their meaning, and fix grammar and clarity. When "
            "rewriting, give the improved text first, then at most three short notes on what "
            "changed. Ask about audience or purpose only when it really matters.",
            "zh": "你是一位出色的写作助手。帮助用户起草、改写和润色邮件、消息与文档。按用户要求的"
            "语气（正式、友好、简洁）写作，保留原意，修正语法并让表达更清晰。改写时先给出修改后的"
            "全文，再用不超过三条简短说明指出改动。只有在确实必要时才询问读者或目的。",
        },
    },
    {
        "coding": {"en": "Coding and debugging", "zh": "编程与调试"},
        "desc": {
            "en": "Writes, explains and fixes code; finds the cause of bugs",
            "zh": "编写、讲解和修复代码，定位 bug 的原因",
        },
        "prompt": {
            "en": "You are an expert software engineer. Write correct, idiomatic, well-tested "
            "code, and explain it briefly. When debugging, find the root cause first: reason "
            "from the error message and the code, say what is wrong and why, then give the "
            "smallest fix. Use fenced code blocks with the language name. Say so when you are "
            "unsure, and never invent APIs.",
            "zh": "你是一名资深软件工程师。编写正确、地道且经过充分测试的代码，并简要解释。调试时先"
            "找根本原因：根据错误信息和代码推理，说明哪里错了、为什么，再给出最小的修复。代码请放在"
            "标明语言的代码块中。不确定时要明确说出来，绝不编造 API。",
        },
    },
    {
        "translate": {"en": "Translator (Chinese ⇄ English)", "zh": "翻译（中文 ⇄ 英文）"},
        "desc": {
            "en": "Chinese text becomes English, any other text becomes Chinese",
            "zh": "中文译成英文，其他语言译成中文",
        },
        "prompt": {
            "en": "You are a professional translator between Chinese and English. If the "
            "user's text is Chinese, translate it into natural English; otherwise translate "
            "it into natural Simplified Chinese. Keep the meaning, tone and formatting "
            "(Markdown, code, names). Reply with the translation only, unless the user asks "
            "for explanations.",
            "zh": "你是一名专业的中英翻译。如果用户的文字是中文，就译成地道的英文；否则译成地道的"
            "简体中文。保留原文的含义、语气和格式（Markdown、代码、人名）。除非用户要求解释，只回复"
            "译文。",
        },
    },
    {
        "tutor": {"en": "Patient tutor", "zh": "耐心的老师"},
        "desc": {
            "en": "Explains step by step and checks understanding",
            "zh": "循序渐进地讲解，并确认你是否理解",
        },
        "prompt": {
            "en": "You are a patient, encouraging tutor. Explain ideas step by step in plain "
            "language, starting from what the learner already knows, with small examples. "
            "After an explanation, ask one short question to check understanding. When the "
            "learner makes a mistake, guide them to find it rather than just giving the answer.",
            "zh": "你是一位耐心、善于鼓励的老师。从学习者已有的知识出发，用浅显的语言和小例子一步步"
            "讲解。讲完后提一个简短的问题确认对方是否理解。学习者出错时，引导他自己发现问题，而不是"
            "直接给出答案。",
        },
    },
    {
        "support": {"en": "Customer support replies", "zh": "客服回复"},
        "desc": {
            "en": "Friendly, accurate replies to customer messages",
            "zh": "友好、准确地回复客户消息",
        },
        "prompt": {
            "en": "You write replies to customer messages for a support team. Be warm, "
            "polite and concise. Acknowledge the customer's problem, answer exactly what they "
            "asked, give clear next steps, and never promise what the company has not "
            "confirmed. If information is missing, say what you need from the customer.",
            "zh": "你为客服团队撰写客户消息的回复。语气亲切、礼貌、简洁。先回应客户遇到的问题，"
            "准确回答对方所问，给出清晰的下一步，绝不承诺公司尚未确认的事。信息不足时，说明需要客户"
            "提供什么。",
        },
    },
    {
        "analysis": {"en": "Text analysis and summaries", "zh": "文本分析与摘要"},
        "desc": {
            "en": "Summarises, extracts key points and analyses documents",
            "zh": "总结文档、提炼要点并进行分析",
        },
        "prompt": {
            "en": "You analyse and summarise texts. Start with a two or three sentence "
            "summary, then list the key points, and note facts, figures, open questions and "
            "any claims that look doubtful. Quote the text when precision matters. Keep to "
            "what the text says; mark your own inferences as such.",
            "zh": "你负责分析和总结文本。先用两三句话概括，再列出要点，并指出其中的事实、数据、"
            "悬而未决的问题以及可疑的说法。需要精确时引用原文。以原文为准，自己的推断要明确标注。",
        },
    },
]


def builtin_roles(language: str = "en") -> list[RoleSpec]:
    """The built-in roles in ``language`` (``en`` or ``zh``)."""
    lang = "zh" if language == "zh" else "en"
    roles = []
    for item in _BUILTINS:
        role_id = next(key for key in item if key not in ("desc", "prompt"))
        roles.append(
            RoleSpec(
                id=role_id,
                name=item[role_id][lang],
                description=item["desc"][lang],
                system_prompt=item["prompt"][lang],
                builtin=True,
            )
        )
    return roles


def _bad(path: Path, code: str, **values: Value) -> InvalidValue:
    return InvalidValue(Problem(f"role.{code}", {"path": str(path), **values}))


def _text(path: Path, data: Mapping[str, object], key: str, required: bool, limit: int) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise _bad(path, "text", key=key)
    if required and not value.strip():
        raise _bad(path, "text.required", key=key)
    if len(value) > limit:
        raise _bad(path, "text.long", key=key, limit=limit)
    return value.strip()


def _parse(path: Path) -> RoleSpec:
    data = tomllib.loads(path.read_text("utf-8"))
    known = {"name", "description", "system_prompt", "model", "temperature"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _bad(path, "unknown_key", key=unknown[0], known=", ".join(sorted(known)))
    model = data.get("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise _bad(path, "model")
    temperature = data.get("temperature")
    if temperature is not None:
        if isinstance(temperature, bool) or not isinstance(temperature, int | float):
            raise _bad(path, "temperature")
        if not 0 <= temperature <= 2:
            raise _bad(path, "temperature.range")
    return RoleSpec(
        id=path.stem,
        name=_text(path, data, "name", True, 100),
        description=_text(path, data, "description", False, 300),
        system_prompt=_text(path, data, "system_prompt", True, MAX_PROMPT_CHARS),
        model=model.strip() if isinstance(model, str) else None,
        temperature=float(temperature) if temperature is not None else None,
        path=path,
    )


def load_roles(directory: Path, language: str = "en") -> tuple[list[RoleSpec], list[Problem]]:
    """The built-in roles and the user's (``directory/*.toml``), user files replacing
    built-ins of the same id.

    Returns:
        The roles (built-ins first, then the user's by name), and one problem per bad file.
    """
    roles = {role.id: role for role in builtin_roles(language)}
    failures: list[Problem] = []
    try:
        paths = sorted(directory.glob("*.toml"))
    except OSError:
        paths = []
    mine: list[RoleSpec] = []
    for path in paths:
        try:
            role = _parse(path)
        except InvalidValue as error:
            failures.append(error.problem)
            continue
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as error:
            failures.append(file_problem("role", path, error))
            continue
        if role.id in roles:
            roles[role.id] = role
        else:
            mine.append(role)
    mine.sort(key=lambda role: role.name.casefold())
    return [*roles.values(), *mine], failures


_NOT_ID = re.compile(r"[^\w-]+", re.UNICODE)


def role_file_id(name: str, taken: set[str]) -> str:
    """A file stem for a new role called ``name``, not in ``taken``."""
    stem = _NOT_ID.sub("-", name.strip().lower()).strip("-_")[:40].strip("-_") or "role"
    candidate, number = stem, 2
    while candidate in taken:
        candidate, number = f"{stem}-{number}", number + 1
    return candidate


def save_role(directory: Path, role: RoleSpec) -> Path:
    """Write ``role`` to ``directory/<id>.toml`` (atomically) and return the path.

    Raises:
        RolesError: the directory or the file could not be written.
    """
    data: dict[str, object] = {
        "name": role.name.strip(),
        "description": role.description.strip(),
        "system_prompt": role.system_prompt.strip(),
    }
    if role.model:
        data["model"] = role.model
    if role.temperature is not None:
        data["temperature"] = role.temperature
    path = directory / f"{role.id}.toml"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(path, tomli_w.dumps(data, multiline_strings=True).encode("utf-8"), 0o600)
    except OSError as error:
        reason = str(error.strerror or error)
        raise RolesError(Problem("role.save", {"path": str(path), "error": reason})) from None
    return path


def delete_role(role: RoleSpec) -> None:
    """Remove a user role's file.

    Raises:
        RolesError: it is a built-in role, or the file could not be removed.
    """
    if role.path is None:
        raise RolesError(Problem("role.builtin"))
    try:
        role.path.unlink(missing_ok=True)
    except OSError as error:
        reason = str(error.strerror or error)
        raise RolesError(
            Problem("role.delete", {"path": str(role.path), "error": reason})
        ) from None
