"""Static types: the Tensor methods bound at import time are visible to type checkers, and
mypy passes over autograd_lab/ and over the README's Python examples.

The methods ``_tensor_methods.py`` binds with ``setattr`` are declared for checkers in the
generated stub ``autograd_lab/_bound_methods.pyi`` (tools/gen_tensor_stub.py), on a class
``Tensor`` derives from only under ``TYPE_CHECKING``; the first tests keep it from going
stale, and keep it out of the running program.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT / "autograd_lab" / "_bound_methods.pyi"
GENERATOR = ROOT / "tools" / "gen_tensor_stub.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_tensor_stub", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stub_members() -> set[str]:
    tree = ast.parse(STUB.read_text())
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert cls.name == "BoundMethods"
    return {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}


def test_stub_lists_exactly_the_bound_methods():
    from autograd_lab import _tensor_methods as m

    expected = set(m._METHODS) | set(m._OPERATORS) | {"T", "mT"}
    stub = _stub_members()
    assert stub - expected == set(), "in the stub but not bound: run tools/gen_tensor_stub.py"
    assert expected - stub == set(), "bound but not in the stub: run tools/gen_tensor_stub.py"


def test_stub_signatures_of_the_bound_methods_are_current():
    stub = STUB.read_text().splitlines()
    stale = [line for line in _generator().bound_method_lines() if line not in stub]
    assert stale == [], "run tools/gen_tensor_stub.py"


def test_the_stub_class_is_for_checkers_only():
    import autograd_lab as al

    assert al.Tensor.__bases__ == (object,)
    assert "autograd_lab._bound_methods" not in sys.modules


def test_a_checker_sees_bound_methods_and_tensor_fields(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import autograd_lab as al\n"
                     "x = al.tensor([1.0, 2.0], requires_grad=True)\n"
                     "reveal_type(x.exp().sum())\n"
                     "reveal_type(x.grad_fn)\n"
                     "reveal_type(x._base)\n"
                     "x.no_such_method()\n")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
         "--no-error-summary", str(probe)], cwd=ROOT, capture_output=True, text=True,
        timeout=300)
    lines = result.stdout.splitlines()
    assert any('"autograd_lab._tensor.Tensor"' in line for line in lines if ":3:" in line), lines
    assert any("Tensor | None" in line for line in lines if ":5:" in line), lines
    assert any('has no attribute "no_such_method"' in line for line in lines), lines


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
