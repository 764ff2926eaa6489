"""The core does not reach up into families: imports flow tasks/solvers -> studies -> figures, without cycles."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UPWARD = ("theorylab.tasks", "theorylab.solvers", "theorylab.studies")
ALLOWED = ("theorylab/studies/", "theorylab/testing/")          # the studies layer and test support


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] in ("tasks", "solvers"):
        parts = ["theorylab"] + parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, *, top_level_only: bool):
    """Absolute names imported by ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    pkg = _module_name(path).split(".")
    if path.name != "__init__.py":
        pkg = pkg[:-1]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom):
            base = pkg[: len(pkg) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            yield mod
            for a in node.names:                     # "from . import studies" imports a submodule
                yield f"{mod}.{a.name}"


def _sources():
    for folder in ("theorylab", "tasks", "solvers"):
        yield from (p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def test_core_does_not_import_tasks_solvers_or_studies():
    bad = []
    for path in (ROOT / "theorylab").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(ALLOWED) or rel == "theorylab/study.py":
            continue
        for name in _imports(path, top_level_only=False):
            if name.startswith(UPWARD):
                bad.append(f"{rel} imports {name}")
    assert not bad, "\n".join(bad)


def test_no_import_cycles_between_modules():
    modules = {_module_name(p): p for p in _sources()}
    graph = {}
    for name, path in modules.items():
        deps = set()
        for imp in _imports(path, top_level_only=True):
            while imp and imp not in modules:                   # "theorylab.nets.MLP" -> "theorylab.nets"
                imp = imp.rpartition(".")[0]
            if imp and imp != name and not name.startswith(imp + "."):   # a package importing its own parent
                deps.add(imp)
        graph[name] = deps
    state, stack, cycles = {}, [], []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in graph.get(n, ()):
            if state.get(m) == 1:
                cycles.append(stack[stack.index(m):] + [m])
            elif not state.get(m):
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if not state.get(n):
            visit(n)
    # a package's __init__ re-exporting its submodules is not a cycle: drop edges parent -> child
    real = [c for c in cycles if not all(b.startswith(a + ".") or a.startswith(b + ".") for a, b in zip(c, c[1:]))]
    assert not real, "import cycles: " + "; ".join(" -> ".join(c) for c in real)


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "paper_figs").rglob("*.py")))
def test_figure_modules_carry_no_hand_made_agreements_or_literal_thresholds(path):
    import re

    text = (ROOT / path).read_text()
    for pattern in (r"\bAgreement\(", r"np\.max\(np\.abs\(", r"threshold\s*=\s*[0-9.]"):
        assert not re.search(pattern, text), f"{path}: {pattern!r} (use theorylab.compare and testing.thresholds)"
