"""Finite-difference checks of autograd_lab gradients, written from scratch.

Nothing here uses ``al.autograd.gradcheck``: the checker under test must not be the
checker doing the testing. Everything is float64.

``check_vjp(f, inputs)``
    Compares ``al.autograd.grad(f(*inputs), wrt, grad_outputs=v)`` with the numeric
    vector-Jacobian product ``d/dx sum(f(x) * v)`` by central differences, for every
    input that requires grad (the others are passed through unchanged).

``check_gradgrad(f, inputs)``
    Builds the first gradient with ``create_graph=True``, takes the gradient of
    ``sum_i (g_i * w_i).sum()`` with respect to the inputs *and* to the seed ``v``, and
    compares it with central differences of the (analytic) first gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import autograd_lab as al

EPS = 1e-6
ATOL = 1e-5
RTOL = 1e-4

__all__ = ["EPS", "ATOL", "RTOL", "check_vjp", "check_gradgrad", "numeric_vjp", "rand64",
           "assert_close", "arr", "close"]


def rand64(*shape, low=None, high=None, seed=0, requires_grad=True, away_from=None,
           gap=0.15) -> al.Tensor:
    """A seeded float64 leaf: standard normal, or uniform in [low, high).

    ``away_from=c`` pushes every value at least ``gap`` away from ``c`` (kinks, poles).
    """
    rng = np.random.default_rng(seed)
    if low is not None:
        arr = rng.uniform(low, high, shape)
    else:
        arr = rng.standard_normal(shape)
    if away_from is not None:
        d = arr - away_from
        arr = np.where(np.abs(d) < gap, away_from + np.where(d >= 0, gap, -gap) + d, arr)
    return al.tensor(np.asarray(arr, dtype=np.float64), requires_grad=requires_grad)


def assert_close(actual, expected, *, atol=ATOL, rtol=RTOL, what="value") -> None:
    """``|actual - expected| <= atol + rtol * |expected|`` elementwise, with both shown."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (
        f"{what}: shape {actual.shape} but expected {expected.shape}")
    bad = ~(np.abs(actual - expected) <= atol + rtol * np.abs(expected))
    if bad.any():
        raise AssertionError(
            f"{what} mismatch at {int(bad.sum())} of {bad.size} elements\n"
            f"analytic:\n{actual}\nnumeric:\n{expected}"
        )


def _const(arr: np.ndarray) -> al.Tensor:
    return al.tensor(np.array(arr, dtype=np.float64, copy=True))


def _call(f: Callable, arrays: Sequence[np.ndarray], templates: Sequence[al.Tensor]) -> np.ndarray:
    """Evaluate ``f`` on plain (non-grad) tensors built from ``arrays``."""
    args = [_const(a) if t.requires_grad else t for a, t in zip(arrays, templates, strict=True)]
    with al.no_grad():
        out = f(*args)
    return np.array(out.detach().numpy(), dtype=np.float64)


def numeric_vjp(scalar_fn: Callable[[list], float], arrays: list, which: Sequence[int],
                eps: float = EPS) -> list:
    """Central differences of ``scalar_fn(arrays)`` with respect to ``arrays[i]``, i in which."""
    results = []
    for i in which:
        base = arrays[i]
        g = np.zeros(base.shape, dtype=np.float64)  # C order: flat_g is a view
        flat_g = g.reshape(-1)
        for j in range(base.size):
            plus = [None if a is None else a.copy() for a in arrays]
            minus = [None if a is None else a.copy() for a in arrays]
            plus[i].reshape(-1)[j] += eps
            minus[i].reshape(-1)[j] -= eps
            flat_g[j] = (scalar_fn(plus) - scalar_fn(minus)) / (2 * eps)
        results.append(g)
    return results


def _seed_like(shape, seed) -> np.ndarray:
    return np.random.default_rng(1000 + seed).standard_normal(shape)


def check_vjp(f: Callable, inputs: Sequence[al.Tensor], grad_output=None, *, seed: int = 0,
              eps: float = EPS, atol: float = ATOL, rtol: float = RTOL) -> tuple:
    """Assert that reverse mode agrees with central differences for ``f`` at ``inputs``.

    Also asserts that every gradient has its input's shape and dtype. Returns the
    analytic gradients (one per input that requires grad).
    """
    inputs = list(inputs)
    wrt = [i for i, t in enumerate(inputs) if t.requires_grad]
    assert wrt, "check_vjp needs at least one input that requires grad"
    for i in wrt:
        assert inputs[i].dtype == al.float64, "finite differences need float64 inputs"
    out = f(*inputs)
    assert isinstance(out, al.Tensor), f"f returned {type(out).__name__}, not a Tensor"
    assert out.requires_grad, "the output does not require grad"
    v = grad_output
    if v is None:
        v = al.tensor(_seed_like(out.shape, seed))
    grads = al.autograd.grad(out, [inputs[i] for i in wrt], grad_outputs=v, allow_unused=True)
    v_np = v.detach().numpy().astype(np.float64)

    arrays = [t.detach().numpy().astype(np.float64) if t.requires_grad else None for t in inputs]

    def loss(arrs):
        return float((_call(f, arrs, inputs) * v_np).sum())

    numeric = numeric_vjp(loss, arrays, wrt, eps)
    for i, g, n in zip(wrt, grads, numeric, strict=True):
        if g is None:
            assert np.all(np.abs(n) <= atol), f"input {i}: gradient None but numeric is {n}"
            continue
        assert isinstance(g, al.Tensor)
        assert g.shape == inputs[i].shape, (
            f"input {i}: gradient shape {tuple(g.shape)} != input shape {tuple(inputs[i].shape)}")
        assert g.dtype == inputs[i].dtype, f"input {i}: gradient dtype {g.dtype}"
        assert_close(g.detach().numpy(), n, atol=atol, rtol=rtol, what=f"gradient of input {i}")
    return grads


def check_gradgrad(f: Callable, inputs: Sequence[al.Tensor], *, seed: int = 0,
                   eps: float = EPS, atol: float = ATOL, rtol: float = RTOL) -> None:
    """Assert second derivatives (through ``create_graph=True``) against finite differences.

    With ``g = grad(f(x), x, v, create_graph=True)`` and random ``w``,
    ``s = sum_i (g_i * w_i).sum()``; ``grad(s, (x, v))`` must match central differences
    of ``s`` computed from the first-order analytic gradient (itself checked first).
    """
    inputs = list(inputs)
    # the numeric reference below differentiates the analytic first gradient: check that first
    check_vjp(f, inputs, seed=seed, eps=eps, atol=atol, rtol=rtol)
    wrt = [i for i, t in enumerate(inputs) if t.requires_grad]
    out0 = f(*inputs)
    v_np = _seed_like(out0.shape, seed)
    v = al.tensor(v_np, requires_grad=True)
    grads = al.autograd.grad(f(*inputs), [inputs[i] for i in wrt], grad_outputs=v,
                             create_graph=True, allow_unused=True)
    rng = np.random.default_rng(2000 + seed)
    ws = [rng.standard_normal(inputs[i].shape) for i in wrt]
    s = None
    for g, w in zip(grads, ws, strict=True):
        if g is None:
            continue
        term = (g * al.tensor(w)).sum()
        s = term if s is None else s + term
    targets = [inputs[i] for i in wrt] + [v]
    if s is not None and s.requires_grad:
        second = al.autograd.grad(s, targets, allow_unused=True)
    else:
        second = (None,) * len(targets)

    arrays = [t.detach().numpy().astype(np.float64) if t.requires_grad else None for t in inputs]
    arrays.append(v_np.copy())

    def first_grad_dot_w(arrs):
        xs = [_const(a) if t.requires_grad else t for a, t in zip(arrs[:-1], inputs, strict=True)]
        for i in wrt:
            xs[i].requires_grad_(True)
        gs = al.autograd.grad(f(*xs), [xs[i] for i in wrt], grad_outputs=_const(arrs[-1]),
                              allow_unused=True)
        pairs = zip(gs, ws, strict=True)
        return float(sum((g.detach().numpy() * w).sum() for g, w in pairs if g is not None))

    numeric = numeric_vjp(first_grad_dot_w, arrays, wrt + [len(inputs)], eps)
    for k, (t, g2, n) in enumerate(zip(targets, second, numeric, strict=True)):
        label = "grad_output v" if k == len(wrt) else f"input {wrt[k]}"
        if g2 is None:
            assert np.all(np.abs(n) <= atol), f"second derivative wrt {label} None, numeric {n}"
            continue
        assert g2.shape == t.shape, f"second derivative wrt {label}: shape {tuple(g2.shape)}"
        assert g2.dtype == t.dtype
        assert_close(g2.detach().numpy(), n, atol=atol, rtol=rtol,
                     what=f"second derivative wrt {label}")


def arr(t: al.Tensor) -> np.ndarray:
    return t.detach().numpy()


def close(t, expected) -> None:
    """``t`` is a Tensor holding ``expected`` (float32 rounding allowed; zeros stay exact)."""
    assert isinstance(t, al.Tensor), f"expected a Tensor, got {type(t).__name__}"
    expected = np.asarray(expected, dtype=np.float64)
    assert t.shape == expected.shape, (t.shape, expected.shape)
    np.testing.assert_allclose(arr(t).astype(np.float64), expected, rtol=1e-6, atol=0)


def backward_gradient_dtypes(out: al.Tensor) -> list:
    """Run ``out.backward(ones)`` and return the dtype of every gradient each node of the
    graph produced, so a test can check that a float32 graph never computes in float64."""
    seen = []

    def record(grad_inputs, grad_outputs):
        seen.extend(g.dtype for g in grad_inputs if g is not None)

    stack, nodes = [out.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is not None and node not in nodes:
            nodes.add(node)
            node.register_hook(record)
            stack.extend(fn for fn, _ in node.next_functions)
    out.backward(al.ones_like(out))
    return seen
