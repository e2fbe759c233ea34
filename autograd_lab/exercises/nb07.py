"""Exercises of notebook 07 (checking gradients: finite differences, gradcheck, eps)."""

from __future__ import annotations

import numpy as np

from ._backward import check_backward
from ._compare import compare
from ._registry import Wrong, exercise


def _rng(exercise_id: str) -> np.random.Generator:
    """Seeded per exercise: the same inputs on every run, different from the notebook's."""
    return np.random.default_rng(sum(map(ord, exercise_id)))


# 07.1 -----------------------------------------------------------------------------------
def _forward_difference(f, x, eps):
    base = f(x)
    grad = np.zeros_like(x)
    for k in range(x.size):
        step = x.copy()
        step.reshape(-1)[k] += eps
        grad.reshape(-1)[k] = (f(step) - base) / eps
    return grad


@exercise("07.1", "a central-difference gradient")
def check_central_difference(central_difference) -> str:
    """``central_difference(f, x, eps) -> array``: the gradient of a scalar ``f`` at ``x``."""
    import autograd_lab as al

    rng = _rng("07.1")
    functions = [
        ("sum(sin(x) * x**2)", lambda t: (t.sin() * t * t).sum(),
         lambda a: float(np.sum(np.sin(a) * a * a))),
        ("sum(exp(x)) * x[0]", lambda t: t.exp().sum() * t.reshape(-1)[0],
         lambda a: float(np.sum(np.exp(a)) * a.reshape(-1)[0])),
    ]
    shapes = [(3,), (2, 3)]
    eps = 1e-4
    for name, f_tensor, f_numpy in functions:
        for shape in shapes:
            x = rng.standard_normal(shape)
            kept = x.copy()
            t = al.tensor(x.copy(), requires_grad=True)
            (expected,) = al.autograd.grad(f_tensor(t), t)
            got = central_difference(f_numpy, x, eps)
            if not np.array_equal(x, kept):
                raise Wrong(f"f = {name}, x of shape {shape}: your function changed x and "
                            "did not put it back: step a copy of x, or restore each entry")
            hint = ("this is the forward difference (f(x + eps) - f(x)) / eps, off by about "
                    "eps * f''/2: step both ways, (f(x + eps) - f(x - eps)) / (2 eps)")
            compare(got, expected.numpy(), f"f = {name}, x of shape {shape}",
                    mistakes=[(_forward_difference(f_numpy, x, eps), hint)],
                    atol=1e-7, rtol=1e-6)
    return (f"your central differences match the analytical gradient to 1e-7 for "
            f"{len(functions) * len(shapes)} functions and shapes (eps = {eps:g})")


# 07.2 -----------------------------------------------------------------------------------
@exercise("07.2", "fix the backward that gradcheck caught")
def check_matmul_fixed(MatMul) -> str:  # noqa: N803 - the learner's Function class
    """``MatMul``: a Function computing ``x @ w`` whose backward is right for both inputs."""
    import autograd_lab as al

    rng = _rng("07.2")
    x = al.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    w = al.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    out = MatMul.apply(x, w)
    grad = rng.standard_normal((3, 3))
    gx, gw = al.autograd.grad(out, (x, w), al.tensor(grad), allow_unused=True)
    xs, ws = x.detach().numpy(), w.detach().numpy()
    for name, g, right, mistakes in (
        ("grad of x", gx, grad @ ws.T, [(grad @ ws, "missing transpose: grad @ w.T")]),
        ("grad of w", gw, xs.T @ grad,
         [((xs.T @ grad).T, "this is the transpose of the right gradient (the bug that "
                            "gradcheck named: output 0 with respect to input 1); "
                            "d(x @ w)/dw gives x.T @ grad"),
          (grad.T @ xs, "this is the transpose of the right gradient: x.T @ grad")]),
    ):
        if g is None:
            raise Wrong(f"{name} is None: backward should return one gradient per input")
        compare(g, right, f"square case: {name}", mistakes=mistakes)
    # non-square shapes: a transpose in the wrong place now shows as a wrong shape
    a = al.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    b = al.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    check_backward(MatMul.apply, (a, b))
    return "your backward matches finite differences for square and non-square matrices"


# 07.3 -----------------------------------------------------------------------------------
_MACHINE_EPS = {"float16": float(np.finfo(np.float16).eps),
                "float32": float(np.finfo(np.float32).eps),
                "float64": float(np.finfo(np.float64).eps)}


@exercise("07.3", "choose eps")
def check_choose_eps(choose_eps) -> str:
    """``choose_eps(machine_eps, method) -> eps`` for ``method`` "forward" or "central"."""
    for dtype, u in _MACHINE_EPS.items():
        for method, power in (("forward", 1 / 2), ("central", 1 / 3)):
            best = u ** power
            got = choose_eps(u, method)
            if not isinstance(got, float | int | np.floating) or isinstance(got, bool):
                raise Wrong(f"choose_eps({u:.3g}, {method!r}) should be a number, got "
                            f"{type(got).__name__}")
            got = float(got)
            if not best / 10 <= got <= best * 10:
                other = u ** (1 / 3 if method == "forward" else 1 / 2)
                if other / 3 <= got <= other * 3:
                    hint = (": that is the best eps for the other method; forward "
                            "differences err by eps * f'' (balance with u / eps), central by "
                            "eps**2 * f''' (balance with u / eps)")
                elif got <= best / 10:
                    hint = ": too small, rounding error u / eps dominates"
                else:
                    hint = ": too large, truncation error dominates"
                raise Wrong(f"{dtype} (machine eps {u:.3g}), {method} differences: "
                            f"eps = {got:.3g} is not within a factor of 10 of the best, "
                            f"about {best:.2g}{hint}")
    return ("your eps is within a factor of 10 of the best for forward and central "
            "differences in float16, float32 and float64")
