"""Exercises of notebook 02 (tensors, broadcasting, the chain rule for arrays)."""

from __future__ import annotations

import numpy as np

from ._compare import broadcast_dims, compare
from ._registry import exercise


def _rng(exercise_id: str) -> np.random.Generator:
    """Seeded per exercise: the same inputs on every run, different from the notebook's."""
    return np.random.default_rng(sum(map(ord, exercise_id)))


@exercise("02.1", "the backward of a broadcast add")
def check_add_backward(add_backward) -> str:
    """``add_backward(grad, a_shape, b_shape) -> (grad_a, grad_b)`` for ``out = a + b``."""
    import autograd_lab as al

    rng = _rng("02.1")
    cases = [((2, 3), (1, 3)), ((4, 1, 3), (2, 3)), ((3,), (2, 3)), ((2, 1), (1, 4))]
    for k, (a_shape, b_shape) in enumerate(cases, 1):
        a = al.tensor(rng.standard_normal(a_shape), requires_grad=True)
        b = al.tensor(rng.standard_normal(b_shape), requires_grad=True)
        out = a + b
        grad = rng.standard_normal(out.shape)
        (a + b).backward(al.tensor(grad))
        got = add_backward(grad, a_shape, b_shape)
        for name, x, g in (("grad_a", a, got[0]), ("grad_b", b, got[1])):
            dims = broadcast_dims(x.shape, out.shape)
            said = ("dims " if len(dims) > 1 else "dim ") + ", ".join(map(str, dims))
            mistakes = [(grad, f"did you forget to sum over the broadcast {said}?")]
            compare(g, x.grad.numpy(), f"case {k} (a {a_shape}, b {b_shape}): {name}",
                    mistakes=mistakes)
    return f"your backward matches autograd_lab's for {len(cases)} broadcast shapes"
