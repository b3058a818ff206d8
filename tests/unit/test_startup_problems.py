"""Start-up problems are data: each class of warning is a Problem with its code and values,
worded in English exactly as before, and in Chinese under the zh catalog (paths, keys and values
kept as they are)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import chattui.ui.app  # noqa: F401 - declares every binding that [keys] may rebind
from chattui.core.config import ConfigError, load_settings, validate_value
from chattui.core.paths import Paths, PathsError
from chattui.core.problems import (
    ErrorKind,
    InvalidValue,
    Problem,
    ProblemError,
    as_problem,
)
from chattui.core.profiles import parse_profiles
from chattui.core.roles import RolesError, RoleSpec, delete_role, load_roles
from chattui.core.services import Services
from chattui.core.themes import load_themes
from chattui.i18n import _, set_language
from chattui.ui.actions.keymap import check_keymap

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def zh() -> Iterator[None]:
    set_language("zh")
    yield
    set_language("en")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def only(problems: tuple[Problem, ...] | list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def warning_for(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> Problem:
    path = write(tmp_path / "config.toml", text)
    return only(load_settings(path, environ=environ or {}).warnings)


# -- config.toml, the environment, the command line -------------------------------------------


def test_a_quoted_number_is_config_not_number_worded_in_both_languages(
    tmp_path: Path, zh: None
) -> None:
    warning = warning_for(tmp_path, 'max_tokens = "300"\n')
    path = str(tmp_path / "config.toml")
    assert warning.code == "config.not_number" and warning.kind is ErrorKind.CONFIG
    assert dict(warning.values) == {
        "source": path,
        "key": "max_tokens",
        "value": "'300'",
        "number": "300",
    }
    assert warning.text() == (
        f"{path}: max_tokens: '300' is a string, not a number. "
        "Write the number without quotes: max_tokens = 300"
    )
    assert warning.text(_) == (
        f"{path}：max_tokens：'300' 是字符串，不是数字。请去掉引号直接写数字：max_tokens = 300"
    )


def test_a_bad_value_carries_its_reason_and_fix_as_problems(tmp_path: Path, zh: None) -> None:
    warning = warning_for(tmp_path, "temperature = 7\n")
    path = str(tmp_path / "config.toml")
    assert warning.code == "config.invalid"
    assert warning.values["key"] == "temperature" and warning.values["value"] == "7"
    assert warning.values["reason"] == Problem("config.reason.between", {"low": "0", "high": "2"})
    assert warning.values["fix"] == Problem("config.fix.temperature")
    assert str(warning) == (
        f"{path}: temperature: 7 must be between 0 and 2. "
        "Use a number from 0 to 2, or remove the line for the server default."
    )
    assert warning.text(_) == (
        f"{path}：temperature：7 必须在 0 到 2 之间。"
        "请使用 0 到 2 之间的数字，或删除这一行以使用服务器的默认值。"
    )


@pytest.mark.parametrize(
    ("line", "reason", "fix"),
    [
        ("max_tokens = 0", Problem("config.reason.positive"), "config.fix.max_tokens"),
        ("max_tokens = 10.5", Problem("config.reason.whole_number"), "config.fix.max_tokens"),
        ('base_url = "x"', Problem("config.reason.url"), "config.fix.base_url"),
        (
            'proxy = "ftp://h:1"',
            Problem("config.reason.proxy_scheme", {"schemes": "http, https, socks5, socks5h"}),
            "config.fix.proxy",
        ),
        ('proxy = "http://:1"', Problem("config.reason.proxy_host"), "config.fix.proxy"),
        ('proxy = "http://h:99999"', Problem("config.reason.proxy_port"), "config.fix.proxy"),
        ("model = 3", Problem("config.reason.string"), "config.fix.default"),
        ('model = " "', Problem("config.reason.not_empty"), "config.fix.default"),
        (
            'language = "fr"',
            Problem("config.reason.one_of", {"choices": "'auto', 'en', 'zh'"}),
            "config.fix.default",
        ),
        ("auto_title = 3", Problem("config.reason.bool"), "config.fix.auto_title"),
        ('timeout = "soon"', Problem("config.reason.number"), "config.fix.timeout"),
        ("models = 3", Problem("config.reason.models"), "config.fix.default"),
        ("keys = 3", Problem("config.reason.keys"), "config.fix.default"),
        (
            "[keys]\nsend = 3",
            Problem("config.reason.key_entry", {"action": "send"}),
            "config.fix.default",
        ),
    ],
)
def test_every_reason_is_its_own_code(
    tmp_path: Path, zh: None, line: str, reason: Problem, fix: str
) -> None:
    warning = warning_for(tmp_path, line + "\n")
    assert warning.code == "config.invalid"
    assert warning.values["reason"] == reason
    fix_problem = warning.values["fix"]
    assert isinstance(fix_problem, Problem) and fix_problem.code == fix
    assert CJK.search(warning.text(_)) and warning.text(_) != warning.text()


def test_a_setting_without_a_fix_of_its_own_names_its_default(tmp_path: Path) -> None:
    warning = warning_for(tmp_path, "model = 3\n")
    assert warning.values["fix"] == Problem("config.fix.default", {"default": "'gpt-4o-mini'"})
    assert str(warning).endswith("model: 3 must be a string. Default: 'gpt-4o-mini'.")


def test_unknown_setting_and_unusable_files(tmp_path: Path, zh: None) -> None:
    unknown = warning_for(tmp_path, "colour = 'red'\n")
    assert unknown.code == "config.unknown_setting" and unknown.values["key"] == "colour"
    assert "max_tokens" in str(unknown.values["known"])
    assert unknown.text(_).startswith(f"{tmp_path / 'config.toml'}：colour：未知的设置项。")

    not_toml = warning_for(tmp_path, "model = = broken")
    assert not_toml.code == "config.not_toml" and not_toml.values["file"] == str(
        tmp_path / "config.toml"
    )
    assert "不是有效的 TOML" in not_toml.text(_)

    path = tmp_path / "config.toml"
    path.write_bytes(b"model = '\xff'\n")
    not_utf8 = only(load_settings(path, environ={}).warnings)
    assert not_utf8 == Problem("config.not_utf8", {"file": str(path)})
    assert not_utf8.text(_) == f"{path}：不是 UTF-8 文本；已改用默认设置。请修正或删除该文件。"

    folder = tmp_path / "folder.toml"
    folder.mkdir()
    unreadable = only(load_settings(folder, environ={}).warnings)
    assert unreadable.code == "config.unreadable" and unreadable.values["file"] == str(folder)
    assert "无法读取" in unreadable.text(_)


def test_environment_and_command_line_sources_are_words_too(tmp_path: Path, zh: None) -> None:
    loaded = load_settings(
        tmp_path / "none.toml",
        environ={"CHATTUI_MAX_TOKENS": "lots"},
        overrides={"temperature": "9"},
    )
    environment, command_line = loaded.warnings
    assert environment.values["source"] == Problem("config.source.environment")
    assert command_line.values["source"] == Problem("config.source.command_line")
    assert str(environment).startswith("environment: max_tokens: 'lots' must be a whole number.")
    assert environment.text(_).startswith("环境变量：max_tokens：'lots' 必须是整数。")
    assert command_line.text(_).startswith("命令行：temperature：'9' 必须在 0 到 2 之间。")


def test_config_error_keeps_its_english_string_and_a_detail_for_forms(zh: None) -> None:
    with pytest.raises(ConfigError) as info:
        validate_value("max_tokens", "lots", "config.toml")
    error = info.value
    assert isinstance(error, ProblemError) and isinstance(error, ValueError)
    assert str(error) == (
        "config.toml: max_tokens: 'lots' must be a whole number. "
        "Use a whole number above 0, or remove the line to let the model decide."
    )
    assert error.key == "max_tokens" and error.problem.code == "config.invalid"
    assert error.detail.code == "config.value"
    assert (
        error.detail.text(_)
        == "'lots' 必须是整数。请使用大于 0 的整数，或删除这一行，由模型自行决定。"
    )


# -- profiles, services, paths, the log ---------------------------------------------------------


def test_profile_problems(zh: None) -> None:
    raw = {
        "ok": {"base_url": "http://localhost:11434/v1"},
        "typo": {"base_url": "https://x.example/v1", "modle": "x"},
        "broken": {"base_url": "ftp://nowhere"},
        "header": {"base_url": "https://x.example/v1", "headers": {"Host": "h"}},
        "empty": {"model": "m"},
        "bad name": {"base_url": "https://x.example/v1"},
        "flat": "https://x.example/v1",
    }
    good, problems = parse_profiles(raw, "/c/config.toml")
    assert list(good) == ["ok"]
    by_name = {str(problem.values["name"]): problem for problem in problems}
    assert {name: p.code for name, p in by_name.items()} == {
        "typo": "config.profiles.unknown_key",
        "broken": "config.profiles.invalid",
        "header": "config.profiles.invalid",
        "empty": "config.profiles.no_base_url",
        "bad name": "config.profiles.bad_name",
        "flat": "config.profiles.not_table",
    }
    assert all(problem.values["source"] == "/c/config.toml" for problem in problems)
    broken = by_name["broken"]
    assert broken.values["key"] == "base_url"
    detail = broken.values["detail"]
    assert isinstance(detail, Problem) and detail.code == "config.value"
    assert str(broken) == (
        "/c/config.toml: profiles.broken.base_url: 'ftp://nowhere' must start with http:// or "
        'https:// and name a host. Use a URL such as "https://api.openai.com/v1". '
        "This profile is not loaded."
    )
    assert by_name["broken"].text(_) == (
        "/c/config.toml：profiles.broken.base_url：'ftp://nowhere' 必须以 http:// 或 https:// "
        '开头并包含主机名。请使用类似 "https://api.openai.com/v1" 的 URL。此配置未加载。'
    )
    header = by_name["header"].values["detail"]
    assert isinstance(header, Problem) and header.code == "config.value.plain"
    assert header.values["reason"] == Problem("config.reason.header_reserved", {"name": "'Host'"})
    assert "'Host' 由 chattui 设置" in by_name["header"].text(_)
    assert parse_profiles(3, "f.toml")[1] == [
        Problem("config.profiles.not_tables", {"source": "f.toml"})
    ]


def test_services_report_profile_models_and_directory_problems(tmp_path: Path, zh: None) -> None:
    home = tmp_path / "home"
    write(
        home / "config" / "config.toml",
        'profile = "nope"\n[models."m"]\ncontext_window = "big"\n',
    )
    (home / "data").write_text("a file where the data dir goes")
    services = Services.load(environ={"CHATTUI_HOME": str(home)})
    codes = [warning.code for warning in services.warnings]
    assert codes == ["config.profile.missing", "config.models"], services.warnings
    missing = services.warnings[0]
    assert missing.values["name"] == "'nope'" and missing.values["defined"] == Problem(
        "config.none"
    )
    assert missing.text(_) == (
        f"{home / 'config' / 'config.toml'}：profile：没有名为 'nope' 的配置（已定义：无）；"
        "改用顶层的接口设置。"
    )
    assert services.warnings[1].text(_).startswith("config.toml [models]：")
    fatal = services.fatal
    assert fatal is not None and fatal.code == "files.no_saving"
    assert fatal.values["error"] == Problem("files.not_dir", {"path": str(home / "data")})
    assert fatal.text(_) == (
        f"{home / 'data'} 已存在但不是目录；请将其移走，或设置 CHATTUI_HOME。"
        "在解决此问题之前，对话无法保存。"
    )


def test_paths_error_is_a_problem_and_an_os_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError) as info:
        Paths.discover({"CHATTUI_HOME": str(tmp_path)}).ensure(blocker / "below")
    error = info.value
    assert isinstance(error, PathsError)
    assert error.problem.code == "files.cannot_create"
    assert str(error).startswith(f"Cannot create {blocker / 'below'}: ")


def test_an_unwritable_log_is_a_files_problem(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "cache").mkdir(parents=True)
    (home / "cache" / "chattui.log").mkdir()  # a directory where the log file goes
    services = Services.load({"log_level": "debug"}, environ={"CHATTUI_HOME": str(home)})
    services.start_log()
    problem = services.warnings[-1]
    assert problem.code == "files.log" and problem.values["path"] == str(
        home / "cache" / "chattui.log"
    )


# -- theme and role files, [keys] -------------------------------------------------------------


def test_theme_problems(tmp_path: Path, zh: None) -> None:
    files = {
        "broken.toml": ("name = ", "theme.not_toml"),
        "noname.toml": ('name = ""\nprimary = "#123456"\n', "theme.name"),
        "flags.toml": ('dark = "yes"\nprimary = "#123456"\n', "theme.flags"),
        "typo.toml": ('primary = "#123456"\nbackgound = "#000"\n', "theme.unknown_key"),
        "short.toml": ('primary = "#12"\n', "theme.color"),
        "ansi.toml": ('ansi = true\nprimary = "red"\n', "theme.color.ansi"),
        "none.toml": ('background = "#000000"\n', "theme.no_primary"),
        "vars.toml": ('primary = "#123456"\nvariables = 3\n', "theme.variables"),
        "code.toml": ('primary = "#123456"\ncode_theme = 3\n', "theme.code_theme"),
    }
    for name, (text, _code) in files.items():
        write(tmp_path / name, text)
    specs, problems = load_themes([tmp_path])
    assert specs == []
    by_file = {Path(str(problem.values["path"])).name: problem for problem in problems}
    assert {name: problem.code for name, problem in by_file.items()} == {
        name: code for name, (_text, code) in files.items()
    }
    short = by_file["short.toml"]
    assert str(short) == (
        f"Theme {tmp_path / 'short.toml'}: 'primary' must be a colour like \"#1e1e2e\", not '#12'"
    )
    assert short.text(_) == (
        f"主题 {tmp_path / 'short.toml'}：'primary' 必须是 \"#1e1e2e\" 这样的颜色，而不是 '#12'"
    )
    assert all(CJK.search(problem.text(_)) for problem in problems)


def test_role_problems(tmp_path: Path, zh: None) -> None:
    files = {
        "broken.toml": ('name = "oops\n', "role.not_toml"),
        "typo.toml": ('name = "T"\nsystem_prompt = "x"\nprompt = "y"\n', "role.unknown_key"),
        "model.toml": ('name = "M"\nsystem_prompt = "x"\nmodel = ""\n', "role.model"),
        "temp.toml": ('name = "T"\nsystem_prompt = "x"\ntemperature = "hot"\n', "role.temperature"),
        "hot.toml": (
            'name = "H"\nsystem_prompt = "x"\ntemperature = 5\n',
            "role.temperature.range",
        ),
        "type.toml": ('name = 3\nsystem_prompt = "x"\n', "role.text"),
        "noname.toml": ('system_prompt = "x"\n', "role.text.required"),
        "long.toml": ('name = "' + "n" * 101 + '"\nsystem_prompt = "x"\n', "role.text.long"),
    }
    for name, (text, _code) in files.items():
        write(tmp_path / name, text)
    (tmp_path / "latin1.toml").write_bytes(b'name = "caf\xe9"\n')
    files["latin1.toml"] = ("", "role.not_utf8")
    (tmp_path / "dir.toml").mkdir()  # cannot be read as a file
    files["dir.toml"] = ("", "role.file")
    _roles, problems = load_roles(tmp_path, "zh")
    by_file = {Path(str(problem.values["path"])).name: problem for problem in problems}
    assert {name: problem.code for name, problem in by_file.items()} == {
        name: code for name, (_text, code) in files.items()
    }
    hot = by_file["hot.toml"]
    assert str(hot) == f"Role file {tmp_path / 'hot.toml'}: 'temperature' must be between 0 and 2"
    assert hot.text(_) == f"角色文件 {tmp_path / 'hot.toml'}：'temperature' 必须在 0 到 2 之间"
    assert by_file["long.toml"].values["limit"] == 100
    assert all(CJK.search(problem.text(_)) for problem in problems)

    with pytest.raises(RolesError) as info:
        delete_role(RoleSpec("coding", "Coding", "", "x", builtin=True))
    assert info.value.problem == Problem("role.builtin") and isinstance(info.value, OSError)
    assert info.value.problem.text(_) == "内置角色无法删除。"


def test_keys_problems(tmp_path: Path, zh: None) -> None:
    config = write(
        tmp_path / "config.toml",
        '[keys]\nfrobnicate = "f5"\nnew_conversaton = "f6"\nstop = "ctrl+nope"\nretry = "ctrl+l"\n',
    )
    keymap, problems = check_keymap(
        {"frobnicate": "f5", "new_conversaton": "f6", "stop": "ctrl+nope", "retry": "ctrl+l"},
        config,
    )
    assert keymap == {}
    assert [problem.code for problem in problems] == [
        "config.keys.unknown_action",
        "config.keys.unknown_action",
        "config.keys.bad_key",
        "config.keys.taken",
    ]
    readme, close = problems[0].values["hint"], problems[1].values["hint"]
    assert readme == Problem("config.keys.see_readme")
    assert isinstance(close, Problem) and close.code == "config.keys.did_you_mean"
    assert "new_conversation" in str(close.values["names"])
    assert str(problems[0]) == (
        f"{config}:2: unknown action 'frobnicate'; the README (Rebinding keys) lists every action"
    )
    assert problems[0].text(_) == (
        f"{config}:2：未知的操作 'frobnicate'；README 的“Rebinding keys”一节列出了所有操作"
    )
    assert problems[3].values["where"] == f"{config}:5"
    assert problems[3].text(_).startswith(f"{config}:5：retry：ctrl+l 已被 focus_log 占用")


# -- the mechanism ----------------------------------------------------------------------------


def test_nested_problems_survive_a_round_trip_and_word_in_one_language(zh: None) -> None:
    problem = Problem(
        "config.invalid",
        {
            "source": Problem("config.source.environment"),
            "key": "timeout",
            "value": "'x'",
            "reason": Problem("config.reason.number"),
            "fix": Problem("config.fix.timeout"),
        },
    )
    assert Problem.from_dict(problem.to_dict()) == problem
    assert (
        problem.text()
        == "environment: timeout: 'x' must be a number. Use a number of seconds, e.g. 60."
    )
    assert problem.text(_) == "环境变量：timeout：'x' 必须是数字。请填写秒数，例如 60。"
    assert problem.with_values(key="t").values["key"] == "t"


def test_sentences_not_yet_data_are_carried_as_they_are() -> None:
    problem = as_problem("profile work: api_key_command failed.")
    assert problem.code == "text" and problem.kind is ErrorKind.TEXT
    assert problem.text(_) == "profile work: api_key_command failed."
    assert as_problem(problem) is problem
    error = InvalidValue(Problem("config.reason.bool"))
    assert str(error) == "must be true or false" and isinstance(error, ValueError)


def test_a_key_that_types_text_cannot_run_a_main_screen_action(tmp_path: Path, zh: None) -> None:
    """Typed text never runs an action: a plain letter for one is refused (a dialog's own
    keys, like the role picker's, are not typing)."""
    config = write(tmp_path / "config.toml", '[keys]\nregenerate = "r"\nnew_role = "a"\n')
    keymap, problems = check_keymap({"regenerate": "r", "new_role": "a"}, config)
    assert keymap == {"new_role": "a"}
    assert [problem.code for problem in problems] == ["config.keys.types_text"]
    assert problems[0].text(_).startswith(f"{config}:2：regenerate：r 会输入文字")
    keymap, problems = check_keymap({"regenerate": "alt+g, f5"}, config)
    assert keymap == {"regenerate": "alt+g,f5"} and problems == []
