"""Tests generated from the op database (tests/opdb): every op, every sample.

For each ``<op>-<sample>``: the forward against NumPy, the method and in-place forms
against the function, ``_version`` moving by exactly one in place, and gradients and
second gradients against finite differences (``tests/helpers.py``, written
independently of ``al.autograd.gradcheck``; seed 004's port runs gradcheck itself).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ATOL, RTOL, check_gradgrad, check_vjp
from opdb.entries import OP_DB

import autograd_lab as al

SEED = 0


def _cases(predicate=lambda info: True):
    for info in OP_DB:
        if not predicate(info):
            continue
        rng = np.random.default_rng(SEED)
        for i, sample in enumerate(info.samples(rng)):
            yield pytest.param(info, sample, id=f"{info.name}-{sample.name or i}")


def _array(t):
    return t.detach().numpy() if isinstance(t, al.Tensor) else np.asarray(t)


@pytest.mark.parametrize(("info", "sample"), list(_cases(lambda i: i.ref is not None)))
def test_forward_matches_numpy(info, sample):
    out = info.call(sample)
    expected = info.ref(sample.input.detach().numpy(), *sample.args, **sample.kwargs)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(_array(out), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("info", "sample"), list(_cases(lambda i: i.method is not None)))
def test_method_agrees_with_function(info, sample):
    expected = info.call(sample)
    inp, args = sample.with_tensors(sample.tensors())
    out = getattr(inp, info.method)(*args, **sample.kwargs)
    if info.name in ("max", "min") and "dim" in sample.kwargs:
        out = out.values
    np.testing.assert_array_equal(_array(out), _array(expected))


@pytest.mark.parametrize(("info", "sample"), list(_cases(lambda i: i.inplace is not None)))
def test_inplace_matches_out_of_place_and_bumps_version_once(info, sample):
    expected = info.call(sample)
    inp, args = sample.with_tensors(sample.tensors())
    target = inp.detach().clone()
    if expected.shape != sample.input.shape:  # the result would not fit: PyTorch refuses
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            getattr(target, info.inplace)(*args, **sample.kwargs)
        return
    version = target._version
    result = getattr(target, info.inplace)(*args, **sample.kwargs)
    assert result is target
    assert target._version == version + 1
    np.testing.assert_allclose(_array(target), _array(expected), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("info", "sample"), list(_cases(lambda i: i.differentiable)))
def test_gradient_matches_finite_differences(info, sample):
    check_vjp(lambda *ts: info.call(sample, *ts), sample.tensors())


@pytest.mark.parametrize(("info", "sample"),
                         list(_cases(lambda i: i.differentiable and i.supports_gradgrad)))
def test_second_gradient_matches_finite_differences(info, sample):
    check_gradgrad(lambda *ts: info.call(sample, *ts), sample.tensors())


def _fits_in_place(info, sample) -> bool:
    return info.call(sample).shape == sample.input.shape


@pytest.mark.parametrize(("info", "sample"), [
    case for case in _cases(lambda i: i.differentiable and i.inplace is not None)
    if _fits_in_place(*case.values)])
def test_inplace_gradient_on_a_non_leaf_clone(info, sample):
    def inplace(x, *rest):
        _, args = sample.with_tensors((x, *rest))
        return getattr(x.clone(), info.inplace)(*args, **sample.kwargs)

    check_vjp(inplace, sample.tensors())


@pytest.mark.parametrize("info", [i for i in OP_DB if not i.differentiable], ids=lambda i: i.name)
def test_non_differentiable_ops_give_no_graph(info):
    sample = next(iter(info.samples(np.random.default_rng(SEED))))
    out = info.call(sample)
    assert out.grad_fn is None and not out.requires_grad


def test_database_names_are_unique_and_tolerances_sane():
    names = [i.name for i in OP_DB]
    assert len(names) == len(set(names))
    assert ATOL <= 1e-5 and RTOL <= 1e-3  # the finite-difference checks are not loosened
