"""Reading a module's imports from its source (for the tests that check the package's
layers and the op modules' import order), without importing it."""

from __future__ import annotations

import ast
from collections.abc import Iterator


def runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:``: an import there names a type for
    checkers (``Tensor._grad_fn: Node | None``) and never runs, so it adds no dependency."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) \
                and node.test.id == "TYPE_CHECKING":
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return (n for n in ast.walk(tree) if id(n) not in skip)
