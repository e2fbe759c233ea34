"""Static types: the Tensor methods bound at import time are visible to type checkers, and
mypy passes over autograd_lab/ and over the README's Python examples.

The methods ``_tensor_methods.py`` binds with ``setattr`` are declared for checkers in the
generated stub ``autograd_lab/_tensor.pyi`` (tools/gen_tensor_stub.py); the first tests
keep it from going stale.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "autograd_lab" / "_tensor.py"
STUB = ROOT / "autograd_lab" / "_tensor.pyi"
GENERATOR = ROOT / "tools" / "gen_tensor_stub.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_tensor_stub", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _names(path: Path) -> tuple[set[str], set[str]]:
    """The members of class Tensor and the module-level functions ``path`` defines."""
    tree = ast.parse(path.read_text())
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor"]
    members = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            members.add(node.name)
        elif isinstance(node, ast.Assign):
            members |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            members.add(node.target.id)
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return members, functions


def test_stub_lists_exactly_the_class_and_the_bound_methods():
    from autograd_lab import _tensor_methods as m

    own, functions = _names(SOURCE)
    expected = own | set(m._METHODS) | set(m._OPERATORS) | {"T", "mT"}
    stub, stub_functions = _names(STUB)
    stub -= {"_data", "_requires_grad", "_grad_fn", "_output_nr", "_vc", "_view_fn"}  # slots
    assert stub - expected == set(), "in the stub but not on Tensor: run tools/gen_tensor_stub.py"
    assert expected - stub == set(), "on Tensor but not in the stub: run tools/gen_tensor_stub.py"
    assert stub_functions == functions, "run tools/gen_tensor_stub.py"


def test_stub_signatures_of_the_bound_methods_are_current():
    stub = STUB.read_text().splitlines()
    stale = [line for line in _generator().bound_method_lines() if line not in stub]
    assert stale == [], "run tools/gen_tensor_stub.py"


def test_mypy_passes_on_the_package_and_the_readme_examples(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert len(blocks) >= 3
    examples = tmp_path / "readme_examples.py"
    examples.write_text("\n".join(blocks))  # they run in order, sharing names (test_readme)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
         "--no-error-summary", "autograd_lab", str(examples)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 0 and not errors, result.stdout + result.stderr
