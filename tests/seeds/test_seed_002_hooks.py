"""Seed 002: PyTorch's test/dynamo/test_backward_higher_order_ops.py, eager parts.

The PyTorch file checks that a tensor hook registered in forward runs during backward,
eagerly, under torch.compile and under compiled autograd. Here everything runs
eagerly: each PyTorch test keeps its inputs and its value assertions
(``x.grad == grad_out * grad_out`` and so on); ``torch.compile`` backends collapse to
the eager run, and ``trace_wrapped(grad, fn=f)`` is, eagerly, just ``f(grad)``.
PyTorch's printed graphs become ours: ``al.trace.make_fx`` for the forward ones, and
``al.trace.capture_backward`` for compiled autograd's (the hook inlined; a hook with a
side effect or a print refused, where PyTorch lifts the side effect or breaks the graph).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import autograd_lab as al


def trace_wrapped(grad, *, fn):
    """Eager meaning of ``torch._dynamo._trace_wrapped_higher_order_op.trace_wrapped``."""
    return fn(grad)


def _multiply(x):
    return x * x


def _multiply_invoke(grad):
    return trace_wrapped(grad, fn=_multiply)


def assert_equal(actual, expected):
    np.testing.assert_array_equal(actual.detach().numpy(), expected.detach().numpy())


def test_invoke_in_eager():
    x = al.tensor([0.5, 0.5], requires_grad=True)
    y = al.tensor([0.5, 0.5], requires_grad=True)

    def fn(x, y):
        x.register_hook(_multiply_invoke)
        return x * y

    out = fn(x, y)
    grad_out = al.tensor([2.0, 2.0])
    out.backward(grad_out)
    assert_equal(x.grad, y * grad_out)  # (grad_out * y)**2 = 1 = y * grad_out
    assert_equal(y.grad, x * grad_out)  # y has no hook: grad_out * x


def test_invoke_in_pt2():
    # PyTorch loops over the "eager", "aot_eager" and "inductor" torch.compile backends;
    # eagerly there is one way to run it.
    x = al.tensor([0.5, 0.5], requires_grad=True)
    y = al.tensor([0.5, 0.5], requires_grad=True)

    def fn(x, y):
        x.register_hook(_multiply_invoke)
        return x * y

    out = fn(x, y)
    grad_out = al.tensor([2.0, 2.0])
    out.backward(grad_out)
    assert_equal(x.grad, grad_out * y)


def test_invoke_make_fx_forward_contrived():
    x = al.tensor([0.5, 0.5], requires_grad=True)
    out = _multiply_invoke(x)
    assert_equal(out, al.tensor([0.25, 0.25]))
    assert out.grad_fn.name() == "MulBackward0"
    program = al.trace.make_fx(_multiply_invoke)(x)
    assert_equal(program(x), al.tensor([0.25, 0.25]))
    # PyTorch prints the higher-order op (trace_wrapped = torch__dynamo__trace_wrapped_
    # higher_order_op_self_invoke(grad_1)); eagerly trace_wrapped is f(grad): its mul.
    assert program.print_readable(False) == """\
class _multiply_invoke(al.nn.Module):
    def forward(self, grad_1: "f32[2]"):
        mul: "f32[2]" = ops.mul(grad_1, grad_1);  grad_1 = None
        return mul
"""


def test_invoke_make_bw():
    x = al.tensor([0.5, 0.5], requires_grad=True)

    def fwd(x):
        z = x * x
        return z + z

    res = fwd(x)
    res.backward(al.tensor([1.0, 1.0]))
    assert_equal(x.grad, al.tensor([2.0, 2.0]))  # d(2x^2) = 4x
    out = _multiply_invoke(x.grad)
    assert_equal(out, al.tensor([4.0, 4.0]))
    program = al.trace.make_fx(_multiply_invoke)(x.grad)
    assert_equal(program(x.grad), al.tensor([4.0, 4.0]))
    assert program.print_readable(False) == """\
class _multiply_invoke(al.nn.Module):
    def forward(self, grad_1: "f32[2]"):
        mul: "f32[2]" = ops.mul(grad_1, grad_1);  grad_1 = None
        return mul
"""


CAPTURED_HOOK_PROGRAM = """\
class backward(al.nn.Module):
    def forward(self, tangents_1: "f32[2]"):
        # tensor hook _multiply_invoke of x
        mul: "f32[2]" = ops.mul(tangents_1, tangents_1)
        # AccumulateGrad (x)
        x_grad: "f32[2]" = accumulate_grad('x', mul);  mul = None
        # AccumulateGrad (y)
        y_grad: "f32[2]" = accumulate_grad('y', tangents_1);  tangents_1 = None
        return (x_grad, y_grad)
"""


def test_invoke_in_pt2_compiled_autograd():
    for _backend in ["eager", "aot_eager", "inductor"]:
        x = al.tensor([0.5, 0.5], requires_grad=True)
        y = al.tensor([0.5, 0.5], requires_grad=True)

        def fn(x, y):
            x.register_hook(_multiply_invoke)
            return x + y

        out = fn(x, y)
        grad_out = al.tensor([2.0, 2.0])
        # PyTorch's compiled autograd captures this backward as one graph, the hook's
        # ``tangents * tangents`` inlined; capture_backward is ours, printed the same way.
        program = al.trace.capture_backward(out, params={"x": x, "y": y}, gradient=grad_out)
        assert program.print_readable(False) == CAPTURED_HOOK_PROGRAM
        captured_x, captured_y = program()
        out.backward(grad_out)
        assert_equal(x.grad, grad_out * grad_out)
        assert_equal(y.grad, grad_out)
        assert_equal(captured_x, x.grad)
        assert_equal(captured_y, y.grad)


def test_invoke_in_pt2_compiled_autograd_side_effect():
    def _side_effect_stateful_fn2(x, obj):
        obj.counter = obj.counter + 1
        return _multiply(x)

    def _side_effectful_invoke2(grad, fn):
        return trace_wrapped(grad, fn=fn)

    x = al.tensor([0.5, 0.5], requires_grad=True)
    y = al.tensor([0.5, 0.5], requires_grad=True)

    class MyObj:
        def __init__(self) -> None:
            self.counter = 0

    obj = MyObj()
    inner_fn = functools.partial(_side_effect_stateful_fn2, obj=obj)
    hook_fn = functools.partial(_side_effectful_invoke2, fn=inner_fn)
    x.register_hook(hook_fn)

    def fn(x, y):
        return x + y

    out = fn(x, y)
    grad_out = al.tensor([2.0, 2.0])
    # PyTorch's compiled autograd lifts ``obj.counter += 1`` into the graph's outputs; a
    # program here holds tensor maths only, so capturing refuses the hook by name (the
    # hook ran once while capturing).
    with pytest.raises(al.trace.HookNotCapturableError,
                       match=r"_side_effectful_invoke2 .* changes Python state "
                             r"\(MyObj.counter went from 0 to 1\)"):
        al.trace.capture_backward(out, gradient=grad_out)
    assert x.grad is None and obj.counter == 1
    obj.counter = 0
    out.backward(grad_out)
    assert obj.counter == 1
    assert_equal(x.grad, grad_out + grad_out)

    out = fn(x, y)
    out.backward(grad_out)
    assert obj.counter == 2

    out = fn(x, y)
    out.backward(grad_out)
    assert obj.counter == 3
    assert_equal(x.grad, al.tensor([12.0, 12.0]))  # three backwards of grad_out**2 = 4
    assert_equal(y.grad, al.tensor([6.0, 6.0]))


def test_invoke_in_pt2_compiled_autograd_graph_breaks(capsys):
    # Eagerly the hook simply runs; capturing the backward as a program refuses it.
    def _graph_breaking_fn(x):
        print("Boo!")
        return _multiply(x)

    def _graph_break_invoke(grad):
        return trace_wrapped(grad, fn=_graph_breaking_fn)

    x = al.tensor([0.5, 0.5], requires_grad=True)
    y = al.tensor([0.5, 0.5], requires_grad=True)

    def fn(x, y):
        x.register_hook(_graph_break_invoke)
        return x + y

    out = fn(x, y)
    grad_out = al.tensor([2.0, 2.0])
    # Under compiled autograd PyTorch raises torch._dynamo.exc.Unsupported ("print"):
    # a graph break. capture_backward refuses the printing hook the same way.
    with pytest.raises(al.trace.HookNotCapturableError, match=r"_graph_break_invoke .* prints"):
        al.trace.capture_backward(out, gradient=grad_out)
    assert capsys.readouterr().out == ""
    out.backward(grad_out)
    assert capsys.readouterr().out == "Boo!\n"
    assert_equal(x.grad, grad_out * grad_out)
