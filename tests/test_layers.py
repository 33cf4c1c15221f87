"""The package's modules import one another without a cycle, counting the imports a function makes
late (for start-up time) as well as those at the top of a module, and a name taken from the
package itself (``from . import build``) as the module ``feeds/__init__.py`` loads it from; only
``if TYPE_CHECKING:`` blocks, which never run, are left out. Not seen: ``formats``' registry names
its writers and checkers as ``"module:function"`` text, imported when first called (edges up to
``write``, ``jsonfeed`` and ``validate`` on purpose). No cycle is what is checked, and the edges
that once pointed up (below); which layer each module is in is not written down here."""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "feeds"


def _module_name(file: Path) -> str:
    parts = file.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(file): file for file in PACKAGE.rglob("*.py")}


def _exports() -> dict[str, str]:
    """The names ``feeds/__init__.py`` loads on first use (``_EXPORTS``), each with its module."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in node.targets):
            return {name: f"feeds.{module}" for name, module in ast.literal_eval(node.value).items()}
    raise AssertionError("feeds/__init__.py has no _EXPORTS: the test must learn how the package exports")


EXPORTS = _exports()


def _targets(node: ast.ImportFrom, package: str) -> list[str]:
    """The package's modules ``node`` imports: ``from .x import y`` is x, or x.y when y is a module."""
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    found = [module] if module in MODULES else []
    if module == "feeds":  # a name the package loads from one of its modules
        found += [EXPORTS[alias.name] for alias in node.names if alias.name in EXPORTS]
    return found + [f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in MODULES]


def _imports(name: str) -> set[str]:
    file = MODULES[name]
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(file.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            pending += node.orelse
            continue
        if isinstance(node, ast.ImportFrom):
            found.update(_targets(node, package))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
        pending += ast.iter_child_nodes(node)
    found.discard(name)
    # a module imports its package's __init__ too, which never adds a real edge back down
    return {target for target in found if not name.startswith(target + ".")}


GRAPH = {name: _imports(name) for name in MODULES}


def test_the_package_has_no_import_cycle() -> None:
    graphlib.TopologicalSorter(GRAPH).prepare()  # raises CycleError, naming the cycle


def test_the_finder_sees_what_the_modules_import() -> None:
    """The graph is the real one: a late import, a relative import of a sibling module and one from a
    subpackage are all edges (else the test above could pass on an empty graph)."""
    assert "feeds.render" in GRAPH["feeds.workers"] | GRAPH["feeds.pipeline"] | GRAPH["feeds.reading"]
    assert "feeds.posts" in GRAPH["feeds.sources"] | GRAPH["feeds.reading"]
    assert any(target.startswith("feeds.kramdown") for target in GRAPH["feeds.render"])
    assert "feeds.pipeline" in GRAPH["feeds.cli"]
    assert sum(map(len, GRAPH.values())) > 2 * len(GRAPH)


def test_a_cycle_would_be_found() -> None:
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter({**GRAPH, "feeds.config": GRAPH["feeds.config"] | {"feeds.pipeline"}}).prepare()


def test_a_name_taken_from_the_package_is_an_edge_to_its_module() -> None:
    """``from . import build`` inside a function of ``config`` would be config -> pipeline."""
    node = ast.parse("from . import build, __version__").body[0]
    assert isinstance(node, ast.ImportFrom) and _targets(node, "feeds") == ["feeds", "feeds.pipeline"]


@pytest.mark.parametrize("low, high", [("feeds.reading", "feeds.shortcut"), ("feeds.sources", "feeds.shortcut"),
                                       ("feeds.archives", "feeds.group")])
def test_the_read_stage_and_the_feed_specs_point_down(low: str, high: str) -> None:
    """Two edges that once pointed up: the read stage signed files with the shortcut's functions, and
    ``group`` hid a cycle with ``archives`` behind a late import."""
    assert high not in _reachable(low)


def _reachable(start: str) -> set[str]:
    seen: set[str] = set()
    pending = [start]
    while pending:
        for target in GRAPH[pending.pop()] - seen:
            seen.add(target)
            pending.append(target)
    return seen
