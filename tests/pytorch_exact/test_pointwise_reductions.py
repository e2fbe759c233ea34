"""Issue 14 (pointwise and reductions): PyTorch's node names, saved values, freeing,
errors and warnings. Each test checks a hand-written expectation, and PyTorch's
behaviour too where it is installed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_lab as al

try:
    import torch
except ImportError:  # pragma: no cover - the torch comparison is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _lib(name):
    return torch if name == "torch" else al


LIBS = ["al"] + (["torch"] if torch is not None else [])


# --- saved values: mul and div save only what their gradients read ---------------------
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("op", ["mul", "div"])
def test_constant_operand_may_change_after_mul_div(lib, op):
    m = _lib(lib)
    x = m.tensor([1.0, 2.0], requires_grad=True)
    c = m.tensor([3.0, 4.0])
    y = x * c if op == "mul" else x / c
    assert y.grad_fn._saved_self is None  # the constant's gradient is never computed
    with m.no_grad():
        x.mul_(2)
    y.sum().backward()
    expected = [3.0, 4.0] if op == "mul" else [1 / 3, 1 / 4]
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("lib", LIBS)
def test_div_saves_self_when_other_requires_grad(lib):
    m = _lib(lib)
    c = m.tensor([3.0, 4.0])
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = c / x
    np.testing.assert_allclose(y.grad_fn._saved_self.numpy(), [3.0, 4.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-3.0, -1.0])
