"""The one-op gradients PyTorch's formulas call (``softmax_backward_data``,
``log_softmax_backward_data``, ``gelu_backward`` both ways, ``softplus_backward``,
``mse_loss_backward``; Note [softmax's backward as one op]) exported to ONNX: in a
forward program that takes a gradient with create_graph, and in a captured backward
program. Each is run by onnxruntime and compared with autograd_lab."""

from __future__ import annotations

import autograd_lab as al
from autograd_lab.trace import capture_backward, make_fx

from .roundtrip import assert_same, roundtrip, run

F = al.nn.functional
ROWS = {"softmax_backward_data", "log_softmax_backward_data", "gelu_backward",
        "softplus_backward", "mse_loss_backward"}


def _rows_in(program) -> set:
    return {node.target.spec.name for node in program.graph.nodes
            if node.op == "call_function" and hasattr(node.target, "spec")}


def _loss(x, y):
    return ((F.softmax(x, 1) * y).sum() + (F.log_softmax(x, 0) * y).sum()
            + (F.gelu(x) * y).sum() + (F.gelu(x, approximate="tanh") * y).sum()
            + (F.softplus(x, beta=2.0, threshold=1.0) * y).sum() + F.mse_loss(x, y)
            + F.mse_loss(x, y, reduction="sum"))


def _forward(x, y):
    x = x.detach().requires_grad_()
    out = _loss(x, y)
    (g,) = al.autograd.grad(out, x, create_graph=True)
    return (g,)


def _inputs(seed):
    al.manual_seed(seed)
    return al.randn(2, 3), al.rand(2, 3)


def test_forward_program_with_the_rows_roundtrips():
    program = make_fx(_forward)(*_inputs(0))
    assert ROWS <= _rows_in(program), ROWS - _rows_in(program)
    roundtrip(program, _inputs(0), also=[_inputs(1)], atol=1e-5)
    args = _inputs(2)
    want = [t.detach().numpy() for t in _forward(*args)]
    assert_same(run(al.onnx.export(program, args, None), *args), want, atol=1e-5)


def _captured():
    al.manual_seed(3)
    x = al.randn(2, 3, requires_grad=True)
    y = al.rand(2, 3)
    return capture_backward(_loss(x, y), params={"x": x}), x, y


def test_captured_backward_program_with_the_rows_roundtrips():
    program, x, y = _captured()
    assert ROWS <= _rows_in(program), ROWS - _rows_in(program)
    args = tuple(program.defaults.values())
    proto = roundtrip(program, args, also=[tuple(a * 0.5 + 0.1 for a in args)], atol=1e-5)
    got = run(proto, *args)
    _, x, y = _captured()
    _loss(x, y).backward()
    assert_same(got, [x.grad.numpy()], atol=1e-5)
