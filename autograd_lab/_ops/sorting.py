"""Sorting-based selection: ``topk`` and ``take_along_dim``.

Both pick elements by index; the backward of picking is placing the gradient back at
the same indices (summing where an index was picked twice), and the backward of placing
is picking again: the two ops are each other's adjoint.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._apply import apply_op, wrap_unrowed
from ._args import int_arg, not_a_tensor
from ._table import REGISTRY, defop

__all__ = ["topk", "take_along_dim"]

# Named as PyTorch's result is (its repr shows the name), not after the variable.
topk_result = namedtuple("topk", ["values", "indices"])  # type: ignore[name-match]


def _take(a, indices, dim, self_shape):
    return np.take_along_axis(a, indices, axis=dim)


def _place(g, indices, dim, shape):
    out = np.zeros(shape, dtype=g.dtype)
    grid = list(np.indices(indices.shape, sparse=True))
    grid[dim] = indices
    np.add.at(out, tuple(grid), g)  # an index picked twice receives both gradients
    return out


@defop("take_along_dim", _take, attrs=("indices", "dim", "self_sym_sizes"),
       math="grad_self = zeros(self_sym_sizes).scatter_add(dim, indices, grad)")
def _take_along_dim_backward(grad, indices, dim, self_sym_sizes):
    """Picked elements send their gradient back to where they were picked from."""
    return apply_op(PLACE_ALONG_DIM, (grad,), (indices, dim, self_sym_sizes))


TAKE_ALONG_DIM = REGISTRY["take_along_dim"]


@defop("place_along_dim", _place, attrs=("indices", "dim", "self_sym_sizes"),
       node_name="ScatterAddBackward0",
       math="grad_self = grad.take_along_dim(indices, dim)")
def _place_along_dim_backward(grad, indices, dim, self_sym_sizes):
    """Placing is undone by picking the same elements."""
    return apply_op(TAKE_ALONG_DIM, (grad,), (indices, dim, grad._data.shape))


PLACE_ALONG_DIM = REGISTRY["place_along_dim"]


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Pick ``input`` elements at ``indices`` along ``dim`` (NumPy's take_along_axis);
    without ``dim``, both are flattened first, as in PyTorch."""
    if not isinstance(indices, Tensor):
        raise not_a_tensor("take_along_dim", "indices", 2, indices)
    if dim is None:
        return take_along_dim(input.reshape(-1), indices.reshape(-1), 0)
    d = _wrap_dim(dim, input.ndim)
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    return apply_op(TAKE_ALONG_DIM, (input,), (idx, d, input._data.shape))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
    k = int_arg(k)
    d = _wrap_dim(dim, max(input.ndim, 1))
    size = input.shape[d] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range: k={k} for a dimension of size {size}")
    data = input._data
    order = np.argsort(-data if largest else data, axis=d, kind="stable")
    indices = np.take(order, np.arange(k), axis=d)
    values = apply_op(TAKE_ALONG_DIM, (input,), (indices, d, data.shape))
    return topk_result(values, wrap_unrowed("topk.indices", indices.astype(np.int64), (input,),
                                            (k, d, largest, sorted)))
