"""The wheel holds everything chattui needs at run time, and installs into a clean venv.

Offline and fast: ``uv build`` (hatchling from uv's cache), a fresh venv with the wheel
installed without dependencies, and the development environment's site-packages lent for the
dependencies through a ``.pth`` file (a ``.pth`` file's own ``.pth`` files are not read, so the
checkout's editable install stays out of the way).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = shutil.which("uv")
UV_ENV = dict(os.environ)
"""The environment before the tests isolate HOME and XDG_*: where uv's cache really is."""

pytestmark = pytest.mark.skipif(UV is None, reason="uv is not installed")


def uv(*args: str, cwd: Path = ROOT) -> None:
    assert UV is not None
    result = subprocess.run(
        [UV, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL, env=UV_ENV,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_wheel_ships_themes_and_catalogs_and_installs_a_working_command(
    tmp_path: Path,
) -> None:
    uv("build", "--wheel", "--offline", "--quiet", "--out-dir", str(tmp_path / "dist"))
    [wheel] = (tmp_path / "dist").glob("chattui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    themes = {name for name in names if name.startswith("chattui/_themes/")}
    assert themes and all(name.endswith(".toml") for name in themes)
    sources = {path.name for path in (ROOT / "themes").glob("*.toml")}
    assert {Path(name).name for name in themes} == sources
    assert {"chattui/locales/zh.py", "chattui/core/catalog.toml", "chattui/py.typed"} <= names
    screen_css = {
        path.relative_to(ROOT).as_posix() for path in (ROOT / "chattui" / "ui").rglob("*.tcss")
    }
    assert "chattui/ui/main/main.tcss" in screen_css and screen_css <= names

    venv = tmp_path / "venv"
    uv("venv", "--offline", "--quiet", "--python", sys.executable, str(venv))
    python = venv / "bin" / "python"
    uv("pip", "install", "--offline", "--quiet", "--no-deps", "--python", str(python), str(wheel))
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(site, "dev-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    command = venv / "bin" / "chattui"
    version = subprocess.run(
        [str(command), "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert version.returncode == 0 and version.stdout.startswith("chattui "), version.stderr
    helped = subprocess.run([str(command), "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert helped.returncode == 0 and "ask" in helped.stdout and "open" in helped.stdout
    check = (
        "import chattui, sys\n"
        "from chattui.core.themes import bundled_themes_dir, load_themes\n"
        "from chattui.core.catalog import Catalog\n"
        "from chattui.locales.zh import CATALOG\n"
        "from chattui.ui.main.screen import MainScreen\n"
        "assert MainScreen.CSS_PATH.is_file(), MainScreen.CSS_PATH\n"
        "specs, failures = load_themes([bundled_themes_dir()])\n"
        "assert not failures, failures\n"
        "print(chattui.__file__, len(specs), len(CATALOG) > 100, Catalog.bundled() is not None)\n"
    )
    result = subprocess.run(  # not from the checkout: "-c" puts the cwd first on sys.path
        [str(python), "-c", check], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    where, count, has_zh, has_catalog = result.stdout.split()
    assert where.startswith(str(venv))  # the installed copy, not the checkout
    assert int(count) == len(sources) and has_zh == "True" and has_catalog == "True"
