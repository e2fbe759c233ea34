"""prod, var, std, logsumexp, norm, cumsum and cumprod (autograd_lab/_ops/reductions.py).

Values against NumPy; first derivatives with ``check_vjp`` and second derivatives with
``check_gradgrad`` (tests/helpers.py, central differences); the special points PyTorch
treats apart (zeros in prod and cumprod, a zero vector in norm, huge values in
logsumexp, std of a constant); PyTorch's node names and error messages; and, when torch
is installed, values and gradients against torch itself.

The functions are called from ``autograd_lab._ops.reductions`` directly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import arr, assert_close, check_gradgrad, check_vjp, rand64

import autograd_lab as al
from autograd_lab._ops import reductions as R

INF = float("inf")

# (shape, dim, keepdim) for reductions taking several dims
MULTI_DIMS = [
    ((3, 4), None, False),
    ((3, 4), 0, False),
    ((3, 4), -1, True),
    ((2, 3, 4), (0, 2), False),
    ((2, 3, 4), (-1, 0), True),
    ((2, 1, 3), 1, False),
    ((2, 1, 3), (1, -1), True),
    ((), None, False),
    ((), 0, True),
    ((5,), -1, False),
]
MULTI_IDS = [f"{s}-dim{d}-keep{int(k)}" for s, d, k in MULTI_DIMS]

# (shape, dim, keepdim) for prod, cumsum, cumprod (one int dim, as in PyTorch)
ONE_DIM = [
    ((3, 4), None, False),
    ((3, 4), 0, False),
    ((3, 4), -1, True),
    ((2, 3, 4), 1, False),
    ((2, 3, 4), -3, True),
    ((2, 1, 3), 1, False),
    ((), None, False),
    ((), 0, False),
    ((), -1, True),
    ((5,), 0, False),
]
ONE_IDS = [f"{s}-dim{d}-keep{int(k)}" for s, d, k in ONE_DIM]


def np_axis(dim, ndim):
    """The NumPy ``axis`` for a PyTorch ``dim`` (a 0-d tensor takes dim 0 / -1)."""
    if ndim == 0 or dim is None:
        return None
    return dim if isinstance(dim, int) else tuple(dim)


def np_logsumexp(a, axis=None, keepdims=False):
    """Reference logsumexp, shifted by the max so that it does not overflow."""
    a = np.asarray(a, dtype=np.float64)
    m = np.amax(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    if keepdims:
        return out
    return out.reshape(np.sum(a, axis=axis).shape)


def np_norm(a, p, axis=None, keepdims=False):
    """Reference vector p-norm over ``axis`` (np.linalg.norm on the flattened groups)."""
    a = np.asarray(a, dtype=np.float64)
    ordp = 2 if p == "fro" else p
    if a.ndim == 0:
        return np.asarray(np.linalg.norm(a.reshape(1), ord=ordp))
    axes = tuple(range(a.ndim)) if axis is None else (axis,) if isinstance(axis, int) else axis
    axes = tuple(sorted(x % a.ndim for x in axes))
    kept = [d for d in range(a.ndim) if d not in axes]
    moved = np.transpose(a, kept + list(axes)).reshape([a.shape[d] for d in kept] + [-1])
    out = np.linalg.norm(moved, ord=ordp, axis=-1)
    if keepdims:
        out = out.reshape([1 if d in axes else a.shape[d] for d in range(a.ndim)])
    return out


def dof(shape, dim, correction):
    """N - correction for var/std over ``dim`` of ``shape``."""
    if not shape or dim is None:
        n = int(np.prod(shape))
    else:
        n = int(np.prod([shape[d] for d in ((dim,) if isinstance(dim, int) else dim)]))
    return n - correction


# ----------------------------------------------------------------------------- values vs NumPy
@pytest.mark.parametrize("shape, dim, keepdim", ONE_DIM, ids=ONE_IDS)
def test_prod_values(shape, dim, keepdim):
    x = rand64(*shape, requires_grad=False)
    a = arr(x)
    if dim is None:
        out, expected = R.prod(x), np.prod(a)
    else:
        out = R.prod(x, dim, keepdim=keepdim)
        expected = np.prod(a, axis=np_axis(dim, a.ndim), keepdims=keepdim and a.ndim > 0)
    assert_close(arr(out), np.asarray(expected), atol=1e-12, rtol=1e-12)


def test_prod_of_ints_and_bools_is_int64():
    assert R.prod(al.tensor([1, 2, 3])).dtype == al.int64
    assert R.prod(al.tensor([1, 2, 3])).item() == 6
    assert R.prod(al.tensor([True, False])).dtype == al.int64
    assert R.prod(al.tensor([[1, 2], [3, 4]]), 1).tolist() == [2, 12]
    assert R.prod(al.tensor([1.5, 2.0]), dtype=al.float64).dtype == al.float64


@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("shape, dim, keepdim", MULTI_DIMS, ids=MULTI_IDS)
def test_var_std_values(shape, dim, keepdim, correction):
    x = rand64(*shape, requires_grad=False, seed=3)
    a = arr(x)
    axis = np_axis(dim, a.ndim)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ev = np.var(a, axis=axis, ddof=correction, keepdims=keepdim)
        es = np.std(a, axis=axis, ddof=correction, keepdims=keepdim)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        v = R.var(x, dim, keepdim=keepdim, correction=correction)
        s = R.std(x, dim, keepdim=keepdim, correction=correction)
    # PyTorch warns (once per call) when N - correction <= 0, and only then
    assert len(caught) == (2 if dof(shape, dim, correction) <= 0 else 0), caught
    assert all("degrees of freedom is <= 0" in str(w.message) for w in caught)
    np.testing.assert_allclose(arr(v), ev, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(arr(s), es, rtol=1e-12, atol=1e-12)
    assert v.shape == np.shape(ev) and s.shape == np.shape(es)


def test_var_signatures():
    x = al.tensor([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]], dtype=al.float64)
    a = arr(x)
    np.testing.assert_allclose(arr(R.var(x)), np.var(a, ddof=1))
    np.testing.assert_allclose(arr(R.var(x, unbiased=False)), np.var(a))
    np.testing.assert_allclose(arr(R.var(x, False)), np.var(a))  # var(x, unbiased)
    np.testing.assert_allclose(arr(R.var(x, 1, False)), np.var(a, axis=1))  # var(x, dim, unbiased)
    np.testing.assert_allclose(arr(R.var(x, 1, True, True)), np.var(a, axis=1, ddof=1,
                                                                      keepdims=True))
    np.testing.assert_allclose(arr(R.std(x, dim=0, correction=0)), np.std(a, axis=0))
    np.testing.assert_allclose(arr(R.std(x, (0, 1), unbiased=True)), np.std(a, ddof=1))
    assert R.var(al.tensor([1.0, 2.0])).dtype == al.float32
    with pytest.raises(TypeError, match="not both"):
        R.var(x, 0, unbiased=True, correction=1)


def test_var_with_too_few_elements_is_nan_or_inf():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert np.isnan(R.var(al.tensor(2.0)).item())  # one element, correction 1: 0/0
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert np.isnan(R.std(al.tensor([1.0, 1.0]), correction=3).item())
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert R.var(al.tensor([1.0, 3.0]), correction=2).item() == INF


@pytest.mark.parametrize("shape, dim, keepdim", [c for c in MULTI_DIMS if c[1] is not None],
                         ids=[i for c, i in zip(MULTI_DIMS, MULTI_IDS, strict=True)
                              if c[1] is not None])
def test_logsumexp_values(shape, dim, keepdim):
    x = rand64(*shape, requires_grad=False, seed=4)
    a = arr(x)
    out = R.logsumexp(x, dim, keepdim=keepdim)
    expected = np_logsumexp(a, axis=np_axis(dim, a.ndim), keepdims=keepdim)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-12)
    assert out.shape == np.shape(expected)


def test_logsumexp_of_ints_is_the_default_float():
    out = R.logsumexp(al.tensor([1, 2]), 0)
    assert out.dtype == al.float32
    np.testing.assert_allclose(out.item(), np.log(np.e + np.e**2), rtol=1e-6)


def test_logsumexp_special_values():
    assert R.logsumexp(al.tensor([-INF, -INF]), 0).item() == -INF
    assert R.logsumexp(al.tensor([INF, 1.0]), 0).item() == INF
    assert R.logsumexp(al.tensor([-INF, 0.0]), 0).item() == 0.0
    assert R.logsumexp(al.zeros(0, 3), 0).tolist() == [-INF] * 3


NORM_PS = ["fro", 2, 1, INF, -INF, 0, 3, 0.5, 1.5]


@pytest.mark.parametrize("p", NORM_PS, ids=str)
@pytest.mark.parametrize("shape, dim, keepdim", MULTI_DIMS, ids=MULTI_IDS)
def test_norm_values(shape, dim, keepdim, p):
    x = rand64(*shape, requires_grad=False, seed=5)
    a = arr(x)
    out = R.norm(x, p, dim=dim, keepdim=keepdim)
    expected = np_norm(a, p, axis=np_axis(dim, a.ndim), keepdims=keepdim)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-12)
    assert out.shape == np.shape(expected)


def test_norm_defaults_and_dtype():
    x = al.tensor([[3.0, 4.0], [0.0, 0.0]])
    assert R.norm(x).item() == 5.0
    assert R.norm(x).dtype == al.float32
    assert R.norm(x, dim=1).tolist() == [5.0, 0.0]
    assert R.norm(x, p=None).item() == 5.0
    assert R.norm(x, 0).item() == 2.0
    assert R.norm(x, dtype=al.float64).dtype == al.float64


@pytest.mark.parametrize("fn, npfn", [(R.cumsum, np.cumsum), (R.cumprod, np.cumprod)],
                         ids=["cumsum", "cumprod"])
@pytest.mark.parametrize("shape, dim", [((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1),
                                        ((2, 1, 3), 1), ((5,), 0), ((), 0), ((), -1)])
def test_scan_values(fn, npfn, shape, dim):
    x = rand64(*shape, requires_grad=False, seed=6)
    a = arr(x)
    out = fn(x, dim)
    expected = a if a.ndim == 0 else npfn(a, axis=dim)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-12)
    assert out.shape == x.shape


def test_scans_of_ints_and_bools_are_int64():
    assert R.cumsum(al.tensor([True, True, False]), 0).tolist() == [1, 2, 2]
    assert R.cumsum(al.tensor([True]), 0).dtype == al.int64
    assert R.cumprod(al.tensor([2, 3, 4]), 0).tolist() == [2, 6, 24]
    assert R.cumsum(al.tensor([1, 2]), 0, dtype=al.float64).dtype == al.float64


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("shape, dim, keepdim", ONE_DIM, ids=ONE_IDS)
def test_prod_gradients(shape, dim, keepdim):
    def f(x):
        return R.prod(x) if dim is None else R.prod(x, dim, keepdim=keepdim)

    check_gradgrad(f, [rand64(*shape, seed=1)])


def _var_std_gradient_cases():
    """Every (op, shape, dim, keepdim, correction) with N - correction > 0 (else var is nan:
    see test_var_with_too_few_elements...)."""
    for correction in (0, 1):
        for fn, name in ((R.var, "var"), (R.std, "std")):
            for case, case_id in zip(MULTI_DIMS, MULTI_IDS, strict=True):
                shape, dim, keepdim = case
                if shape != () and dof(shape, dim, correction) > 0 and not (
                        name == "std" and dof(shape, dim, 0) == 1):  # std = 0: see below
                    yield pytest.param(fn, shape, dim, keepdim, correction,
                                       id=f"{name}-{case_id}-correction{correction}")


@pytest.mark.parametrize("fn, shape, dim, keepdim, correction", list(_var_std_gradient_cases()))
def test_var_std_gradients(fn, shape, dim, keepdim, correction):
    check_gradgrad(lambda x: fn(x, dim, keepdim=keepdim, correction=correction),
                   [rand64(*shape, seed=2)])


def test_var_std_of_a_0d_tensor_with_correction_0():
    # a single element: var = 0 everywhere, so both derivatives are 0 (std: by convention)
    check_gradgrad(lambda x: R.var(x, correction=0), [rand64(seed=2)])
    x = rand64(seed=2)
    (g,) = al.autograd.grad(R.std(x, correction=0), [x])
    assert g.item() == 0.0


@pytest.mark.parametrize("shape, dim, keepdim", [c for c in MULTI_DIMS if c[1] is not None],
                         ids=[i for c, i in zip(MULTI_DIMS, MULTI_IDS, strict=True)
                              if c[1] is not None])
def test_logsumexp_gradients(shape, dim, keepdim):
    check_gradgrad(lambda x: R.logsumexp(x, dim, keepdim=keepdim), [rand64(*shape, seed=3)])


@pytest.mark.parametrize("p", NORM_PS, ids=str)
@pytest.mark.parametrize("shape, dim, keepdim", MULTI_DIMS, ids=MULTI_IDS)
def test_norm_gradients(shape, dim, keepdim, p):
    # away from 0: |x|^(p-2) and sign(x) are smooth there
    x = rand64(*shape, seed=4, away_from=0.0, gap=0.3)
    f = lambda x: R.norm(x, p, dim=dim, keepdim=keepdim)  # noqa: E731
    if p in (INF, -INF, 1, 0):
        check_vjp(f, [x])  # piecewise linear (or constant): the second derivative is 0
        check_gradgrad(f, [rand64(*shape, seed=4, away_from=0.0, gap=0.3)])
    else:
        check_gradgrad(f, [x])


@pytest.mark.parametrize("fn", [R.cumsum, R.cumprod], ids=["cumsum", "cumprod"])
@pytest.mark.parametrize("shape, dim", [((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1),
                                        ((2, 1, 3), 1), ((5,), 0), ((), 0)])
def test_scan_gradients(fn, shape, dim):
    check_gradgrad(lambda x: fn(x, dim), [rand64(*shape, seed=5)])


# ----------------------------------------------------------------------------- special points
def test_prod_gradient_with_one_zero_is_the_product_of_the_others():
    x = al.tensor([2.0, 0.0, 3.0, 5.0], dtype=al.float64, requires_grad=True)
    R.prod(x).backward()
    assert x.grad.tolist() == [0.0, 30.0, 0.0, 0.0]


def test_prod_gradient_with_two_zeros_is_zero():
    x = al.tensor([2.0, 0.0, 3.0, 0.0], dtype=al.float64, requires_grad=True)
    R.prod(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_prod_dim_gradient_with_zeros_per_slice():
    x = al.tensor([[2.0, 0.0, 3.0], [0.0, 4.0, 0.0], [1.0, 2.0, 3.0]], dtype=al.float64,
                  requires_grad=True)
    R.prod(x, 1).sum().backward()
    assert x.grad.tolist() == [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [6.0, 3.0, 2.0]]
    y = al.tensor([[2.0, 0.0], [0.0, 0.0], [3.0, 5.0]], dtype=al.float64, requires_grad=True)
    R.prod(y, 0, keepdim=True).sum().backward()
    assert y.grad.tolist() == [[0.0, 0.0], [6.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 5.0], [2.0, 0.0, 3.0, 0.0],
                                    [0.0, 0.0, 0.0, 1.5]], ids=["one", "two", "three"])
def test_prod_second_derivative_with_zeros(values):
    # prod is a polynomial: central differences are exact up to rounding, zeros or not
    x = al.tensor(values, dtype=al.float64, requires_grad=True)
    check_gradgrad(lambda x: R.prod(x), [x])
    y = al.tensor([values, values[::-1]], dtype=al.float64, requires_grad=True)
    check_gradgrad(lambda y: R.prod(y, -1, keepdim=True), [y])


def test_prod_hessian_with_one_zero_by_hand():
    # prod(x) = x0 x1 x2 with x1 = 0: d2/dx0 dx2 = x1 = 0, d2/dx0 dx1 = x2, d2/dx1 dx2 = x0
    x = al.tensor([2.0, 0.0, 3.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(R.prod(x), [x], create_graph=True)
    rows = [al.autograd.grad(g[i], [x], retain_graph=True)[0].tolist() for i in range(3)]
    assert rows == [[0.0, 3.0, 0.0], [3.0, 0.0, 2.0], [0.0, 2.0, 0.0]]


def test_cumprod_gradient_with_zeros():
    x = al.tensor([2.0, 0.0, 3.0, 0.0, 5.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(R.cumprod(x, 0).sum(), [x])
    # out = [x0, x0x1, x0x1x2, ...]; d/dx1 sum = x0 + x0x2 + x0x2x3 + x0x2x3x4 = 2 + 6
    assert g.tolist() == [1.0, 8.0, 0.0, 0.0, 0.0]
    for values in ([2.0, 0.0, 3.0, 0.5], [0.0, 1.5, 0.0, 2.0]):
        y = al.tensor([values, values[::-1]], dtype=al.float64, requires_grad=True)
        check_gradgrad(lambda y: R.cumprod(y, 1), [y])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_with_zeros_both_backward_paths_agree(dim):
    # without create_graph: an O(N) formula around the first zero of each slice; with it:
    # the sum written out (differentiable). Same numbers, and both exact.
    rng = np.random.default_rng(11)
    for _ in range(20):
        a = rng.standard_normal((4, 5))
        a[rng.random(a.shape) < 0.3] = 0.0
        v = al.tensor(rng.standard_normal(a.shape))
        x = al.tensor(a, requires_grad=True)
        (fast,) = al.autograd.grad(R.cumprod(x, dim), [x], v)
        (graph,) = al.autograd.grad(R.cumprod(x, dim), [x], v, create_graph=True)
        assert graph.requires_grad and not fast.requires_grad
        np.testing.assert_allclose(arr(fast), arr(graph), rtol=1e-12, atol=1e-12)
        ref = np.zeros_like(a)  # sum_{i>=k} v_i prod_{j<=i, j!=k} a_j, by loops
        moved_a, moved_v = np.moveaxis(a, dim, -1), np.moveaxis(arr(v), dim, -1)
        moved_ref = np.moveaxis(ref, dim, -1)
        for idx in np.ndindex(moved_a.shape[:-1]):
            row, vrow = moved_a[idx], moved_v[idx]
            for k in range(row.size):
                moved_ref[idx][k] = sum(vrow[i] * np.prod(np.delete(row[: i + 1], k))
                                        for i in range(k, row.size))
        np.testing.assert_allclose(arr(fast), ref, rtol=1e-12, atol=1e-12)


def test_logsumexp_at_1000_does_not_overflow():
    x = al.tensor([[1000.0, 1000.0, 1000.0], [1000.0, -1000.0, 999.0]], dtype=al.float64,
                  requires_grad=True)
    out = R.logsumexp(x, 1)
    np.testing.assert_allclose(arr(out), [1000 + np.log(3), 1000 + np.log(1 + np.exp(-1))])
    out.sum().backward()
    g = x.grad.numpy()
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[0], [1 / 3] * 3)
    np.testing.assert_allclose(g[1], [1 / (1 + np.exp(-1)), 0.0, np.exp(-1) / (1 + np.exp(-1))])
    np.testing.assert_allclose(g.sum(axis=1), [1.0, 1.0])  # softmax weights
    x32 = al.tensor([1000.0, 1000.0], requires_grad=True)
    y = R.logsumexp(x32, 0)
    y.backward()
    assert np.isfinite(y.item())  # float32: the result's rounding (1e-4 at 1000) shows here
    np.testing.assert_allclose(x32.grad.numpy(), [0.5, 0.5], rtol=1e-4)
    check_gradgrad(lambda x: R.logsumexp(x, (0, 1)), [rand64(2, 3, seed=1) * 1000.0])


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 0.5, 1.5, 0], ids=str)
def test_norm_gradient_at_zero_is_zero(p):
    x = al.zeros(4, dtype=al.float64, requires_grad=True)
    R.norm(x, p).backward()
    assert x.grad.tolist() == [0.0] * 4
    y = al.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=al.float64, requires_grad=True)
    R.norm(y, p, dim=1).sum().backward()
    assert y.grad[0].tolist() == [0.0, 0.0]
    assert np.all(np.isfinite(y.grad.numpy()))


def test_norm_second_derivative_at_zero_is_nan_as_in_pytorch():
    # PyTorch's formula grad * (self / norm).masked_fill_(norm == 0, 0): the masked_fill
    # zeroes the first derivative, but the division's own derivative is 0/0 at a zero norm
    x = al.zeros(3, dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(R.norm(x), [x], create_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0]
    (h,) = al.autograd.grad(g.sum(), [x])
    assert np.isnan(h.numpy()).all()


def test_std_of_one_element_groups_second_derivative_is_nan_as_in_pytorch():
    # std = 0 in every group: (grad / (2 * result)).masked_fill_(result == 0, 0) gives a
    # first derivative of 0, and its derivative w.r.t. grad is 0/0, as in PyTorch
    x = rand64(2, 1, 3, seed=2)
    y = R.std(x, 1, correction=0)
    v = al.ones(2, 3, dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(y, [x], v, create_graph=True)
    assert g.tolist() == [[[0.0] * 3]] * 2
    (h,) = al.autograd.grad(g.sum(), [v])
    assert np.isnan(h.numpy()).all()


def test_norm_inf_ties_share_the_gradient():
    x = al.tensor([3.0, -3.0, 1.0], dtype=al.float64, requires_grad=True)
    R.norm(x, INF).backward()
    assert x.grad.tolist() == [0.5, -0.5, 0.0]


def test_std_of_a_constant_has_zero_gradient():
    x = al.ones(2, 3, dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(R.std(x, 1).sum(), [x], create_graph=True)
    assert g.tolist() == [[0.0] * 3] * 2
    (h,) = al.autograd.grad(g.sum(), [x])
    assert np.all(np.isfinite(h.numpy()))


def test_cumsum_backward_is_a_reversed_cumsum():
    x = al.tensor([[1.0, 2.0, 3.0]], dtype=al.float64, requires_grad=True)
    v = al.tensor([[1.0, 10.0, 100.0]], dtype=al.float64)
    (g,) = al.autograd.grad(R.cumsum(x, 1), [x], v)
    assert g.tolist() == [[111.0, 110.0, 100.0]]


# ----------------------------------------------------------------------------- graph nodes
def test_node_names_and_saved_values():
    x = rand64(3, 4)
    assert R.prod(x).grad_fn.name() == "ProdBackward0"
    node = R.prod(x, 1, keepdim=True).grad_fn
    assert node.name() == "ProdBackward1"
    assert node._saved_dim == 1 and node._saved_keepdim is True
    assert node._saved_self is x
    node = R.var(x, 1, correction=0).grad_fn
    assert node.name() == "VarBackward0"
    assert node._saved_correction == 0 and node._saved_dim == (1,)
    assert R.std(x).grad_fn.name() == "StdBackward0"
    assert R.logsumexp(x, 0).grad_fn.name() == "LogsumexpBackward0"
    node = R.norm(x, 3, dim=-1).grad_fn
    assert node.name() == "LinalgVectorNormBackward0"  # what PyTorch 2 shows for torch.norm
    assert node._saved_ord == 3.0 and node._saved_dim == (1,)
    assert R.cumsum(x, 0).grad_fn.name() == "CumsumBackward0"
    assert R.cumprod(x, 0).grad_fn.name() == "CumprodBackward0"
    assert R.cumsum(x, -1).grad_fn._saved_dim == 1


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call", [
    lambda x: R.prod(x, 2), lambda x: R.prod(x, -3), lambda x: R.var(x, 5),
    lambda x: R.std(x, (0, 2)), lambda x: R.logsumexp(x, -3), lambda x: R.norm(x, dim=2),
    lambda x: R.cumsum(x, 2), lambda x: R.cumprod(x, -3),
], ids=["prod", "prod-neg", "var", "std", "logsumexp", "norm", "cumsum", "cumprod"])
def test_bad_dim_is_an_index_error(call):
    with pytest.raises(IndexError, match="Dimension out of range"):
        call(al.ones(2, 3))


def test_dtype_errors():
    with pytest.raises(RuntimeError, match="std and var only support floating point and complex"):
        R.var(al.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError, match="std and var only support floating point and complex"):
        R.std(al.tensor([True, False]), 0)
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input"):
        R.norm(al.tensor([1, 2]))


def test_other_errors():
    with pytest.raises(TypeError, match="'dim' must be int"):
        R.prod(al.ones(2, 3), (0, 1))
    with pytest.raises(NotImplementedError, match="nuc"):
        R.norm(al.ones(2, 3), "nuc")
    with pytest.raises(RuntimeError, match="inf norm on an empty tensor"):
        R.norm(al.zeros(0), INF)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        R.var(al.ones(2, 3), (1, -1))


# ----------------------------------------------------------------------------- torch oracle
def _norm_dim1(p):
    return lambda m, x: m.norm(x, p, dim=1)


def _oracle_cases():
    zeros = np.array([[2.0, 0.0, 3.0, 0.5], [0.0, 1.5, 0.0, 2.0], [1.0, 2.0, 0.0, -1.0]])
    return [
        ("prod", lambda m, x: m.prod(x), None),
        ("prod-dim", lambda m, x: m.prod(x, 1, keepdim=True), None),
        ("prod-zeros", lambda m, x: m.prod(x, 1), zeros),
        ("prod-all-zeros", lambda m, x: m.prod(x), zeros[:1]),
        ("cumprod-zeros", lambda m, x: m.cumprod(x, 1), zeros),
        ("var", lambda m, x: m.var(x, (0, 1), correction=2), None),
        ("var-unbiased", lambda m, x: m.var(x, -1, unbiased=False, keepdim=True), None),
        ("std", lambda m, x: m.std(x, 0), None),
        ("logsumexp", lambda m, x: m.logsumexp(x, 1), None),
        ("logsumexp-1000", lambda m, x: m.logsumexp(x * 1000, (0, 1)), None),
        ("cumsum", lambda m, x: m.cumsum(x, -1), None),
        ("cumprod", lambda m, x: m.cumprod(x, 0), None),
        *[(f"norm-{p}", _norm_dim1(p), None) for p in NORM_PS],
        ("norm-zero-row", lambda m, x: m.norm(x, 2, dim=1), zeros * np.array([[1], [0], [1]])),
    ]


@pytest.mark.parametrize("name, f, data", _oracle_cases(), ids=[c[0] for c in _oracle_cases()])
def test_against_torch(name, f, data):
    torch = pytest.importorskip("torch")
    a = (np.random.default_rng(7).standard_normal((3, 4)) if data is None
         else np.asarray(data, dtype=np.float64))
    x = al.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    out, out_t = f(R, x), f(torch, xt)
    assert out.grad_fn.name() == out_t.grad_fn.name()
    np.testing.assert_allclose(arr(out), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = np.random.default_rng(8).standard_normal(out_t.shape)
    (g,) = al.autograd.grad(out, [x], al.tensor(v))
    (gt,) = torch.autograd.grad(out_t, [xt], torch.tensor(v), allow_unused=True,
                                materialize_grads=True)
    np.testing.assert_allclose(arr(g), gt.numpy(), rtol=1e-10, atol=1e-12)
