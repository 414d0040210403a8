"""The configuration code imports one way: validate <- config <- naming <- rules <- loader.

Every `import` is read with `ast`, wherever it stands (module level, inside a function, under
`if TYPE_CHECKING:`), and importing a submodule counts as importing its packages too (Python runs
their `__init__`). A lazy import inside a function hides a circle from Python, not from this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mdpool"

# Lower layers first; a module may import its own layer and the ones before it, never a later one.
LAYERS = [
    ("validate", lambda name: name == "mdpool.validate" or name.startswith("mdpool.validate.")),
    ("config", lambda name: name == "mdpool.config"),
    ("naming", lambda name: name == "mdpool.naming"),
    ("rules", lambda name: name == "mdpool.rules" or name.startswith("mdpool.rules.")),
    ("loader", lambda name: name == "mdpool.loader"),
]


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import: resolve it against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    with_packages = set(found)
    for module in found:
        parts = module.split(".")
        with_packages.update(".".join(parts[:end]) for end in range(1, len(parts)))
    return {m for m in with_packages if m in modules and m != name and not name.startswith(m + ".")}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(name: str) -> int | None:
    return next((rank for rank, (_, member) in enumerate(LAYERS) if member(name)), None)


def _reachable(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every module `start` imports, directly or not -> the module that imports it."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        current = todo.pop()
        for target in graph[current]:
            if target not in seen:
                seen[target] = current
                todo.append(target)
    return seen


def test_the_graph_sees_lazy_and_type_checking_imports():
    """The walk finds imports inside functions and under TYPE_CHECKING (the ones a circle hides in)."""
    graph = _graph()
    assert "mdpool.config" in graph["mdpool.doctor.context"]  # imported under TYPE_CHECKING there
    assert "mdpool.app" in graph["mdpool.synth"]  # imported inside _synthesize only
    assert "mdpool.constructs" in graph["mdpool.stacks.pool"]  # importing a submodule runs its package
    assert "mdpool.validate.formats" in graph["mdpool.rules.gallery"]  # `from mdpool.validate import formats`


def test_every_layer_imports_only_earlier_layers():
    graph = _graph()
    wrong = []
    for name in graph:
        rank = _layer(name)
        if rank is None:
            continue
        for target, via in _reachable(graph, name).items():
            target_rank = _layer(target)
            if target_rank is not None and target_rank > rank:
                wrong.append(f"{name} ({LAYERS[rank][0]}) reaches {target} ({LAYERS[target_rank][0]}) through {via}")
    assert wrong == []


def test_every_layer_is_present():
    graph = _graph()
    for label, member in LAYERS:
        assert any(member(name) for name in graph), label


def test_the_models_import_nothing_of_the_layers_above_even_lazily():
    """The circle this test was written for: config -> naming / rules lazily."""
    graph = _graph()
    reached = set(_reachable(graph, "mdpool.config"))
    assert not reached & {"mdpool.naming", "mdpool.rules", "mdpool.loader"}
    assert "mdpool.config" in graph["mdpool.naming"]
    assert {"mdpool.config", "mdpool.naming", "mdpool.rules"} <= set(_reachable(graph, "mdpool.loader"))


def test_the_images_stage_and_its_plan_import_one_way():
    """deploy.images (the stage) uses deploy.image_plan (its plan), never the other way round."""
    graph = _graph()
    assert "mdpool.deploy.image_plan" in graph["mdpool.deploy.images"]
    assert "mdpool.deploy.images" not in _reachable(graph, "mdpool.deploy.image_plan")
