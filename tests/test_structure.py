"""The house's structure, read from the source (nothing here imports the code it checks).

- no import circle among the modules of `server/`, `sync/` and `forms/`;
- no module of `server/models` imports a service: models import only models, the
  database set-up, the extensions and the domain errors (and the standard library and
  third-party packages);
- no file of `server/`, `sync/`, `forms/` or `static/pwa/js` is longer than 400 lines.

An import is any `import` statement anywhere in a module: at the top, inside a function
(a deferred import is how a circle hides, not how it ends) or under `TYPE_CHECKING`.
`from package import name` imports the submodule `package.name` when there is one, else
the package itself. Importing a module does not count as importing its parent packages'
`__init__.py` (every module would then import `server/__init__.py`, which holds the app
factory, and the graph would say nothing).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "sync", "forms")
MAX_LINES = 400
LINE_CHECKED = ("server", "sync", "forms", "static/pwa/js")
SKIPPED_DIRS = {"__pycache__", "node_modules"}
MODELS = "server.models"
MODELS_MAY_IMPORT = ("server.models", "server.database", "server.extensions", "server.errors")


@dataclass(frozen=True)
class Import:
    source: str  # module name
    target: str  # module name
    line: int


def _files(top: Path, suffix: str | None = None):
    for path in sorted(top.rglob("*")):
        if not path.is_file() or SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
            continue
        if suffix is None or path.suffix == suffix:
            yield path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path
            for package in PACKAGES for path in _files(ROOT / package, ".py")}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """Every import of one module that names a module of the house."""
    is_package = path.name == "__init__.py"
    found = []

    def add(target: str, node: ast.AST) -> None:
        if target in modules and target != name:
            found.append(Import(name, target, node.lineno))

    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[:len(package) - (node.level - 1)]
                base = ".".join(package + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in modules else base, node)
    return found


def import_graph() -> tuple[dict[str, Path], list[Import]]:
    modules = _modules()
    edges = {edge for name, path in modules.items() for edge in _imports(name, path, modules)}
    return modules, sorted(edges, key=lambda e: (e.source, e.target, e.line))


def circles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    graph = defaultdict(set)
    for edge in edges:
        graph[edge.source].add(edge.target)
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
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
    return sorted(found)


def _where(modules: dict[str, Path], edge: Import) -> str:
    return f"{modules[edge.source].relative_to(ROOT)}:{edge.line}"


def test_no_import_circles():
    modules, edges = import_graph()
    report = []
    for component in circles(edges):
        members = set(component)
        report.append(f"circle of {len(component)} modules: {', '.join(component)}")
        report += [f"    {edge.source} -> {edge.target}  ({_where(modules, edge)})"
                   for edge in edges if edge.source in members and edge.target in members]
    assert not report, "import circles:\n" + "\n".join(report)


def test_models_import_no_service():
    modules, edges = import_graph()
    inside = (MODELS, MODELS + ".")
    allowed = MODELS_MAY_IMPORT + tuple(m + "." for m in MODELS_MAY_IMPORT)
    bad = [f"    {edge.source} -> {edge.target}  ({_where(modules, edge)})"
           for edge in edges
           if edge.source.startswith(inside) and not edge.target.startswith(allowed)]
    assert not bad, ("models import only models, server.database, server.extensions and "
                     "server.errors; these import more:\n" + "\n".join(bad))


def _line_count(path: Path) -> int | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None  # not text
    return len(data.decode("utf-8", "replace").splitlines())


def test_no_file_over_400_lines():
    long = []
    for top in LINE_CHECKED:
        for path in _files(ROOT / top):
            lines = _line_count(path)
            if lines is not None and lines > MAX_LINES:
                long.append(f"    {path.relative_to(ROOT)}: {lines} lines")
    assert not long, f"files over {MAX_LINES} lines:\n" + "\n".join(long)


# -- the reader itself -------------------------------------------------------------------

def test_the_reader_resolves_relative_deferred_and_submodule_imports(tmp_path, monkeypatch):
    """A small fake house: each form of import lands on the module it names."""
    files = {
        "server/__init__.py": "",
        "server/a.py": "from . import b\nfrom .c import thing\n",
        "server/b.py": "def f():\n    from server.pkg import sub\n",
        "server/c.py": "import server.pkg\nthing = 1\n",
        "server/pkg/__init__.py": "from .sub import x\nfrom .. import a\n",
        "server/pkg/sub.py": "from ..pkg import name_in_init\nimport os\nx = 1\n",
        "sync/__init__.py": "",
        "forms/__init__.py": "",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    _modules_, edges = import_graph()
    got = {(e.source, e.target) for e in edges}
    assert got == {("server.a", "server.b"), ("server.a", "server.c"),
                   ("server.b", "server.pkg.sub"), ("server.c", "server.pkg"),
                   ("server.pkg", "server.pkg.sub"), ("server.pkg", "server.a"),
                   ("server.pkg.sub", "server.pkg")}
    assert circles(edges) == [["server.a", "server.b", "server.c", "server.pkg",
                               "server.pkg.sub"]]
