"""Check a backward against finite differences, and name the first entry that is wrong.

A bare "gradcheck failed" teaches nothing; this says which output, which input and which
element disagree, with both numbers, like ``GradcheckError`` but as a checker's message.
"""

from __future__ import annotations

import numpy as np

from ._registry import Wrong


def check_backward(func, inputs, *, atol: float = 1e-5, rtol: float = 1e-3) -> None:
    """Raise ``Wrong`` at the first Jacobian entry where ``func``'s backward differs from
    central differences. ``func`` takes and returns tensors (``MyFunction.apply``);
    ``inputs`` are float64 tensors, those to check with ``requires_grad=True``."""
    from ..autograd.gradcheck import jacobians

    outputs = func(*inputs)
    outputs = outputs if isinstance(outputs, tuple | list) else (outputs,)
    out_shapes = [tuple(o.shape) for o in outputs if getattr(o, "requires_grad", False)]
    in_shapes = [tuple(x.shape) for x in inputs if getattr(x, "requires_grad", False)]
    if not out_shapes:
        raise Wrong("no output requires grad: did forward return a tensor computed from "
                    "the inputs (and not a detached copy)?")
    numerical, analytical = jacobians(func, inputs)
    for i, row in enumerate(numerical):
        for j, n in enumerate(row):
            a = analytical[i][j]
            bad = ~np.isclose(a, n, atol=atol, rtol=rtol)
            if bad.any():
                r, c = (int(k) for k in np.argwhere(bad)[0])
                out = _index(r, out_shapes[i])
                inp = _index(c, in_shapes[j])
                raise Wrong(f"output {i}{out}, with respect to input {j}{inp}: expected "
                            f"{n[r, c]:.6g} (finite differences), your backward gives "
                            f"{a[r, c]:.6g}")


def _index(flat: int, shape: tuple) -> str:
    if not shape:
        return ""
    return f" element {tuple(int(k) for k in np.unravel_index(flat, shape))}"
