"""Imports point down and run in no circle (docs/architecture.md: "Imports only point down").

Read from the source with :mod:`ast`: every ``import`` counts, at module level, inside a function
(loaded lazily) or under ``TYPE_CHECKING`` alike, since each is a dependency of the code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
FRONT_ENDS = ("nqpf.cli", "nqpf.api", "nqpf.report")


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exists(name: str) -> bool:
    base = SRC.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    """``{module: modules of nqpf it imports}``; ``from pkg import mod`` names ``pkg.mod``."""
    out: dict[str, set[str]] = {}
    for path in sorted((SRC / "nqpf").rglob("*.py")):
        mod, deps = _module(path), set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("nqpf") and _exists(a.name)}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("nqpf"):
                subs = {f"{node.module}.{a.name}" for a in node.names if _exists(f"{node.module}.{a.name}")}
                deps |= subs or {str(node.module)}
        out[mod] = deps - {mod}
    return out


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan 1972)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_reads_the_imports_it_should() -> None:
    g = _graph()
    assert "nqpf.index.construction" in g["nqpf.index.result"]  # a module-level import
    assert "nqpf.index.coherence" in g["nqpf.index.result"]  # a lazy one, inside a method
    assert "nqpf.index.result" in g["nqpf.services"]  # one under TYPE_CHECKING
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles() -> None:
    """No modules import each other in a loop (index/result <-> build/batch/frozen, robustness
    backends <-> dask_backend and report <-> services/runs/productivity_job were such loops)."""
    circles = _circles(_graph())
    assert circles == []


@pytest.mark.parametrize("front", FRONT_ENDS)
def test_only_front_ends_import_front_ends(front: str) -> None:
    """The services, run folders and jobs compute and write tables; the front ends draw
    (the pages reach the jobs as arguments, nqpf.report.pages.RUN_PAGES)."""
    wrong = sorted(f"{m} -> {d}" for m, deps in _graph().items() if not m.startswith(FRONT_ENDS)
                   for d in deps if d.startswith(front))
    assert wrong == []
