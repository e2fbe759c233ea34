"""Exercises of notebook 02 (tensors, broadcasting, the chain rule for arrays)."""

from __future__ import annotations

import numpy as np

from ._compare import broadcast_dims, compare
from ._registry import Wrong, exercise


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


def _sum_back(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """``grad`` summed back to ``shape`` (what the engine does for a broadcast input)."""
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead)))
    kept = tuple(d for d, n in enumerate(shape) if n == 1 and grad.shape[d] != 1)
    return grad.sum(axis=kept, keepdims=True)


@exercise("02.2", "predict the gradients of (A @ B).sum()")
def check_matmul_sum_grads(matmul_sum_grads) -> str:
    """``matmul_sum_grads(A, B) -> (grad_A, grad_B)``: dL/dA and dL/dB for
    ``L = (A @ B).sum()``, as NumPy arrays, computed from the arrays ``A`` and ``B``."""
    import autograd_lab as al

    rng = _rng("02.2")
    cases = [(3, 4, 2), (2, 5, 3), (1, 3, 4)]
    for k, (n, m, p) in enumerate(cases, 1):
        A_np, B_np = rng.standard_normal((n, m)), rng.standard_normal((m, p))
        A = al.tensor(A_np, requires_grad=True)
        B = al.tensor(B_np, requires_grad=True)
        (A @ B).sum().backward()
        got = matmul_sum_grads(A_np.copy(), B_np.copy())
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise Wrong("return two arrays: (grad_A, grad_B)")
        where = f"case {k} (A {n}x{m}, B {m}x{p})"
        compare(got[0], A.grad.numpy(), f"{where}: grad_A", mistakes=[
            (B_np.sum(1),
             "a gradient has its input's shape: this row must be repeated for every row of A"),
            (np.ones((n, m)), "the gradient of A @ B with respect to A depends on B: "
                              "grad @ B.T, with grad all ones"),
            (np.full((n, m), B_np.sum()), "sum B's rows (B.sum(axis=1)), not all of B"),
        ])
        compare(got[1], B.grad.numpy(), f"{where}: grad_B", mistakes=[
            (A_np.sum(0), "a gradient has its input's shape: this column must be repeated for "
                          "every column of B"),
            (A_np.sum(0)[:, None], "right numbers, but grad_B has B's shape: repeat the column "
                                   f"for all {p} columns of B"),
            (np.ones((m, p)), "the gradient of A @ B with respect to B depends on A: "
                              "A.T @ grad, with grad all ones"),
        ])
    return (f"your gradients match autograd_lab's for {len(cases)} shapes: "
            "grad_A = grad @ B.T and grad_B = A.T @ grad")


@exercise("02.3", "fix the backward of a broadcast mul")
def check_mul_backward(mul_backward) -> str:
    """``mul_backward(grad, a, b) -> (grad_a, grad_b)`` for ``out = a * b`` (NumPy arrays,
    ``a`` and ``b`` may broadcast)."""
    import autograd_lab as al

    rng = _rng("02.3")
    cases = [((2, 3), (3,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((2, 3), (2, 3))]
    for k, (a_shape, b_shape) in enumerate(cases, 1):
        a_np, b_np = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        a = al.tensor(a_np, requires_grad=True)
        b = al.tensor(b_np, requires_grad=True)
        out = a * b
        grad = rng.standard_normal(out.shape)
        out.backward(al.tensor(grad))
        got = mul_backward(grad.copy(), a_np.copy(), b_np.copy())
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise Wrong("return two arrays: (grad_a, grad_b)")
        where = f"case {k} (a {a_shape}, b {b_shape})"
        for name, x, g, other in (("grad_a", a, got[0], b_np), ("grad_b", b, got[1], a_np)):
            dims = broadcast_dims(x.shape, out.shape)
            said = ("dims " if len(dims) > 1 else "dim ") + ", ".join(map(str, dims))
            mine = a_np if name == "grad_a" else b_np
            swapped = ("d(a * b)/da is b, not a: each input's gradient is grad times the "
                       "OTHER input")
            mistakes = [
                (grad * other, f"still the broadcast shape: sum over the broadcast {said} "
                               f"back to {tuple(x.shape)}"),
                (grad * mine, swapped),
                (_sum_back(grad * mine, tuple(x.shape)), swapped),
            ]
            compare(g, x.grad.numpy(), f"{where}: {name}", mistakes=mistakes)
    return f"your backward matches autograd_lab's for {len(cases)} pairs of shapes"
