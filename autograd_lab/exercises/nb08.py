"""Exercises of notebook 08 (higher-order gradients: hvp, Newton, differentiable backward)."""

from __future__ import annotations

import numpy as np

from ._backward import check_backward
from ._compare import compare
from ._registry import Wrong, exercise


def _rng(exercise_id: str) -> np.random.Generator:
    """Seeded per exercise: the same inputs on every run, different from the notebook's."""
    return np.random.default_rng(sum(map(ord, exercise_id)))


def _problems(rng: np.random.Generator, n: int = 4):
    """``(name, f on tensors, x, gradient, Hessian)``: small functions with known Hessians."""
    a = rng.standard_normal((n, n))
    sym = a @ a.T + n * np.eye(n)            # symmetric positive definite
    b = rng.standard_normal(n)
    x = rng.standard_normal(n)

    def quartic(t):
        return (t ** 4).sum() / 4 + (t @ (_tensor(sym) @ t)) / 2 - t @ _tensor(b)

    def logsumexp(t):
        return t.exp().sum().log() + (t * t).sum() / 2

    p = np.exp(x) / np.exp(x).sum()
    return [
        ("sum(x**4)/4 + x.A.x/2 - b.x", quartic, x, x ** 3 + sym @ x - b,
         np.diag(3 * x ** 2) + sym),
        ("log(sum(exp(x))) + |x|**2/2", logsumexp, x, p + x,
         np.diag(p) - np.outer(p, p) + np.eye(n)),
    ]


def _tensor(array):
    import autograd_lab as al

    return al.tensor(array, dtype=al.float64)


def _call(answer, *args):
    """The learner's function; the usual error of a forgotten create_graph gets a hint."""
    try:
        return answer(*args)
    except RuntimeError as err:
        if "does not require grad" in str(err):
            raise Wrong(f"your code raised RuntimeError: {err} -- the gradient has no graph "
                        "to differentiate: pass create_graph=True to the first "
                        "al.autograd.grad") from err
        raise


# 08.1 -----------------------------------------------------------------------------------
@exercise("08.1", "a Hessian-vector product")
def check_hvp(hvp) -> str:
    """``hvp(f, x, v) -> tensor``: ``H(x) @ v`` for a scalar ``f``, by double backward."""
    rng = _rng("08.1")
    count = 0
    for name, f, x, g, hessian in _problems(rng):
        for _ in range(2):
            v = rng.standard_normal(x.shape)
            got = _call(hvp, f, _tensor(x).requires_grad_(True), _tensor(v))
            mistakes = [(g, "this is the gradient of f, not H v: take the gradient of "
                            "(gradient * v).sum() once more"),
                        (g * v, "this is gradient * v: differentiate its sum with respect "
                                "to x to get H v")]
            compare(got, hessian @ v, f"f = {name}: H v", mistakes=mistakes,
                    atol=1e-8, rtol=1e-6)
            count += 1
    return f"your hvp matches the exact H v for {count} points and directions"


# 08.2 -----------------------------------------------------------------------------------
@exercise("08.2", "one Newton step")
def check_newton_step(newton_step) -> str:
    """``newton_step(f, x) -> tensor``: ``x - H(x)^-1 grad f(x)``."""
    rng = _rng("08.2")
    for name, f, x, g, hessian in _problems(rng):
        got = _call(newton_step, f, _tensor(x).requires_grad_(True))
        step = np.linalg.solve(hessian, g)
        mistakes = [(x + step, "wrong sign: a Newton step goes to x - H^-1 g"),
                    (x - g, "this is a gradient step with learning rate 1: solve H s = g "
                            "and step by s"),
                    (x - hessian @ g, "this multiplies g by H: solve H s = g instead "
                                      "(np.linalg.solve(H, g))"),
                    (-step, "this is the step alone: return x - H^-1 g")]
        compare(got, x - step, f"f = {name}: the new x", mistakes=mistakes,
                atol=1e-8, rtol=1e-6)
    return "your Newton step matches x - H^-1 g on 2 functions"


# 08.3 -----------------------------------------------------------------------------------
@exercise("08.3", "a Function with a differentiable backward")
def check_softplus(Softplus) -> str:  # noqa: N803 - the learner's Function class
    """``Softplus``: ``log(1 + exp(x))`` whose backward passes gradcheck and gradgradcheck."""
    import autograd_lab as al

    rng = _rng("08.3")
    x = _tensor(rng.standard_normal((2, 3))).requires_grad_(True)
    compare(Softplus.apply(x), np.log1p(np.exp(x.detach().numpy())), "forward",
            atol=1e-10, rtol=1e-8)
    check_backward(Softplus.apply, (x,))
    try:
        ok = al.autograd.gradgradcheck(Softplus.apply, (x,), raise_exception=False)
    except Exception as err:  # noqa: BLE001 - e.g. .numpy() on a tensor that requires grad
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise Wrong(f"your backward's values are right, but differentiating it raised "
                    f"{type(err).__name__}: {first} -- write it with tensor ops "
                    "(t.sigmoid(), *, +), not NumPy") from err
    if not ok:
        raise Wrong("your backward's values are right (gradcheck passes) but its own "
                    "derivative is wrong (gradgradcheck fails): write it with tensor ops "
                    "on the saved tensor, without .detach() or NumPy")
    return "your Softplus passes gradcheck and gradgradcheck"
