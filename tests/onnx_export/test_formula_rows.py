"""The rows PyTorch's formulas record (``add_alpha``, ``rsub``, the Scalar overloads
``mul_Scalar``/``add_Scalar``/``div_Scalar``, ``sgn``, ``tanh_backward``,
``sigmoid_backward``) and ``binary_cross_entropy`` exported to ONNX: in a forward program
(one that takes a gradient with create_graph, so the formulas' ops are part of it) and in
a captured backward program. Each is run by onnxruntime and compared with autograd_lab.
"""

from __future__ import annotations

import numpy as np

import autograd_lab as al
from autograd_lab.trace import capture_backward, make_fx

from .roundtrip import assert_same, roundtrip, run

F = al.nn.functional
ROWS = {"add_alpha", "sub_alpha", "rsub", "mul_Scalar", "add_Scalar", "div_Scalar", "sgn",
        "tanh_backward", "sigmoid_backward", "binary_cross_entropy"}


def _rows_in(program) -> set:
    return {node.target.spec.name for node in program.graph.nodes
            if node.op == "call_function" and hasattr(node.target, "spec")}


WEIGHT = al.tensor([0.25, 1.0, 2.0])  # a constant of the program (see below)


def _forward(x, y):
    """Values from each row: the gradient (taken with create_graph) of tanh, sigmoid,
    abs and pow records tanh_backward, sigmoid_backward, sgn and mul_Scalar; the second
    derivative of sigmoid records add_Scalar; cross_entropy with probabilities, mean,
    records div_Scalar. binary_cross_entropy's weight is the row's attribute: make_fx
    keeps a tensor attribute as a captured constant, not as the program's input."""
    x = x.detach().requires_grad_()
    out = ((x.tanh() + x.sigmoid() + x.abs()) * y).sum() + (x.pow(3) / 3).sum()
    (g,) = al.autograd.grad(out, x, create_graph=True)
    (gg,) = al.autograd.grad((x.sigmoid() * y).sum(), x, create_graph=True)
    (g2,) = al.autograd.grad(gg.sum(), x, create_graph=True)
    p = x.sigmoid()
    return (g, g2, al.add(x, y, alpha=2), al.sub(x, y, alpha=3), al.rsub(x, y, alpha=2),
            al.add(x, y), F.cross_entropy(x, F.softmax(y, 1)),
            F.binary_cross_entropy(p, y), F.binary_cross_entropy(p, y, reduction="none"),
            F.binary_cross_entropy(p, y, weight=WEIGHT, reduction="sum"))


def _inputs(seed):
    al.manual_seed(seed)
    return al.randn(2, 3), al.rand(2, 3)


def test_forward_program_with_the_rows_roundtrips():
    program = make_fx(_forward)(*_inputs(0))
    assert ROWS <= _rows_in(program), ROWS - _rows_in(program)
    # the exported program, on its own and on new values, against eager autograd_lab
    roundtrip(program, _inputs(0), also=[_inputs(1)], atol=1e-5)
    # and against the function itself (with autograd on, as it ran)
    args = _inputs(2)
    want = [t.detach().numpy() for t in _forward(*args)]
    got = run(al.onnx.export(program, args, None), *args)
    assert_same(got, want, atol=1e-5)


def test_binary_cross_entropy_floors_its_logs_in_onnx_too():
    # log 0 is -inf; the row (as PyTorch's) floors it at -100, and so does the export
    def f(p, t):
        return F.binary_cross_entropy(p, t, reduction="none")

    p, t = al.tensor([0.0, 1.0, 0.5]), al.tensor([1.0, 0.0, 1.0])
    proto = roundtrip(make_fx(f)(p, t), (p, t))
    np.testing.assert_allclose(run(proto, p, t)[0], [100.0, 100.0, np.log(2)], rtol=1e-6)


def _captured_loss(x, y):
    p = x.sigmoid() * 0.8 + 0.1
    return ((x.tanh() * 2 + y.sigmoid() + al.add(x, y, alpha=2) - al.sub(x, y, alpha=3)
             + al.rsub(x, y, alpha=2) + x.abs()).sum()
            + F.binary_cross_entropy(p, y.detach()))


def _captured():
    al.manual_seed(3)
    x = al.randn(2, 3, requires_grad=True)
    y = al.rand(2, 3, requires_grad=True)
    return capture_backward(_captured_loss(x, y), params={"x": x, "y": y}), (x, y)


def test_captured_backward_program_with_the_rows_roundtrips():
    program, (x, y) = _captured()
    assert {"tanh_backward", "sigmoid_backward", "sgn", "mul_Scalar"} <= _rows_in(program)
    args = tuple(program.defaults.values())
    new = tuple(a * 0.5 + 0.1 for a in args)  # still in (0, 1) for the saved probabilities
    proto = roundtrip(program, args, also=[new], atol=1e-5)
    # the exported backward gives what backward() adds to each .grad
    got = run(proto, *args)
    _, (x, y) = _captured()
    x.grad = y.grad = None
    _captured_loss(x, y).backward()
    assert_same(got, [x.grad.numpy(), y.grad.numpy()], atol=1e-5)
