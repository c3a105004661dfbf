"""The house rule: the core and the models know no screen, no queue and no network; the HTTP
face calls the core and never writes SQL or talks to the engine or a gateway; no module of
the package imports itself back through others."""
import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import tui_notifier
import tui_notifier.core as core

FORBIDDEN = ("textual", "huey", "requests", "aiohttp", "falcon", "waitress")
PACKAGE = Path(core.__file__).parent.parent
QUERY_METHODS = {"select", "insert", "insert_many", "insert_from", "update", "delete", "raw", "create",
                 "get", "get_or_none", "get_by_id", "execute_sql", "bulk_create", "delete_instance", "save"}


def _imported(modules: list[str], forbidden: tuple) -> str:
    """Which of `forbidden` importing `modules` in a fresh interpreter loads (none: all of
    them are clean, so the per-module search is needed only when something is pulled in)."""
    code = (
        "import sys, importlib\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_core_and_models_import_no_screen_queue_or_network():
    names = ["tui_notifier.models"] + sorted(
        f"tui_notifier.core.{m.name}" for m in pkgutil.iter_modules(core.__path__)
    )
    code = (
        "import sys, importlib\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core pulls in {out.stdout.strip()}"
    assert len(names) > 5


def _face_modules(face: str) -> list[Path]:
    return sorted((PACKAGE / face).rglob("*.py"))


@pytest.mark.parametrize("face", ["api", "cli", "tui"])
def test_faces_write_no_sql(face):
    """No query is built on a model class or run on the database from a face: the core does it."""
    offenders = []
    for path in _face_modules(face):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        models = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                  and node.module == "tui_notifier.models" for alias in node.names}
        models = {name for name in models if name[:1].isupper()} | {"database"}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in QUERY_METHODS and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in models):
                offenders.append(f"{path.name}:{node.lineno} {node.func.value.id}.{node.func.attr}()")
    assert not offenders, f"{face}/ writes SQL: {offenders}"


def test_the_api_imports_no_engine_gateway_or_network_client():
    modules = [".".join(("tui_notifier",) + path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
               for path in _face_modules("api")]
    forbidden = ("tui_notifier.delivery", "huey", "requests", "aiohttp", "textual")
    if _imported(modules, forbidden) == "":
        return
    pulling = {module: _imported([module], forbidden) for module in modules}
    assert not any(pulling.values()), f"the API pulls in {pulling}"


def _imports_of(path: Path, module: str, modules: set[str]) -> set[str]:
    """Every package module `module` imports, wherever in the file the import is written."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    root = Path(tui_notifier.__file__).parent
    files = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    modules = set(files)
    return {name: _imports_of(path, name, modules) for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_the_package_imports_itself_back_through_others():
    graph = import_graph()
    assert "tui_notifier.delivery.engine" in graph and graph["tui_notifier.delivery.engine"]
    assert cycles(graph) == []


def test_the_circle_check_sees_imports_made_inside_functions():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    tree_imports = _imports_of(Path(__file__), "tests.test_layering", {"ast", "tests.test_layering"})
    assert tree_imports == {"ast"}


def test_waking_the_engine_from_a_face_loads_no_http_client():
    code = "import sys, tui_notifier.delivery.queue; print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
