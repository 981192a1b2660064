"""The shape of the code base: no import cycles, layers that point one way, files of a readable
size, a short README with the rest in docs/."""

import ast
import re
from pathlib import Path

from tests.helpers import REPO

SOURCE = REPO / "src" / "emoscope"
MAX_LINES = 500
MAX_README_BYTES = 12 * 1024

# Lower layers never import higher ones.  Runtime (the model kinds and what they stand on) never
# imports features built on it; training and the CLI sit on top.
LAYERS = {
    "errors": 0, "protocol": 0, "persistence": 0, "runtime": 0, "card": 0, "metrics": 0, "calibration": 0,
    "taxonomy": 0, "io": 0, "version": 0, "lexical_files": 0, "model_dirs": 0,
    "text": 1, "speech": 1, "faces": 1,  # model kinds
    "data": 2,  # dataset readers
    "evaluate": 3, "batch": 3, "report": 3, "spark": 3, "serve": 3, "dialogue": 3,  # features
    "train": 4,
    "cli": 5, "__main__": 5,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> emoscope modules it imports, counting imports inside functions (a ``from pkg
    import name`` counts as importing ``pkg.name`` when that is a module, else ``pkg``)."""
    modules = {module_name(p): p for p in SOURCE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.split(".")[0] == "emoscope"}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != "emoscope":
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    targets.add(sub if sub in modules else target)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS["cli"] if len(parts) == 1 else LAYERS[parts[1]]


def test_no_import_cycle_between_emoscope_modules():
    graph = import_graph()
    assert len(graph) > 50
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_layers_point_one_way():
    graph = import_graph()
    unknown = {m.split(".")[1] for m in graph if "." in m} - set(LAYERS)
    assert not unknown, f"modules without a layer: {unknown}"
    upward = [f"{m} -> {t}" for m, targets in graph.items() for t in targets if layer(t) > layer(m)]
    assert upward == []


def test_no_source_file_is_over_500_lines():
    long = {str(p.relative_to(SOURCE)): n for p in SOURCE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_readme_is_short_and_its_links_into_docs_exist():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= MAX_README_BYTES
    links = re.findall(r"\]\((docs/[^)#]+)", readme)
    assert {"docs/cli.md", "docs/python.md", "docs/training.md", "docs/models.md", "docs/serving.md",
            "docs/spark.md", "docs/benchmarks.md"} <= set(links)
    for link in links:
        assert (REPO / link).is_file(), link
