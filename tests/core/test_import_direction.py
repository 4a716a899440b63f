"""Imports go one way: core <- ui <- widgets <- screens <- app <- cli (see the README's code map).

Read from the source with `ast`, so an import inside a function or under TYPE_CHECKING counts
too: a circle "only for type checking" is still a circle a reader has to untangle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tui

ROOT = Path(tui.__file__).parent

# package -> the tui packages its modules may import (besides their own)
ALLOWED = {
    "tui.core": set(),
    "tui.ui": {"tui.core"},
    "tui.widgets": {"tui.core", "tui.ui"},
    "tui.screens": {"tui.core", "tui.ui", "tui.widgets"},
    "tui.app": {"tui.core", "tui.ui", "tui.widgets", "tui.screens", "tui.config"},
    "tui.cli": {"tui.core", "tui.app", "tui.config"},
    "tui.config": {"tui.core"},
}
NO_UI_LIBRARIES = ("tui.core", "tui.config")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, absolute, wherever the import statement is."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{alias.name}" for alias in node.names}  # `from . import x`
    return found


def owner(module: str) -> str | None:
    for package in sorted(ALLOWED, key=len, reverse=True):
        if module == package or module.startswith(package + "."):
            return package
    return None


SOURCES = sorted(ROOT.rglob("*.py"))


def test_every_module_belongs_to_a_known_package():
    homeless = [module_name(p) for p in SOURCES
                if owner(module_name(p)) is None and module_name(p) not in ("tui", "tui.__main__")]
    assert homeless == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_follow_the_direction(path):
    me = owner(module_name(path))
    if me is None:
        return
    wrong = sorted({owner(m) for m in imports_of(path) if m.startswith("tui.")} - {me, None}
                   - ALLOWED[me])
    assert wrong == [], f"{module_name(path)} ({me}) may not import {wrong}"


@pytest.mark.parametrize("path", [p for p in SOURCES if owner(module_name(p)) in NO_UI_LIBRARIES],
                         ids=lambda p: module_name(p))
def test_core_imports_no_ui_library(path):
    ui = sorted(m for m in imports_of(path) if m.split(".")[0] in ("textual", "rich"))
    assert ui == [], f"{module_name(path)} imports {ui}"


def test_no_module_imports_itself_round_a_circle():
    graph = {module_name(p): {m for m in imports_of(p) if m in MODULES} for p in SOURCES}
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt.startswith(node + "."):
                continue  # a package's __init__ re-exporting its own modules
            if state.get(nxt) == 1:
                circles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert circles == []


MODULES = {module_name(p) for p in SOURCES}


def test_the_check_sees_relative_and_deferred_imports(tmp_path):
    fake = ROOT / "widgets" / "queue.py"  # a real module: its imports are known
    found = imports_of(fake)
    assert "tui.core.queue" in found and "tui.ui.bindings" in found
    assert owner("tui.screens.main") == "tui.screens" and owner("tui.core.store.tinydb") == "tui.core"
