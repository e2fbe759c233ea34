"""Seed 001, PyTorch's test/onnx/test_autograd_funs.py, ported to autograd_lab.

The PyTorch tests export models that call custom ``autograd.Function``s to ONNX and
compare the exported model with eager PyTorch. ONNX export comes with a later issue; here
each case runs the same Functions eagerly and asserts their values and gradients
against hand-derived formulas. The ``Caller`` modules become plain functions (``forward``
is all they had). Where a PyTorch test relies on something that would fail at backward
(a backward with the wrong signature, no backward at all), that failure is asserted.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lab as al


def values(t):
    return t.detach().numpy().astype(np.float64)


def test_single_output():
    class SingleOut(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            result = result.log()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    def caller(input):
        result = input + 5
        return SingleOut.apply(result) + 3

    input = al.ones(1, requires_grad=True)
    out = caller(input)
    np.testing.assert_allclose(values(out), [9.0], rtol=1e-6)  # log(exp(6)) + 3
    out.backward()
    # The (deliberately odd) backward multiplies by the saved result, 6.
    np.testing.assert_allclose(values(input.grad), [6.0], rtol=1e-6)


def test_multi_output():
    class MultiOut(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result_exp = i.exp()
            result_log = result_exp.log()
            ctx.save_for_backward(result_exp, result_log)
            return result_exp, result_log

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    input = al.ones(1, 5, requires_grad=True)
    result_exp, result_log = MultiOut.apply(input)
    np.testing.assert_allclose(values(result_exp), np.full((1, 5), math.e), rtol=1e-6)
    np.testing.assert_allclose(values(result_log), np.ones((1, 5)), rtol=1e-6)
    assert result_exp.grad_fn is result_log.grad_fn
    assert result_exp.grad_fn.name() == "MultiOutBackward"
    # Its backward takes one gradient for two outputs (export never calls it): running it
    # fails the way Python fails on a wrong call, not silently.
    with pytest.raises(TypeError):
        result_exp.sum().backward()


def test_partial_output():
    class PartialOut(al.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            values, _ = al.topk(input, 3)
            return values

    input = al.tensor([[1.0, 5.0, 2.0, 4.0, 3.0]], requires_grad=True)
    out = PartialOut.apply(input)
    assert out.tolist() == [[5.0, 4.0, 3.0]]
    # No backward was written: forward works, backward says what is missing.
    with pytest.raises(NotImplementedError, match="PartialOut does not implement backward"):
        out.sum().backward()


def test_nested_autograd():
    class Child(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.log()
            result_log = result.log()
            ctx.save_for_backward(result_log)
            return result_log

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class Parent(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result_exp = i.exp()
            result_log = Child.apply(result_exp)
            ctx.save_for_backward(result_exp, result_log)
            return result_exp, result_log

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    input = al.tensor([[2.0, 3.0]], dtype=al.float64, requires_grad=True)
    result_exp, result_log = Parent.apply(input)
    np.testing.assert_allclose(values(result_exp), np.exp([[2.0, 3.0]]))
    np.testing.assert_allclose(values(result_log), np.log([[2.0, 3.0]]))  # log(log(exp(i)))
    # Child ran inside Parent's forward, which records nothing: one node in the graph.
    assert result_log.grad_fn.name() == "ParentBackward"
    assert result_log.grad_fn.next_functions[0][0].variable is input


def test_aten_unsupported():
    class Erf(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            erf_out = al.special.erf(x)
            ctx.save_for_backward(erf_out)
            return erf_out

        @staticmethod
        def backward(ctx, grad_output):
            result = ctx.saved_tensors
            return al.special.erfinv(result[0]), None

    input = al.full((1, 5), 0.5, requires_grad=True)
    out = Erf.apply(input)
    np.testing.assert_allclose(values(out), np.full((1, 5), math.erf(0.5)), rtol=1e-6)
    # The test's backward returns erfinv(erf(x)) = x, plus a trailing None (allowed).
    out.sum().backward()
    np.testing.assert_allclose(values(input.grad), np.full((1, 5), 0.5), rtol=1e-5)
    # (The ONNX fallthrough/ATen-fallback graph checks come with the export issue.)


def test_inline_and_symbolic():
    class Exp(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            ctx.save_for_backward(input)  # the builtin ``input``, as in the PyTorch test
            return i.exp()

        @staticmethod
        def symbolic(g, input):
            return g.op("Exp", input)

    class LogLog(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            ctx.save_for_backward(input)
            return i.log().log()

    def caller(input):
        exp_result = Exp.apply(input)
        return LogLog.apply(exp_result)

    # Nothing requires grad, so nothing is saved: forward runs as export would run it.
    out = caller(al.ones(1))
    # log(log(e)) = 0 up to float32 rounding of e (one unit in the last place: 1.2e-7)
    np.testing.assert_allclose(values(out), [0.0], atol=2.5e-7)
    assert callable(Exp.symbolic)
    # Recording it would have to save the builtin ``input``: a clear error, not a crash.
    with pytest.raises(TypeError, match="save_for_backward can only save tensors"):
        caller(al.ones(1, requires_grad=True))


def test_inline_with_scoped_tracing():
    class Exp(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            ctx.save_for_backward(input)
            return i.exp()

        @staticmethod
        def symbolic(g, input):
            return g.op("Exp", input)

    class LogLog(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            ctx.save_for_backward(input)
            return i.log().log()

    def caller(input):
        exp_result = Exp.apply(input)
        return LogLog.apply(exp_result)

    x = al.tensor([0.5, 2.0])
    np.testing.assert_allclose(values(caller(x)), np.log([0.5, 2.0]), rtol=1e-6)
    # (PyTorch sets torch.jit's module map around export here; tracing is a later issue.)
