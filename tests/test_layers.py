"""The package's layers: a module imports only from its own layer or the ones below
(imports for type checkers alone, under ``if TYPE_CHECKING:``, do not count).

See DESIGN.md ("Layers"). Reading imports with ``ast`` keeps this check honest without
importing anything: the engine must never reach up into concrete ops, and the
one-page tape must stand alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from source_imports import runtime_nodes

PACKAGE = Path(__file__).resolve().parent.parent / "autograd_lab"

# Lowest first. A module's layer is that of the longest matching prefix.
LAYERS = [
    ("_dtypes", "_views", "_format", "_grad_state", "_shapes"),
    ("_tensor", "_bound_methods"),
    ("autograd",),
    ("_ops", "_creation"),
    ("_tensor_methods", "special"),
    ("nn", "optim", "library"),
    ("viz", "widgets", "trace", "onnx"),
    ("__init__",),
    # the curriculum's helpers use the whole public API (``al``), like a learner's code
    ("exercises", "notebooks"),
]
STANDALONE = {"tape"}  # teaching module: NumPy and the standard library only


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"module {module!r} is in no layer: add it to LAYERS in {__file__}")


def package_imports(path: Path, root: Path = PACKAGE) -> list[str]:
    """Modules of autograd_lab that ``path`` imports, as dotted names relative to the package."""
    rel_parts = path.relative_to(root).with_suffix("").parts
    here = list(rel_parts[:-1])
    found = []
    for node in runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else list(here)
                target = base + (node.module.split(".") if node.module else [])
                if not node.module:
                    found += [".".join(target + [a.name]) for a in node.names]
                else:
                    found.append(".".join(target))
            elif node.module and node.module.split(".")[0] == "autograd_lab":
                found.append(".".join(node.module.split(".")[1:]) or "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "autograd_lab":
                    found.append(".".join(alias.name.split(".")[1:]) or "__init__")
    return [f for f in found if f]


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_same_or_lower_layers(path):
    name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    imports = package_imports(path)
    if name.split(".")[0] in STANDALONE:
        assert imports == [], f"{name} must not import the rest of the package: {imports}"
        return
    if name.endswith("__init__") and "." not in name:
        return  # the package root re-exports everything
    mine = layer_of(name)
    for imported in imports:
        assert layer_of(imported) <= mine, (
            f"{name} (layer {mine}) imports {imported} (layer {layer_of(imported)}): "
            "lower layers must not import higher ones"
        )


def test_engine_knows_no_concrete_ops():
    engine = PACKAGE / "autograd" / "engine.py"
    assert not any(i.startswith("_ops") for i in package_imports(engine))


def test_import_reader_resolves_relative_imports(tmp_path):
    """The reader itself works, so a violation could not slip through unseen."""
    (tmp_path / "autograd").mkdir()
    fake = tmp_path / "autograd" / "engine.py"
    fake.write_text(
        "from .._ops import pointwise\nfrom .graph import Node\nfrom .. import _tensor\n")
    imports = package_imports(fake, root=tmp_path)
    assert imports == ["_ops", "autograd.graph", "_tensor"]
    assert layer_of("_ops") > layer_of("autograd.engine")
