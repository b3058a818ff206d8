"""No import circle anywhere in the package: every import counts, those inside functions and
under ``TYPE_CHECKING`` too (a circle hidden by a function-local import is still a circle).
The layers themselves are import-linter contracts in pyproject.toml (``lint-imports``)."""

from __future__ import annotations

import sys
from pathlib import Path

import grimp


def import_circles(package: str) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    graph = grimp.build_graph(package)
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return circles


def test_no_import_circle_in_the_package() -> None:
    assert import_circles("chattui") == []


def test_the_check_finds_a_circle(tmp_path: Path) -> None:
    """The check itself works: a circle through a function-local import is found."""
    package = tmp_path / "circular_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circular_pkg import b\n")
    (package / "b.py").write_text("def f() -> None:\n    from circular_pkg import a\n")
    sys.path.insert(0, str(tmp_path))
    try:
        assert import_circles("circular_pkg") == [["circular_pkg.a", "circular_pkg.b"]]
    finally:
        sys.path.remove(str(tmp_path))
