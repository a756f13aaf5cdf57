"""The package layout: imports run one way, no circles, no private name crosses a module.

Parses every module of ``src/parcs`` (imports under ``if TYPE_CHECKING:`` are ignored: they
never run). The layers, lowest first (DESIGN.md and the README):

    errors  →  settings, _log, _atomic, _validate  →  _data  →  _kernels  →  profiles  →
    graph  →  csr  →  io  →  network  →  routing  →  junctions | links  →  maps  →  cli

A module may import its own unit and the units below it; ``junctions`` and ``links`` do not
import each other. Private names (``_x``) are never imported from another module; a private
submodule (``parcs.routing._net``) is imported only from inside its own package, while the
top-level private modules (``parcs._log``...) serve everyone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "parcs"
LAYERS = [
    {"errors"},
    {"settings", "_log", "_atomic", "_validate"},
    {"_data"},
    {"_kernels"},
    {"profiles"},
    {"graph"},
    {"csr"},
    {"io"},
    {"network"},
    {"routing"},
    {"junctions", "links"},
    {"maps"},
    {"cli"},
    {"__main__"},
]
MAX_FUNCTION_LINES = 120  # code lines of one function, docstring excluded


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in SRC.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Yield (module, name or None, lineno) of every runtime import in `tree`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)  # the else branch runs
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, None, child.lineno
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                for alias in child.names:
                    yield child.module, alias.name, child.lineno
            stack.append(child)


def _target(module: str, name: str | None) -> str:
    """The parcs module an import statement loads (a submodule when `name` is one)."""
    if name is not None and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _layer(unit: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def _edges():
    for module, path in sorted(MODULES.items()):
        for imported, name, line in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if imported == "parcs" or imported.startswith("parcs."):
                target = _target(imported, name)
                is_module = target != imported or name is None
                yield module, target, None if is_module else name, f"{path.name}:{line}"


def test_every_unit_has_a_layer():
    units = {_unit(m) for m in MODULES} - {""}
    assert units <= set().union(*LAYERS), units - set().union(*LAYERS)


def test_no_import_circle():
    graph = nx.DiGraph()
    for module, target, _name, _where in _edges():
        if target != module and target != "parcs":
            graph.add_edge(module, target)
    cycles = list(nx.simple_cycles(graph))
    assert cycles == []


def test_imports_run_down_the_layers():
    bad = []
    for module, target, _name, where in _edges():
        src, dst = _unit(module), _unit(target)
        if not src or not dst or src == dst:
            continue
        if _layer(dst) >= _layer(src):
            bad.append(f"{where}: {module} imports {target} ({src} may not import {dst})")
    assert bad == []


def test_no_private_name_crosses_a_module():
    bad = []
    for module, target, name, where in _edges():
        parts = target.split(".")
        private_module = [p for p in parts[2:] if p.startswith("_")]  # parcs.pkg._mod
        if private_module:
            package = ".".join(parts[: parts.index(private_module[0])])
            if not (module == package or module.startswith(package + ".")):
                bad.append(f"{where}: {module} imports the private module {target}")
        if name and name.startswith("_") and not name.startswith("__") and target != module:
            bad.append(f"{where}: {module} imports the private name {name} from {target}")
    assert bad == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_functions_are_short(module):
    long = []
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                lines -= body[0].end_lineno - body[0].lineno + 1
            if lines > MAX_FUNCTION_LINES:
                long.append(f"{node.name} ({lines} lines)")
    assert long == []


def test_the_checks_catch_what_they_look_for(tmp_path):
    """The rules above fail on a module that breaks them (so they can fail)."""
    code = (
        "from parcs.routing._net import Net\n"
        "from parcs.links.candidates import _resolve\n"
        "from parcs import maps\n"
    )
    found = list(_imports(ast.parse(code)))
    assert [(m, n) for m, n, _ in found] == [
        ("parcs.routing._net", "Net"),
        ("parcs.links.candidates", "_resolve"),
        ("parcs", "maps"),
    ]
    assert _target("parcs", "maps") == "parcs.maps"
    assert _layer(_unit("parcs.maps")) > _layer(_unit("parcs.junctions.design"))
    typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from parcs.cli import main\n"
    assert list(_imports(ast.parse(typed))) == [("typing", "TYPE_CHECKING", 1)]
