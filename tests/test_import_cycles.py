"""latentwalk's modules form no import cycle: every module imports on its own in a fresh interpreter
(none of ours loaded before it), and the graph of module-level imports among our modules, read from
the source with ast, has no cycle. A cycle that works only because one side imports the other at
its bottom fails here."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import latentwalk

# Import path == folder path: each package name and the folder it lives in.
ROOT = Path(latentwalk.__file__).resolve().parent.parent
PACKAGES = {"latentwalk": ROOT / "latentwalk", "latentwalk.engine": ROOT / "engine",
            "latentwalk.scenes": ROOT / "scenes", "latentwalk.vae": ROOT / "vae",
            "latentwalk.shaders": ROOT / "shaders", "latentwalk.assets": ROOT / "assets"}


def our_modules() -> dict[str, Path]:
    modules = {}
    for package, folder in PACKAGES.items():
        for file in folder.rglob("*.py"):
            parts = [part for part in file.relative_to(folder).with_suffix("").parts if part != "__init__"]
            modules[".".join([package, *parts])] = file
    return modules


def _module_level_imports(tree: ast.Module):
    """Import statements run when the module is imported: its body, and the bodies of top-level
    if/try blocks, except `if TYPE_CHECKING:` (never run)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody
                           + [stmt for handler in node.handlers for stmt in handler.body])


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph = {}
    for name, file in modules.items():
        package = name if file.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in _module_level_imports(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
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
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_latentwalk_modules():
    modules = our_modules()
    assert "latentwalk.scenes.explorer.core.apply" in modules and len(modules) > 100
    graph = import_graph(modules)
    assert graph["latentwalk.scenes.explorer.core.apply"], "the graph sees apply.py's imports"
    assert cycles(graph) == []


ISOLATED = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "latentwalk" or m.startswith("latentwalk.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_on_its_own_in_a_fresh_interpreter():
    """One interpreter for all of them (third-party packages stay loaded, ours are dropped before each)."""
    names = sorted(name for name in our_modules() if not name.endswith("__main__"))
    result = subprocess.run([sys.executable, "-c", ISOLATED, *names], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYGAME_HIDE_SUPPORT_PROMPT": "1"})
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
