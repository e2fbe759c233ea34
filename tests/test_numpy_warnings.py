"""inf and nan arrive silently, as in PyTorch (Note [Floating-point warnings] in _ops/_errors.py).

Run in a fresh interpreter: pytest manages warning filters itself, so only a plain
process shows what a user's script or notebook sees.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import autograd_lab as al

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import warnings
import numpy as np
import autograd_lab as al
x = al.tensor([0.0, 1.0, -1.0], requires_grad=True)
y = (x.log() + 1 / x + x.sqrt() + x ** -1.0 + (x * 1e38) * 1e38).sum()
y.backward()
print(y.item(), x.grad.tolist())
# NumPy's own warnings elsewhere are untouched:
np.log(np.zeros(1))
"""


def test_ops_do_not_warn_but_numpy_elsewhere_still_does():
    done = subprocess.run([sys.executable, "-W", "default", "-c", SCRIPT], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "nan" in done.stdout
    warnings_seen = [line for line in done.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warnings_seen) == 1 and "<string>" in warnings_seen[0], done.stderr


def test_a_deprecation_warning_raised_from_autograd_lab_is_an_error():
    # pyproject.toml turns them into errors for the test run: NumPy's next deprecation
    # (as ``array.shape = ...`` in NumPy 2.5) fails the suite instead of warning.
    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit("deprecated", DeprecationWarning, "views.py", 1,
                               module="autograd_lab._ops.views")


def test_views_ask_numpy_for_a_view_or_an_error():
    # ``view`` and ``reshape`` use ``reshape(copy=False)``: a view, or an error, no warning.
    x = al.arange(6.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = x.view(2, 3)
        assert v._base is x and np.shares_memory(v.numpy(), x.numpy())
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            v.t().view(6)


def test_no_module_assigns_an_arrays_shape():
    # ``array.shape = ...`` is deprecated from NumPy 2.5; this NumPy may not warn yet.
    assigned = []
    for path in sorted((ROOT / "autograd_lab").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else []
            assigned += [f"{path.name}:{node.lineno}" for t in targets
                         if isinstance(t, ast.Attribute) and t.attr == "shape"]
    assert assigned == []
