"""Imports run one way, down: ``monev`` (core) → ``notifiers``, ``calendars``,
``reports`` → ``portal`` → ``tasks`` → ``flows`` → ``app``. Every module of the eight
packages is read with ``ast`` — imports at module level and inside functions alike
(one hidden in a function is still a dependency), those under ``if TYPE_CHECKING:``
not (they never run) — and the test fails on an import from a lower layer to a higher
one, between two packages of the same layer (siblings stay independent of each other),
or on any import cycle between modules."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"monev": 0, "notifiers": 1, "calendars": 1, "reports": 1, "portal": 2,
          "tasks": 3, "flows": 4, "app": 5}


@dataclass(frozen=True)
class Import:
    """One import of a first-party module, where it is written."""

    source: str  # importing module
    target: str  # imported module (a submodule when ``from pkg import sub`` names one)
    file: str
    line: int


def modules_of(root: Path) -> dict[str, tuple[str, str]]:
    """Module name → (file relative to root, source text) for the eight packages."""
    found: dict[str, tuple[str, str]] = {}
    for pkg in LAYERS:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = (str(path.relative_to(root)), path.read_text(encoding="utf-8"))
    return found


def _is_type_checking(node: ast.If) -> bool:
    return any(isinstance(n, ast.Name | ast.Attribute) and
               (getattr(n, "id", None) or getattr(n, "attr", None)) == "TYPE_CHECKING"
               for n in ast.walk(node.test))


def _known(name: str, modules: dict[str, tuple[str, str]]) -> str | None:
    """The module ``name`` is, or the nearest package above it that is ours."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(modules: dict[str, tuple[str, str]]) -> list[Import]:
    """Every first-party import of every module, at any depth of its code."""
    found: list[Import] = []
    for name, (file, text) in modules.items():
        package = name if file.endswith("__init__.py") else name.rpartition(".")[0]

        def visit(node: ast.AST, name: str = name, file: str = file,
                  package: str = package) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and _is_type_checking(child):
                    for other in child.orelse:
                        visit(other)
                    continue
                targets: list[str] = []
                line = getattr(child, "lineno", 0)
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        up = package.split(".")[:len(package.split(".")) - (child.level - 1)]
                        base = ".".join(up + ([base] if base else []))
                    targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                               for a in child.names]
                for target in targets:
                    known = _known(target, modules)
                    if known and known != name:
                        found.append(Import(name, known, file, line))
                visit(child)

        visit(ast.parse(text, file))
    return found


def layer_violations(found: list[Import]) -> list[str]:
    """Imports that go up, or sideways between two packages of one layer."""
    bad = []
    for imp in found:
        a, b = imp.source.split(".")[0], imp.target.split(".")[0]
        if LAYERS[b] > LAYERS[a] or (LAYERS[b] == LAYERS[a] and a != b):
            bad.append(f"{imp.file}:{imp.line}: {imp.source} (layer {LAYERS[a]}) imports "
                       f"{imp.target} (layer {LAYERS[b]})")
    return bad


def cycles(found: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        graph.setdefault(imp.source, set()).add(imp.target)
        graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        result.append(sorted(component))
    return result


def problems(modules: dict[str, tuple[str, str]]) -> list[str]:
    found = imports_of(modules)
    return layer_violations(found) + [f"import cycle: {' ↔ '.join(c)}" for c in cycles(found)]


def test_imports_run_one_way_down_without_cycles() -> None:
    modules = modules_of(ROOT)
    assert {"monev.engine.sweep", "app.cli", "portal.mount", "flows.monev_flows"} <= set(modules)
    assert len(imports_of(modules)) > 500  # the real graph, not an empty walk
    assert problems(modules) == []


def test_the_check_finds_upward_imports_and_cycles() -> None:
    """A synthetic tree: an upward import hidden in a function, a sideways one, a cycle
    through a package's __init__, and what must pass (TYPE_CHECKING, downward)."""
    modules = {
        "monev": ("monev/__init__.py", ""),
        "monev.engine": ("monev/engine/__init__.py", "from monev.engine import sweep\n"),
        "monev.engine.sweep": ("monev/engine/sweep.py",
                               "from typing import TYPE_CHECKING\n"
                               "from . import rules\n"
                               "if TYPE_CHECKING:\n    from portal.pages import Page\n"
                               "def run():\n    from portal.links import attach\n"),
        "monev.engine.rules": ("monev/engine/rules.py", "import monev.engine\n"),
        "reports": ("reports/__init__.py", ""),
        "reports.cycle": ("reports/cycle.py", "from notifiers import outbox\n"),
        "notifiers": ("notifiers/__init__.py", ""),
        "notifiers.outbox": ("notifiers/outbox.py", "from monev.engine.sweep import run\n"),
        "portal": ("portal/__init__.py", ""),
        "portal.links": ("portal/links.py", "from monev.engine.rules import x\n"),
        "portal.pages": ("portal/pages.py", ""),
    }
    found = problems(modules)
    assert found == [
        "monev/engine/sweep.py:6: monev.engine.sweep (layer 0) imports portal.links (layer 2)",
        "reports/cycle.py:1: reports.cycle (layer 1) imports notifiers.outbox (layer 1)",
        "import cycle: monev.engine ↔ monev.engine.rules ↔ monev.engine.sweep ↔ portal.links",
    ]


def test_the_app_process_loads_no_report_library(tmp_path: Path) -> None:
    """``monev up`` keeps the HTTP app in its supervisor all day: the libraries that
    make workbooks, charts, PDFs and plan readers (tens of MB each) load only in the
    process that makes one."""
    import json
    import os
    import subprocess
    import sys

    heavy = ("openpyxl", "numpy", "PIL", "lxml", "matplotlib", "weasyprint", "docx",
             "pdfplumber", "pypdfium2")
    code = ("import sys\nfrom monev.store.db import allow_creating_home\n"
            "allow_creating_home()\nfrom app.web import create_app\ncreate_app()\n"
            f"print([m for m in {heavy!r} if m in sys.modules])")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=ROOT,
                         env={**os.environ, "MONEV_HOME": str(tmp_path / "home")})
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads(res.stdout.strip().splitlines()[-1].replace("'", '"')) == []
