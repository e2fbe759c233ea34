"""``index_put_impl`` (``x.index_put_(indices, values, accumulate=True)``, the write index's
backward formula makes) exported to ONNX as ``ScatterND`` with ``reduction="add"``, run by
onnxruntime against autograd_lab; a traced index or max backward, whose formula makes its
zeros with an op of the program; and the export's refusal of an in-place write into a
constant the trace captured."""

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
    assert "index_put_accumulate" in rows, rows
    roundtrip(program, (x, v), also=[(al.randn(3, 4), al.randn(3, 4))])


def _index_backward(x, v):
    x = x.detach().requires_grad_()
    (g,) = al.autograd.grad(x[al.tensor([0, 0, 2])], x, v[:3], create_graph=True)
    return g


def _max_backwards(x, v):
    x = x.detach().requires_grad_()
    (whole,) = al.autograd.grad(x.max(), x, create_graph=True)
    (per_row,) = al.autograd.grad(x.max(1)[0], x, v[:, 0], create_graph=True)
    return whole, per_row


@pytest.mark.parametrize("fn", [_index_backward, _max_backwards], ids=["index", "max"])
def test_a_traced_formula_makes_its_zeros_on_each_run(fn):
    """The zeros index's and max's formulas write into are an op of the program
    (``new_zeros``/``new_empty``), not a constant the trace captured after the write: new
    inputs give new gradients, and the model computes the same."""
    x, v = al.randn(3, 4), al.randn(3, 4)
    program = make_fx(fn)(x, v)
    assert "ops.new_" in program.code
    other = (al.randn(3, 4), al.randn(3, 4))
    for args in ((x, v), other, (x, v)):
        for got, want in zip(program(*args) if fn is _max_backwards else (program(*args),),
                             fn(*args) if fn is _max_backwards else (fn(*args),), strict=True):
            assert got.tolist() == want.tolist()
    roundtrip(program, (x, v), also=[other])


def _write_into_captured(x):
    CAPTURED.add_(x)  # a tensor made outside the function: the trace captures it
    return CAPTURED * 2


CAPTURED = al.zeros(3)


def test_an_inplace_write_into_a_captured_constant_is_refused_with_the_reason():
    program = make_fx(_write_into_captured)(al.ones(3))
    with pytest.raises(al.onnx.UnsupportedOperatorError, match="a constant the trace captured"):
        al.onnx.export(program, (al.ones(3),))


def _scatter(x, src):
    index = al.tensor([[2, 0, 1, 2], [0, 1, 2, 1]])
    return x.scatter(0, index, src), x.scatter(1, al.tensor([[3], [0], [2]]), src)


def test_scatter_round_trips_with_a_src_larger_than_its_index():
    x, src = al.randn(3, 4), al.randn(3, 4)
    program = make_fx(_scatter)(x, src)
    roundtrip(program, (x, src), also=[(al.randn(3, 4), al.randn(3, 4))])
