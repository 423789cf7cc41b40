"""The gateway's modules import each other in one direction: no cycles, and no layer imports
a higher one (CONTRIBUTING.md's layout: ``commands`` -> ``web`` -> ``db``).

The graph is read from the source with ``ast``, every import statement counted wherever it
stands (a function-local import is still an edge; it only hides it from a reader), except
those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gateway

PACKAGE = Path(gateway.__file__).parent
# Lowest first: a module of a layer may import its own layer and those before it.
LAYERS = ("gateway.db", "gateway.web", "gateway.commands")
# Edges that break the layering, each with the reason it is left. None today: keep it so.
KNOWN_LAYER_BREAKS: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    return skipped


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The gateway modules ``path`` imports (``from gateway.db import procedures`` is the
    module ``gateway.db.procedures``, ``from gateway.db.dburl import DatabaseUrl`` the
    module ``gateway.db.dburl``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return {name for name in found if name in known}


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(path, known) - {name} for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def layer(name: str) -> int | None:
    for rank, prefix in enumerate(LAYERS):
        if name == prefix or name.startswith(prefix + "."):
            return rank
    return None


def test_the_reader_counts_function_local_imports_and_skips_type_checking(tmp_path: Path) -> None:
    """An import inside a function is an edge (the kind that hid the cli cycle); one under
    TYPE_CHECKING is not; and a loop of three is found."""
    source = tmp_path / "m.py"
    source.write_text("from typing import TYPE_CHECKING\n"
                      "from gateway.db import procedures\n"
                      "if TYPE_CHECKING:\n    from gateway.web.routes import Route\n"
                      "def f():\n    from gateway.commands.base import CommandError\n", encoding="utf-8")
    known = {"gateway.db", "gateway.db.procedures", "gateway.web.routes", "gateway.commands.base"}
    assert imports_of(source, known) == {"gateway.db.procedures", "gateway.commands.base"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_gateway_has_no_import_cycles() -> None:
    found = cycles(graph())
    assert not found, "modules that import each other (directly or round a loop):\n" + "\n".join(
        " <-> ".join(group) for group in found)


def test_no_layer_imports_a_higher_one() -> None:
    breaks = {(source, target) for source, targets in graph().items() for target in targets
              if layer(source) is not None and layer(target) is not None
              and layer(target) > layer(source)}  # type: ignore[operator]
    assert breaks - KNOWN_LAYER_BREAKS == set(), "a lower layer imports a higher one"
    assert KNOWN_LAYER_BREAKS - breaks == set(), "fixed: take these out of KNOWN_LAYER_BREAKS"


def test_the_database_port_imports_neither_the_web_nor_the_commands() -> None:
    """Stricter than the list above allows: gateway/db has no exception at all."""
    for source, targets in graph().items():
        if layer(source) == 0:
            assert {t for t in targets if (layer(t) or 0) > 0} == set(), source
