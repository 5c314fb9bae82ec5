"""No module of the app imports itself back, directly or through others.

A cycle hides in a function-level import as well as in a top-level one (the
old ``balance`` ↔ ``sending`` modules used one), so every ``import``
statement of every module counts, wherever it sits. Each module is also
imported for real, so the walk cannot pass over a module Python cannot load.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = "saleor_sms_app"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def _module_names() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    names: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _imported(module: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``module`` imports anywhere in its body.

    ``from a.b import c`` is an import of ``a.b.c`` when that is a module and of
    ``a.b`` otherwise; relative imports are resolved against ``module``.
    """
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                if not is_package:
                    anchor.pop()
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in known else base)
    return {name for name in found if name in known and name != module}


def _graph() -> dict[str, set[str]]:
    modules = _module_names()
    known = set(modules)
    return {name: _imported(name, path, known) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules (Tarjan), as a readable path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(graph, group) for group in groups]


def _path_through(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A concrete loop inside ``group``, starting and ending at its first module."""
    start = min(group)
    trail = [start]
    seen = {start}
    node = start
    while True:
        targets = sorted(graph[node] & group)
        if start in targets and len(trail) > 1:
            return [*trail, start]
        unseen = [t for t in targets if t not in seen]
        node = unseen[0] if unseen else targets[0]
        if node in seen:
            return [*trail, node]
        trail.append(node)
        seen.add(node)


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    """The walker counts imports inside functions, resolves relative and ``from`` imports."""
    graph = {
        "p.a": {"p.b"},
        "p.b": {"p.c"},
        "p.c": {"p.a"},
        "p.d": {"p.a"},
    }
    assert find_cycles(graph) == [["p.a", "p.b", "p.c", "p.a"]]
    assert find_cycles({"p.a": {"p.b"}, "p.b": set()}) == []

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "one.py").write_text("def f():\n    from pkg import two\n")
    (package / "two.py").write_text("from .one import f\n")
    known = {"pkg", "pkg.one", "pkg.two"}
    assert _imported("pkg.one", package / "one.py", known) == {"pkg.two"}
    assert _imported("pkg.two", package / "two.py", known) == {"pkg.one"}


def test_no_module_of_the_app_imports_itself_back() -> None:
    graph = _graph()
    assert len(graph) > 40  # the walk found the package
    cycles = find_cycles(graph)
    assert cycles == [], "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


@pytest.mark.parametrize("module", sorted(_module_names()))
def test_every_module_imports(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # ``rq_config`` validates the environment when RQ's CLI loads it; give it one.
    monkeypatch.setenv("APP_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    importlib.import_module(module)
