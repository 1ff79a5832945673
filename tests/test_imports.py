"""The layers of `autograd/` import bottom-up: no import cycle, and every module imports alone.

STYLE 10: the node at the bottom, the ops above it, the passes above those, the tools on top.
The one back edge Python forces is `value -> ops` (a Value's operators call the ops, and the ops
make Values); it sits at the bottom of value.py and is the only edge allowed to close a cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autograd"
ALLOWED_BACK_EDGES = {("autograd.value", "autograd.ops")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


MODULES = sorted(_module_name(p) for p in PACKAGE.rglob("*.py"))
PACKAGES = {_module_name(p) for p in PACKAGE.rglob("__init__.py")}


def _imports_at_import_time(path: Path) -> set[str]:
    """The autograd modules a module imports: at module level and inside its functions alike
    (an import in a function is an edge too, taken later), not under `if TYPE_CHECKING:`."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    for statement in ast.walk(tree):
        if id(statement) in checking:
            continue
        if isinstance(statement, ast.Import):
            found |= {alias.name for alias in statement.names}
        elif isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
            for alias in statement.names:
                whole = f"{statement.module}.{alias.name}"
                found.add(whole if whole in MODULES else statement.module)
    return {name for name in found if name in MODULES}


def _graph() -> dict[str, set[str]]:
    """module -> the autograd modules it imports at import time. A package's __init__ is a
    facade that re-exports its modules, so packages are left out (as importers and imported)."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: _imports_at_import_time(path) - PACKAGES
        for name, path in paths.items()
        if name not in PACKAGES
    }


def _a_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph as a path [a, b, ..., a], or None (an iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(step) == 1:
                return path[path.index(step) :] + [step]
            elif step not in state:
                state[step] = 1
                path.append(step)
                stack.append(iter(sorted(graph.get(step, ()))))
    return None


def test_the_import_graph_has_no_cycle_but_the_documented_back_edge() -> None:
    graph = _graph()
    for importer, imported in ALLOWED_BACK_EDGES:
        assert imported in graph[importer], "the documented back edge is gone: update this test"
        graph[importer] = graph[importer] - {imported}
    assert _a_cycle(graph) is None, f"an import cycle in autograd/: {_a_cycle(graph)}"


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _a_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_back_edge_is_the_only_one_into_ops_from_below() -> None:
    """Nothing the ops import (value, the modes, the anomaly hooks) imports the pass or a tool."""
    graph = _graph()
    below_ops = {"autograd.value", "autograd._modes", "autograd.anomaly"}
    for module in below_ops:
        assert graph[module] <= below_ops | {"autograd.ops"}, (module, graph[module])


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
