"""Seed 004, PyTorch's test/test_ops_gradients.py, ported to autograd_lab.

PyTorch runs gradcheck, gradgradcheck and their in-place forms over its op database in
double precision; here the same five tests run over ours (``tests/opdb``), with
``al.autograd.gradcheck``/``gradgradcheck``. PyTorch skips an op a test does not apply
to; here each test is parametrized only over the ops it applies to, so nothing is
skipped. The commented-out method tests of the original stay out, for the same reason
(they repeat the function tests).
"""

from __future__ import annotations

import numpy as np
import pytest
from opdb.entries import OP_DB

from autograd_lab.autograd import gradcheck, gradgradcheck


def _samples(info):
    return list(info.samples(np.random.default_rng(0)))


def _fn(info, sample):
    return lambda *tensors: info.call(sample, *tensors)


def _safe_inplace(info, sample):
    """The in-place variant applied to a non-leaf copy (a leaf may not be changed in place)."""

    def fn(x, *rest):
        _, args = sample.with_tensors((x, *rest))
        return getattr(x.clone(), info.inplace)(*args, **sample.kwargs)

    return fn


def _fits(info, sample):
    return info.call(sample).shape == sample.input.shape


def _ids(info):
    return info.name


DIFFERENTIABLE = [i for i in OP_DB if i.differentiable]
GRADGRAD = [i for i in DIFFERENTIABLE if i.supports_gradgrad]
NO_GRADGRAD = [i for i in DIFFERENTIABLE if not i.supports_gradgrad]
INPLACE = [i for i in DIFFERENTIABLE if i.inplace is not None]


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=_ids)
def test_fn_grad(op):
    for sample in _samples(op):
        assert gradcheck(_fn(op, sample), sample.tensors(), atol=op.atol, rtol=op.rtol)


@pytest.mark.parametrize("op", INPLACE, ids=_ids)
def test_inplace_grad(op):
    for sample in _samples(op):
        if _fits(op, sample):
            assert gradcheck(_safe_inplace(op, sample), sample.tensors())


@pytest.mark.parametrize("op", GRADGRAD, ids=_ids)
def test_fn_gradgrad(op):
    for sample in _samples(op):
        assert gradgradcheck(_fn(op, sample), sample.tensors(), atol=op.atol, rtol=op.rtol)


@pytest.mark.parametrize("op", NO_GRADGRAD, ids=_ids)
def test_fn_fail_gradgrad(op):
    sample = _samples(op)[0]
    with pytest.raises(RuntimeError, match=r"derivative for .* is not implemented"):
        gradgradcheck(_fn(op, sample), sample.tensors())


@pytest.mark.parametrize("op", [i for i in INPLACE if i.supports_gradgrad], ids=_ids)
def test_inplace_gradgrad(op):
    for sample in _samples(op):
        if _fits(op, sample):
            assert gradgradcheck(_safe_inplace(op, sample), sample.tensors())


def test_database_has_ops_without_double_backward():
    """So that test_fn_fail_gradgrad checks something (API.md keeps this list short)."""
    assert NO_GRADGRAD, "no op declares supports_gradgrad=False"
