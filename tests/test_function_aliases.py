"""A Function that returns its input marked non-differentiable gives a detached alias, and
never changes the input (PyTorch's _wrap_outputs: "Return detached aliases of inputs,
instead of changing their requires_grad property"). Before, the input lost its
requires_grad, and a later gradient depended on the order of a product's operands."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al


def _returns_its_input(lib):
    class ReturnsInput(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_non_differentiable(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    return ReturnsInput


@pytest.mark.parametrize("b_first", [True, False])
def test_the_gradient_does_not_depend_on_operand_order(b_first):
    fn = _returns_its_input(al)
    a = al.tensor([1.0], requires_grad=True)
    b = a * 2
    with al.no_grad():
        out = fn.apply(b)
    assert out is not b and not out.requires_grad
    assert b.requires_grad and b.grad_fn.name() == "MulBackward0"  # b keeps its history
    e = al.tensor([1.0], requires_grad=True)
    ((b * e) if b_first else (e * b)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0])


def test_with_grad_mode_on_the_output_does_not_require_grad():
    fn = _returns_its_input(al)
    a = al.tensor([1.0], requires_grad=True)
    b = a * 2
    out = fn.apply(b)
    assert not out.requires_grad and out.grad_fn is None
    assert b.requires_grad and b.grad_fn.name() == "MulBackward0"
    assert np.shares_memory(out.numpy(), b.detach().numpy())


def test_a_leaf_input_stays_a_leaf_that_requires_grad():
    fn = _returns_its_input(al)
    x = al.tensor([3.0], requires_grad=True)
    with al.no_grad():
        out = fn.apply(x)
    assert x.requires_grad and x.is_leaf and not out.requires_grad
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0])


@pytest.mark.parametrize("grad_mode", [True, False])
def test_same_as_pytorch(grad_mode):
    torch = pytest.importorskip("torch")
    seen = {}
    for lib in (al, torch):
        fn = _returns_its_input(lib)
        a = lib.tensor([1.0], requires_grad=True)
        b = a * 2
        with lib.set_grad_enabled(grad_mode):
            out = fn.apply(b)
        e = lib.tensor([1.0], requires_grad=True)
        (e * b).sum().backward()
        seen[lib.__name__] = (out is b, out.requires_grad, out.grad_fn is None,
                              b.requires_grad, type(b.grad_fn).__name__, a.grad.tolist())
    assert seen["autograd_lab"] == seen["torch"]
