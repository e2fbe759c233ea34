"""The fast partial sums of ``_ops/_kernels.py`` (Note [Fast partial sums]) and the
NumPy formulas of the rows the benchmarks run, on arrays large enough to take the fast
paths (the op database's samples are small: they never reach them)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers import assert_close, backward_gradient_dtypes

import autograd_lab as al
from autograd_lab._ops._kernels import partial_sum

SHAPES = [(64, 128, 32), (4096, 3), (3, 4096), (2, 3, 4, 5, 6, 7), (8, 1, 256, 1, 4),
          (2, 3000), (3000, 2, 2)]


def _all_axes(ndim):
    for k in range(1, ndim + 1):
        yield from itertools.combinations(range(ndim), k)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_partial_sum_is_np_sum(shape, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    for axes in _all_axes(a.ndim):
        for keepdims in (False, True):
            got = partial_sum(a, axes, keepdims)
            exact = np.sum(a.astype(np.float64), axis=axes, keepdims=keepdims)
            assert np.shape(got) == exact.shape and got.dtype == dtype
            # float32: within a few roundings of each term's size
            assert_close(got, exact, rtol=tol, atol=tol * np.sqrt(a.size / max(exact.size, 1)))


def test_partial_sum_of_a_broadcast_reads_it_once():
    rng = np.random.default_rng(1)
    small = rng.standard_normal((64, 1, 32)).astype(np.float32)
    big = np.broadcast_to(small, (64, 128, 32))
    assert_close(partial_sum(big, (1,)), small[:, 0] * 128, rtol=1e-6)
    assert_close(partial_sum(big, (0, 1)), small.sum((0, 1)) * 128, rtol=1e-5)
    assert partial_sum(big, (0, 1)).dtype == np.float32


def test_partial_sum_leaves_ints_bools_and_non_contiguous_arrays_to_numpy():
    rng = np.random.default_rng(2)
    ints = rng.integers(-5, 5, (64, 40))
    assert partial_sum(ints, (0,)).dtype == ints.sum(0).dtype
    np.testing.assert_array_equal(partial_sum(ints, (0,)), ints.sum(0))
    a = rng.standard_normal((40, 64)).T
    assert_close(partial_sum(a, (1,)), a.sum(1), atol=1e-12)


def test_partial_sum_keeps_nan_and_inf():
    a = np.ones((64, 32), np.float32)
    a[3, 4], a[5, 6] = np.nan, np.inf
    got = partial_sum(a, (0,))
    assert np.isnan(got[4]) and np.isinf(got[6]) and got[0] == 64


# --- the rows on large inputs: NumPy formula against Tensor formula -------------------------
def _grads_both_ways(fn, tensors, seed_shape=None):
    out = fn(*tensors)
    seed = al.tensor(np.random.default_rng(5).standard_normal(out.shape), dtype=out.dtype)
    wrt = [t for t in tensors if t.requires_grad]
    plain = al.autograd.grad(out, wrt, seed, retain_graph=True)
    recorded = al.autograd.grad(out, wrt, seed, create_graph=True)
    return plain, recorded


CALLS = [
    ("sum_dim1", lambda x: x.sum(1), [(64, 40, 8)]),
    ("sum_dims02_keepdim", lambda x: x.sum((0, 2), keepdim=True), [(64, 40, 8)]),
    ("mean_dim1", lambda x: x.mean(1), [(64, 40, 8)]),
    ("mean_all", lambda x: x.mean(), [(64, 40, 8)]),
    ("broadcast_add_mul", lambda x, b, s: (x + b) * s, [(16, 40, 8), (40, 1), (8,)]),
    ("expand", lambda b: b.expand(16, 40, 8) * 2.0, [(40, 1)]),
    ("softmax", lambda x: al.nn.functional.softmax(x, dim=-1), [(64, 40)]),
    ("softmax_dim0", lambda x: al.nn.functional.softmax(x, dim=0), [(64, 40)]),
    ("log_softmax", lambda x: al.nn.functional.log_softmax(x, dim=1), [(30, 50, 2)]),
    ("matmul_batched_by_matrix", lambda a, b: a @ b, [(4, 30, 20), (20, 10)]),
    ("linear_3d", lambda a, w: al.nn.functional.linear(a, w), [(4, 30, 20), (10, 20)]),
    ("cross_entropy", lambda x: al.nn.functional.cross_entropy(
        x, al.tensor(np.arange(300) % 7)), [(300, 7)]),
]


@pytest.mark.parametrize(("name", "fn", "shapes"), CALLS, ids=[c[0] for c in CALLS])
def test_large_inputs_numpy_formulas_agree_with_tensor_formulas(name, fn, shapes):
    rng = np.random.default_rng(4)
    tensors = [al.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    plain, recorded = _grads_both_ways(fn, tensors)
    for a, b in zip(plain, recorded, strict=True):
        assert a.dtype == b.dtype == al.float64
        assert_close(a.numpy(), b.detach().numpy(), atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize(("name", "fn", "shapes"), CALLS, ids=[c[0] for c in CALLS])
def test_large_inputs_float32_stays_float32(name, fn, shapes):
    rng = np.random.default_rng(4)
    tensors = [al.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
               for s in shapes]
    out = fn(*tensors)
    seen = backward_gradient_dtypes(out)
    assert set(seen) == {al.float32}
    assert all(t.grad.dtype == al.float32 for t in tensors)


def test_large_reductions_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((64, 128, 32)).astype(np.float32)
    b = rng.standard_normal((128, 1)).astype(np.float32)
    s = rng.standard_normal(32).astype(np.float32)
    w = rng.standard_normal((64, 32)).astype(np.float32)

    def run(mod, functional):
        leaves = [mod.tensor(a, requires_grad=True) for a in (x, b, s)]
        m = ((leaves[0] + leaves[1]) * leaves[2]).mean(1)
        loss = (functional.softmax(m, dim=-1) * mod.tensor(w)).sum()
        loss.backward()
        return [loss.detach().numpy()] + [t.grad.numpy() for t in leaves]

    ours = run(al, al.nn.functional)
    theirs = run(torch, torch.nn.functional)
    for a, e in zip(ours, theirs, strict=True):
        assert a.dtype == np.float32
        assert_close(a, e, rtol=1e-4, atol=1e-7)
