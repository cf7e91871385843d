"""The shape of the code: no import cycles among the project's modules, and the apps layered
grids <- cases <- incidents <- mediators <- config (places know nothing of cases)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["grids", "cases", "incidents", "mediators", "stats", "config"]
LAYER = {app: i for i, app in enumerate(APPS)}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """{module: project modules it imports}, every import at any depth (lazy ones included)."""
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[_module_name(path)] = path
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                # importing a.b.c runs a/__init__, a/b/__init__ and a/b/c
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    candidate = ".".join(parts[:i])
                    # a module's own packages are already imported when it runs
                    if candidate in modules and not (name == candidate or name.startswith(candidate + ".")):
                        edges.add(candidate)
        graph[name] = edges
    return graph


def find_cycle(graph):
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    stack = []

    def visit(node):
        colour[node] = GREY
        stack.append(node)
        for nxt in sorted(graph[node]):
            if colour[nxt] == GREY:
                return stack[stack.index(nxt):] + [nxt]
            if colour[nxt] == WHITE and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        colour[node] = BLACK
        return None

    for node in sorted(graph):
        if colour[node] == WHITE and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_sees_the_known_imports():
    graph = import_graph()
    assert "cases.permissions" in graph["cases.workflow"]
    assert "grids.access" in graph["cases.permissions"]
    assert len(graph) > 40


def test_no_module_imports_itself_round_a_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_below_it(app):
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items() if module.split(".")[0] == app
        for target in targets if LAYER[target.split(".")[0]] > LAYER[app]
    )
    assert wrong == []


def test_a_cycle_is_found_when_there_is_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
