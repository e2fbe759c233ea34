"""What a traced program calls: ``ops.<row>`` runs one row of the derivative table.

``ops.mul(x, w)`` runs the row ``mul`` through the same path the eager op took
(``apply_op``), so a program records a graph and can be differentiated like the code it
came from. A row's non-tensor arguments are keywords named as the row names them
(``ops.sum(x, dim=(0,), keepdim=False, self_sym_sizes=(3,))``); an in-place op is its
row's name with a trailing underscore (``ops.mul_scalar_(y, other=2.0)``). The few ops
without a row (comparisons, ``argmax``, ``detach``, a formula's ``new_zeros``) call the
public function.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from .._ops._apply import apply_multi_op, apply_op
from .._ops._table import REGISTRY
from .._ops.inplace import apply_inplace
from .._tensor import Tensor

__all__ = ["ops", "RowTarget", "accumulate_grad", "getitem", "code_name"]

getitem = operator.getitem

def _arg_indices(arg_fn):
    return lambda tensors, attrs: {"indices": arg_fn(tensors[0]._data, axis=attrs["dim"])}


def _nll_picks(tensors, attrs) -> dict:
    """What ``_ops.nn.nll_loss`` works out from the target (and the class weights)."""
    from .._ops._kernels import add_reduce
    from .._ops.nn import NllPicks

    weight = tensors[1] if len(tensors) > 1 else attrs["weight"]
    dtype = tensors[0]._data.dtype
    picks = NllPicks(tensors[0]._data.shape, attrs["target"]._data,
                     None if weight is None else weight._data, attrs["ignore_index"], dtype)
    total = np.asarray(add_reduce(picks.sample_weight, axis=None), dtype=dtype)
    return {"picks": picks, "total_weight": Tensor(total)}


# Rows whose attributes hold something computed from the values of their inputs: a
# program recomputes it from its own inputs instead of reusing the traced one (a
# program does not pass these; ``ops.max_dim(x, dim=0, ...)`` works out its indices):
# row -> (those attributes' names, a function of (tensors, attrs) that computes them).
_RECOMPUTED: dict[str, tuple[tuple[str, ...], Callable[[tuple, dict], dict]]] = {
    "max_dim": (("indices",), _arg_indices(np.argmax)),
    "min_dim": (("indices",), _arg_indices(np.argmin))}
for _row in ("nll_loss", "nll_loss2d", "nll_loss_weighted", "nll_loss2d_weighted"):
    _RECOMPUTED[_row] = (("total_weight", "picks"), _nll_picks)


class RowTarget:
    """Calls one row of the derivative table (``inplace``: writing into the first tensor)."""

    def __init__(self, spec, inplace: bool = False) -> None:
        self.spec = spec
        self.inplace = inplace
        self.__name__ = spec.name + ("_" if inplace else "")
        self.recomputed = _RECOMPUTED.get(spec.name, ((), None))[0]  # attrs not passed

    def __call__(self, *tensors, **attrs):
        spec = self.spec
        if self.recomputed:
            attrs.update(_RECOMPUTED[spec.name][1](tensors, attrs))
        values = tuple(attrs[name] for name in spec.attrs)
        if self.inplace:
            return apply_inplace(spec, tensors[0], tensors[1:], values, casting="unsafe")
        if _is_multi(spec):
            return apply_multi_op(spec, tensors, values)
        return apply_op(spec, tensors, values)

    def shown_attrs(self, attrs: dict) -> dict:
        """The keywords a program writes (without those it recomputes)."""
        return {k: v for k, v in attrs.items() if k not in self.recomputed}

    def __repr__(self) -> str:
        return f"ops.{self.__name__}"


def _is_multi(spec) -> bool:
    """Does the row return several outputs (``unbind``)? ``defop`` makes exactly the rows
    given an ``output_view`` multi-output rows."""
    return spec.output_view is not None


def _topk_indices(input, k, dim, largest, sorted):  # noqa: A002 - PyTorch's name
    from .._ops.sorting import topk

    return topk(input, k, dim, largest, sorted)[1]


def _unrowed() -> dict:
    """Ops without a row: the public function that runs them, called with the record's
    inputs then attrs (in that order, as the ops report them)."""
    from .._ops import conversion, pointwise, reductions

    table = {"topk_indices": _topk_indices, "detach": conversion.detach,
             "new_zeros": conversion.new_zeros, "new_empty": conversion.new_empty,
             "argmax": reductions.argmax, "argmin": reductions.argmin}
    for name in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
                 "logical_not"):
        table[name] = getattr(pointwise, name)
    return table


_UNROWED = _unrowed()


class _Ops:
    """``ops.<name>``: the row ``name`` (``ops.mul``), in place (``ops.mul_``), or an op
    without a row (``ops.eq``)."""

    def __getattr__(self, name: str):
        if name in REGISTRY:
            return RowTarget(REGISTRY[name])
        if name.endswith("_") and name[:-1] in REGISTRY:
            return RowTarget(REGISTRY[name[:-1]], inplace=True)
        fn = _UNROWED.get(name)
        if fn is not None:
            return fn
        raise AttributeError(f"ops has no op {name!r}: not a row of the derivative table "
                             "(autograd_lab._ops._table.REGISTRY) nor an op without a row")


ops = _Ops()


def accumulate_grad(leaf: str, grad):
    """Where a captured backward hands ``grad`` to the leaf named ``leaf``: a program
    returns the gradient instead of writing ``.grad`` (so running it changes nothing)."""
    return grad


def code_name(target) -> str:
    """How generated code names ``target``: ``ops.mul``, ``accumulate_grad``,
    ``al.ops.mylib.foo``, ``self.MyFunction.apply``."""
    if isinstance(target, RowTarget):
        return f"ops.{target.__name__}"
    if target is accumulate_grad:
        return "accumulate_grad"
    if target is getitem:
        return "operator.getitem"
    name = getattr(target, "_al_code_name", None)
    if name is not None:
        return name
    for key, fn in _UNROWED.items():
        if target is fn:
            return f"ops.{key}"
    raise ValueError(f"a program cannot name {target!r}")
