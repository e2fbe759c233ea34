"""inf and nan arrive silently, as in PyTorch (Note [Floating-point warnings] in _ops/_table.py).

Run in a fresh interpreter: pytest manages warning filters itself, so only a plain
process shows what a user's script or notebook sees.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
