"""Roles: built-ins in English and Chinese, the user's TOML files, bad files reported."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from chattui.core.roles import (
    RolesError,
    RoleSpec,
    builtin_roles,
    delete_role,
    load_roles,
    role_file_id,
    save_role,
)

USES = {"writing", "coding", "translate", "tutor", "support", "analysis"}


def test_builtins_in_english_and_chinese() -> None:
    english, chinese = builtin_roles("en"), builtin_roles("zh")
    assert {r.id for r in english} == {r.id for r in chinese} == USES
    for en, zh in zip(english, chinese, strict=True):
        assert en.id == zh.id and en.builtin and zh.builtin
        assert en.system_prompt.isascii() and len(en.system_prompt) > 100
        assert re.search(r"[\u4e00-\u9fff]", zh.name + zh.description + zh.system_prompt)
    assert builtin_roles("fr") == english


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, "utf-8")
    return path


def test_user_roles_and_bad_files(tmp_path: Path) -> None:
    roles_dir = tmp_path / "roles"
    write(
        roles_dir,
        "sql.toml",
        'name = "SQL reviewer"\ndescription = "Checks queries"\n'
        'system_prompt = """You review SQL.\nBe strict."""\nmodel = "gpt-4o"\ntemperature = 0.2\n',
    )
    write(roles_dir, "coding.toml", 'name = "My coder"\nsystem_prompt = "Only Rust."\n')
    write(roles_dir, "broken.toml", 'name = "oops\n')
    write(roles_dir, "noname.toml", 'system_prompt = "x"\n')
    write(roles_dir, "hot.toml", 'name = "Hot"\nsystem_prompt = "x"\ntemperature = 5\n')
    write(roles_dir, "typo.toml", 'name = "T"\nsystem_prompt = "x"\nprompt = "y"\n')
    write(roles_dir, "notes.txt", "not a role")
    roles, failures = load_roles(roles_dir, "en")
    by_id = {role.id: role for role in roles}
    assert set(by_id) == USES | {"sql"}
    sql = by_id["sql"]
    assert (sql.name, sql.model, sql.temperature, sql.builtin) == (
        "SQL reviewer",
        "gpt-4o",
        0.2,
        False,
    )
    assert sql.system_prompt == "You review SQL.\nBe strict." and sql.path == roles_dir / "sql.toml"
    assert by_id["coding"].name == "My coder" and not by_id["coding"].builtin  # replaces it
    assert [r.id for r in roles][-1] == "sql"  # the user's own after the built-ins
    assert len(failures) == 4
    joined = "\n".join(str(failure) for failure in failures)
    assert f"Role file {roles_dir / 'broken.toml'}: " in joined
    assert "noname.toml: 'name' is required" in joined
    assert "hot.toml: 'temperature' must be between 0 and 2" in joined
    assert "typo.toml: unknown key 'prompt'" in joined


def test_missing_directory_gives_the_builtins(tmp_path: Path) -> None:
    roles, failures = load_roles(tmp_path / "nothing", "zh")
    assert [r.id for r in roles] == [r.id for r in builtin_roles("zh")] and failures == []


def test_save_edit_and_delete(tmp_path: Path) -> None:
    roles_dir = tmp_path / "config" / "roles"
    role = RoleSpec(
        id=role_file_id("Email 润色!", set()),
        name="Email 润色",
        description="",
        system_prompt='Say "hi"\nthen """stop"""',
        temperature=0.7,
    )
    path = save_role(roles_dir, role)
    assert path.name == "email-润色.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = {r.id: r for r in load_roles(roles_dir)[0]}[role.id]
    assert (loaded.name, loaded.system_prompt, loaded.temperature) == (
        role.name,
        role.system_prompt,
        0.7,
    )
    assert role_file_id("Email 润色", {"email-润色"}) == "email-润色-2"
    assert role_file_id("???", set()) == "role"
    delete_role(loaded)
    assert not path.exists()
    with pytest.raises(RolesError, match="Built-in roles cannot be deleted"):
        delete_role(builtin_roles()[0])


def test_save_failure_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "roles"
    blocker.write_text("a file, not a directory")
    role = RoleSpec(id="x", name="x", description="", system_prompt="x")
    with pytest.raises(RolesError, match="Could not save the role"):
        save_role(blocker, role)
