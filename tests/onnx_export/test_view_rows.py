"""The view and copy rows that PyTorch's node names brought (issue 14): ``x[...]`` is an
alias, ``reshape`` of a non-contiguous tensor that needs no copy a reshape_alias, and
``contiguous()`` of one that is not in C order a copy. Each exports and runs in
onnxruntime with autograd_lab's values."""

from __future__ import annotations

import autograd_lab as al

from .roundtrip import roundtrip


def _rows(program) -> set:
    return {n.target.__name__ for n in program.graph if n.op == "call_function"}


def test_alias_reshape_alias_and_contiguous_round_trip():
    def f(x):
        a = x[...]                         # alias
        b = x[:, :1].reshape(4)            # reshape_alias: not contiguous, no copy needed
        c = x.mT.contiguous().view(-1)     # contiguous: a C-order copy, then a view
        return a * 2, b + 1, c

    x = al.arange(12.0).reshape(4, 3)
    rows = _rows(al.trace.make_fx(f)(x))
    assert {"alias", "reshape_alias", "contiguous"} <= rows, rows
    roundtrip(f, (x,), also=[(al.randn(4, 3),)])
