"""``select_backward`` and ``slice_backward``, the rows select's and slice's formulas record
(SelectBackwardBackward0 / SliceBackwardBackward0 under create_graph, as PyTorch's),
exported to ONNX (``Pad``; a step > 1 spreads the gradient out first) and run by
onnxruntime against autograd_lab."""

from __future__ import annotations

import autograd_lab as al
from autograd_lab.trace import make_fx

from .roundtrip import roundtrip

PICKS = (lambda t: t[1], lambda t: t[:, -1], lambda t: t[1:3], lambda t: t[::2],
         lambda t: t[:, 1::3], lambda t: t[1:-1:2, 0], lambda t: t.narrow(1, 2, 3),
         lambda t: t.select(0, -2))


def _gradients(x, v):
    """The gradient of each pick, taken with create_graph so the formulas' rows are in
    the program; the picks of v are the incoming gradients."""
    x = x.detach().requires_grad_()
    return [al.autograd.grad(pick(x), x, pick(v), create_graph=True)[0] for pick in PICKS]


def test_select_and_slice_backward_round_trip():
    x, v = al.randn(5, 6), al.randn(5, 6)
    program = make_fx(_gradients)(x, v)
    rows = {n.target.spec.name for n in program.graph
            if n.op == "call_function" and hasattr(n.target, "spec")}
    assert {"select_backward", "slice_backward"} <= rows, rows
    roundtrip(program, (x, v), also=[(al.randn(5, 6), al.randn(5, 6))])
