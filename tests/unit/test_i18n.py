"""Every UI string goes through one function, and the Chinese catalog covers all of them."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import chattui
from chattui.core.events import ChatError, ErrorKind
from chattui.core.problems import PREFIXES, SUFFIXES, TEMPLATES, Problem
from chattui.core.settings import _FIXES
from chattui.i18n import _, get_language, ngettext, set_language
from chattui.locales.zh import CATALOG
from chattui.ui.clipboard import copied_notice
from chattui.ui.screens.settings import _FIELDS

PACKAGE = Path(chattui.__file__).parent


def translated_calls(name: str) -> list[list[str]]:
    """The string arguments of every call of ``name`` in the package."""
    calls = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id == name and node.args:
                args = [a.value for a in node.args if isinstance(a, ast.Constant)]
                calls.append([a for a in args if isinstance(a, str)])
    return calls


def ui_strings() -> set[str]:
    found = {args[0] for args in translated_calls("_") if args}
    found.update(args[1] for args in translated_calls("ngettext"))  # keyed by the plural
    for _key, label, placeholder in _FIELDS:
        found.update((label, placeholder))
    found.update(TEMPLATES.values(), SUFFIXES.values(), PREFIXES.values())  # errors' words
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_chinese_catalog_is_complete_and_consistent() -> None:
    strings = ui_strings()
    assert len(strings) > 80
    missing = sorted(strings - set(CATALOG))
    assert missing == []
    for english, chinese in CATALOG.items():
        assert fields(english) == fields(chinese), english
        assert re.search(r"[\u4e00-\u9fff]", chinese) or english == chinese or "{" in english


def test_counts_are_singular_for_one_in_english_and_take_a_measure_word_in_chinese() -> None:
    calls = translated_calls("ngettext")
    assert len(calls) >= 10 and all(len(args) == 2 for args in calls)
    for singular, plural in calls:
        assert fields(singular) == fields(plural) and singular != plural, plural
    one, two = ("{count} message", "{count} messages"), ("{n} chunk", "{n} chunks")
    assert ngettext(*one, 1) == "1 message" and ngettext(*one, 0) == "0 messages"
    assert ngettext(*two, 1, n="1") == "1 chunk" and ngettext(*two, 2, n=2) == "2 chunks"
    assert ngettext(*one, 1_000, count="1,000") == "1,000 messages"
    assert copied_notice("the reply", "one line", None) == "Copied the reply: 1 line (terminal)"
    try:
        set_language("zh")
        assert ngettext(*one, 1) == "1 条消息" and ngettext(*one, 3) == "3 条消息"
    finally:
        set_language("en")


def test_no_count_is_shown_with_a_bare_plural_noun() -> None:
    """``_("{count} messages")`` says "1 messages": counts go through ngettext."""
    nouns = r"(?:lines?|messages?|conversations?|images?|chunks?|models?|characters?)"
    two_or_more = {  # shown only for two and more
        "{id!r} matches {count} conversations.",
        "Exported {count} conversations to {path}",
        "{count} conversations have an id starting with {id} (see 'chattui export --list')",
    }
    texts = [args[0] for args in translated_calls("_") if args and args[0] not in two_or_more]
    assert [t for t in texts if re.search(r"\{\w+\} " + nouns, t)] == []


def test_switching_language() -> None:
    try:
        set_language("zh")
        assert get_language() == "zh"
        assert _("Settings") == "设置"
        assert _("{count} earlier messages not sent", count=3) == "3 条较早的消息未发送"
        set_language("xx")
        assert get_language() == "en" and _("Settings") == "Settings"
    finally:
        set_language("en")


def test_every_error_kind_has_words() -> None:
    codes = {code.split(".")[0] for code in TEMPLATES}
    assert codes == {kind.value for kind in ErrorKind}


def test_errors_are_worded_in_the_language_in_use() -> None:
    error = ChatError(ErrorKind.AUTH, status=401, detail="Incorrect API key provided: sk-...x")
    assert error.message == (
        "The API key was rejected (401). The server said: Incorrect API key provided: sk-...x"
    )
    assert error.problem == Problem("auth", {"detail": error.values["detail"], "status": 401})
    try:
        set_language("zh")
        assert error.problem.text(_) == (
            "API 密钥被拒绝 (401)。服务器消息：Incorrect API key provided: sk-...x"
        )
        proxied = ChatError(ErrorKind.TIMEOUT, "streaming", host="h:1", proxy="http://p:8")
        assert (
            proxied.problem.text(_)
            == "h:1 长时间没有发送后续内容；请稍后重试。（代理：http://p:8）"
        )
    finally:
        set_language("en")


def test_a_problem_survives_the_file_and_an_unknown_one_is_shown_as_is() -> None:
    problem = Problem("server", {"status": 503, "detail": "busy"})
    assert Problem.from_dict(problem.to_dict()) == problem
    assert Problem.from_dict({"code": 3}) is None
    assert Problem.from_dict({"code": "x.y", "values": {"text": "from a newer version"}}) == (
        Problem("x.y", {"text": "from a newer version"})
    )
    assert Problem("x.y", {"text": "from a newer version"}).text() == "from a newer version"


def test_every_error_template_has_chinese_words() -> None:
    """A template added without its zh entry (or with other fields) fails here, by code."""
    templates = {**TEMPLATES, **{f"suffix {k}": v for k, v in SUFFIXES.items()}}
    templates.update({f"prefix {k}": v for k, v in PREFIXES.items()})
    missing = sorted(code for code, english in templates.items() if english not in CATALOG)
    assert missing == []
    for code, english in templates.items():
        chinese = CATALOG[english]
        assert fields(chinese) == fields(english), code
        words = re.sub(r"\{[^}]*\}", "", english)
        if re.search(r"[A-Za-z]{3,}", words):  # not just fields and punctuation
            assert re.search(r"[\u4e00-\u9fff]", chinese), code
    for code, english in TEMPLATES.items():  # each formats cleanly, in both languages
        filled: dict[str, str | int | Problem] = {name: "X" for name in fields(english)}
        for words in (
            Problem(code, filled).text(),
            Problem(code, filled).text(CATALOG.__getitem__),
        ):
            assert not re.search(r"\{\w+\}", words), code  # every field filled


def _problem_codes() -> set[str]:
    """Every problem code the package names: ``Problem("code")``, and the helpers that build
    ``config.reason.*``, ``theme.*`` and ``role.*`` codes from a variant."""
    prefixes = {"_refuse": "config.reason.", "themes.py": "theme.", "roles.py": "role."}
    codes = {f"config.fix.{key}" for key in _FIXES}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            choices = [
                branch
                for arg in node.args
                for branch in ((arg.body, arg.orelse) if isinstance(arg, ast.IfExp) else (arg,))
            ]
            literals = [
                arg.value
                for arg in choices
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
            if node.func.id == "Problem" and literals:
                codes.add(literals[0])
            elif node.func.id == "_refuse" and literals:
                codes.add(prefixes["_refuse"] + literals[0])
            elif node.func.id == "_bad" and path.name in prefixes:
                codes.update(prefixes[path.name] + literal for literal in literals)
            elif node.func.id == "file_problem" and literals:
                codes.update(f"{literals[0]}.{end}" for end in ("not_utf8", "not_toml", "file"))
    return codes


def test_every_problem_the_code_raises_has_a_template() -> None:
    codes = _problem_codes()
    assert {"config.not_number", "config.reason.between", "theme.color", "role.not_toml"} <= codes
    assert sorted(codes - set(TEMPLATES)) == []
