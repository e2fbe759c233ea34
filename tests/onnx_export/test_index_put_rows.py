"""``index_put_impl`` (``x.index_put_(indices, values, accumulate=True)``, the write index's
backward formula makes) exported to ONNX as ``ScatterND`` with ``reduction="add"``, run by
onnxruntime against autograd_lab; and the export's refusal of a traced index backward,
whose formula writes into zeros the trace captured as a constant."""

from __future__ import annotations

import pytest

import autograd_lab as al
from autograd_lab.trace import make_fx

from .roundtrip import roundtrip


def _accumulate(x, v):
    z = x.clone()
    z.index_put_((al.tensor([0, 0, 2]),), v, accumulate=True)  # row 0 gets v[0] + v[1]
    w = (x * 2).index_put_((al.tensor([[0, 1]]), al.tensor([[3, 3]])), al.tensor(1.5),
                           accumulate=True)  # two index tensors, a 0-d value expanded
    return z, w


def test_index_put_accumulate_round_trips():
    x, v = al.randn(3, 4), al.randn(3, 4)
    program = make_fx(_accumulate)(x, v)
    rows = {n.target.spec.name for n in program.graph
            if n.op == "call_function" and hasattr(n.target, "spec")}
    assert "index_put_impl" in rows, rows
    roundtrip(program, (x, v), also=[(al.randn(3, 4), al.randn(3, 4))])


def _index_backward(x, v):
    x = x.detach().requires_grad_()
    (g,) = al.autograd.grad(x[al.tensor([0, 0, 2])], x, v[:3], create_graph=True)
    return g


def test_a_traced_index_backward_is_refused_with_the_reason():
    x, v = al.randn(3, 4), al.randn(3, 4)
    program = make_fx(_index_backward)(x, v)
    with pytest.raises(al.onnx.UnsupportedOperatorError, match="a constant the trace captured"):
        al.onnx.export(program, (x, v))
