"""Reductions: sum, mean, max/min, amax/amin, with ``dim`` and ``keepdim``.

Every backward here first puts the reduced dimensions back (``_restore_dims``) so
that the incoming gradient lines up with the input again, then spreads it out.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._table import apply_op, defop
from .views import expand, reshape

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "sum_to_size",
           "normalize_dims"]

# PyTorch returns ``(values, indices)`` as a named tuple from max/min with a dim.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def normalize_dims(dim, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims:
        return tuple(range(ndim))
    axes = tuple(sorted(_wrap_dim(int(d), ndim) for d in dims))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    if ndim == 0:
        return ()  # a 0-d tensor accepts dim 0 or -1 (as PyTorch) and has nothing to reduce
    return axes


def _restore_dims(grad: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Re-insert the reduced axes of size 1 so that ``grad`` broadcasts against the input."""
    if keepdim or not shape:
        return grad
    kept = tuple(1 if axis in dims else size for axis, size in enumerate(shape))
    return reshape(grad, kept)


def _sum_forward(a, dims, keepdim, self_shape):
    return np.sum(a, axis=dims, keepdims=keepdim)


@defop("sum", _sum_forward, attrs=("dim", "keepdim", "self_sym_sizes"))
def _sum_backward(grad, dim, keepdim, self_sym_sizes):
    """Each input element contributed once to its sum: d sum = 1, spread by expand."""
    return expand(_restore_dims(grad, self_sym_sizes, dim, keepdim), self_sym_sizes)


# PyTorch names the node SumBackward0 for sum() and SumBackward1 for sum(dim).
_sum_dim_spec = defop("sum_dim", _sum_forward, attrs=("dim", "keepdim", "self_sym_sizes"),
                      node_name="SumBackward1")(_sum_backward.backward)


def _mean_forward(a, dims, keepdim, self_shape, count):
    return np.mean(a, axis=dims, keepdims=keepdim)


@defop("mean", _mean_forward, attrs=("dim", "keepdim", "self_sym_sizes", "count"))
def _mean_backward(grad, dim, keepdim, self_sym_sizes, count):
    """d mean = 1/N for each of the N elements averaged."""
    return expand(_restore_dims(grad, self_sym_sizes, dim, keepdim), self_sym_sizes) / count


_mean_dim_spec = defop("mean_dim", _mean_forward,
                       attrs=("dim", "keepdim", "self_sym_sizes", "count"),
                       node_name="MeanBackward1")(_mean_backward.backward)


def _amax_forward(a, dims, keepdim):
    return np.amax(a, axis=dims, keepdims=keepdim)


def _amin_forward(a, dims, keepdim):
    return np.amin(a, axis=dims, keepdims=keepdim)


def _extreme_backward(grad, self, result, dim, keepdim):
    """The gradient goes to the elements equal to the extreme, split evenly among ties."""
    shape = self.shape
    hit = self == _restore_dims(result, shape, dim, keepdim)
    count = hit.sum(dim=dim, keepdim=True)
    return _restore_dims(grad, shape, dim, keepdim) * hit / count


_amax_spec = defop("amax", _amax_forward, save=("self", "result"), attrs=("dim", "keepdim"))(
    _extreme_backward)
_amin_spec = defop("amin", _amin_forward, save=("self", "result"), attrs=("dim", "keepdim"))(
    _extreme_backward)
def _evenly_distribute_backward(grad, self, result, dim, keepdim):
    """max()/min() of everything: ties share the gradient; if the result is nan, the nan
    elements share it (PyTorch's evenly_distribute_backward)."""
    hit = (self == result) | ((self != self) & (result != result))
    return grad * hit / hit.sum()


_max_all_spec = defop("max", _amax_forward, save=("self", "result"), attrs=("dim", "keepdim"),
                      node_name="MaxBackward1")(_evenly_distribute_backward)
_min_all_spec = defop("min", _amin_forward, save=("self", "result"), attrs=("dim", "keepdim"),
                      node_name="MinBackward1")(_evenly_distribute_backward)


def _take_forward(a, dim, keepdim, indices):
    values = np.take_along_axis(a, np.expand_dims(indices, dim), axis=dim)
    return values if keepdim else np.squeeze(values, axis=dim)


def _select_dim_backward(grad, dim, keepdim, indices, self_sym_sizes):
    """Only the selected element of each slice received the gradient."""
    return scatter_along_dim(grad, indices, dim, keepdim, self_sym_sizes)


_max_dim_spec = defop("max_dim", lambda a, d, k, i, s: _take_forward(a, d, k, i),
                      attrs=("dim", "keepdim", "indices", "self_sym_sizes"),
                      node_name="MaxBackward0")(_select_dim_backward)
_min_dim_spec = defop("min_dim", lambda a, d, k, i, s: _take_forward(a, d, k, i),
                      attrs=("dim", "keepdim", "indices", "self_sym_sizes"),
                      node_name="MinBackward0")(_select_dim_backward)


def _scatter_forward(g, dim, keepdim, indices, shape):
    out = np.zeros(shape, dtype=g.dtype)
    values = g if keepdim else np.expand_dims(g, dim)
    np.put_along_axis(out, np.expand_dims(indices, dim), values, axis=dim)
    return out


@defop("scatter_along_dim", _scatter_forward, attrs=("dim", "keepdim", "indices", "self_sym_sizes"),
       node_name="ScatterBackward0")
def _scatter_backward(grad, dim, keepdim, indices, self_sym_sizes):
    """The adjoint of picking one element per slice: pick the same elements back."""
    return apply_op(_max_dim_spec, (grad,), (dim, keepdim, indices, None))


def scatter_along_dim(grad, indices, dim, keepdim, shape):
    """Place ``grad`` at ``indices`` along ``dim`` of a zero tensor of ``shape``."""
    return apply_op(_scatter_backward, (grad,), (dim, keepdim, indices, shape))


# --- public functions ------------------------------------------------------------------
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims by default); bool and int sum to int64 as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind == "b":
        input = input.to(np.int64)
    dims = normalize_dims(dim, input._data.ndim)
    spec = _sum_backward if dim is None else _sum_dim_spec
    return apply_op(spec, (input,), (dims, bool(keepdim), input._data.shape))


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Average over ``dim``; defined for floating-point tensors only (as in PyTorch)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, but got "
            f"{input.dtype}. Convert first, e.g. t.float().mean()."
        )
    dims = normalize_dims(dim, input._data.ndim)
    shape = input._data.shape
    count = int(np.prod([shape[d] for d in dims])) if shape else 1
    spec = _mean_backward if dim is None else _mean_dim_spec
    return apply_op(spec, (input,), (dims, bool(keepdim), shape, count))


def _extreme(input, dim, keepdim, all_spec, dim_spec, arg_fn, result_type, name):
    if input._data.size == 0:
        raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                         "input.numel() == 0. "
                         "Specify the reduction dim with the 'dim' argument.")
    if dim is None:
        return apply_op(all_spec, (input,), (normalize_dims(None, input.ndim), False))
    d = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        return result_type(apply_op(all_spec, (input,), ((), False)), Tensor(np.asarray(0)))
    indices = arg_fn(input._data, axis=d)
    values = apply_op(dim_spec, (input,), (d, bool(keepdim), indices, input._data.shape))
    idx = np.expand_dims(indices, d) if keepdim else indices
    return result_type(values, Tensor(np.asarray(idx, dtype=np.int64)))


def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """The largest element, or ``(values, indices)`` along ``dim``."""
    if isinstance(dim, Tensor):
        from .pointwise import maximum

        return maximum(input, dim)
    return _extreme(input, dim, keepdim, _max_all_spec, _max_dim_spec, np.argmax, max_result, "max")


def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """The smallest element, or ``(values, indices)`` along ``dim``."""
    if isinstance(dim, Tensor):
        from .pointwise import minimum

        return minimum(input, dim)
    return _extreme(input, dim, keepdim, _min_all_spec, _min_dim_spec, np.argmin, min_result, "min")


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest values over ``dim``; ties share the gradient evenly."""
    return apply_op(_amax_spec, (input,), (normalize_dims(dim, input._data.ndim), bool(keepdim)))


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest values over ``dim``; ties share the gradient evenly."""
    return apply_op(_amin_spec, (input,), (normalize_dims(dim, input._data.ndim), bool(keepdim)))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor(np.asarray(np.argmax(input._data), dtype=np.int64))
    d = _wrap_dim(dim, input._data.ndim)
    return Tensor(np.asarray(np.argmax(input._data, axis=d, keepdims=keepdim), dtype=np.int64))


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor(np.asarray(np.argmin(input._data), dtype=np.int64))
    d = _wrap_dim(dim, input._data.ndim)
    return Tensor(np.asarray(np.argmin(input._data, axis=d, keepdims=keepdim), dtype=np.int64))


def _sum_to_forward(a, shape):
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and a.shape[lead + i] != 1
    )
    return np.sum(a, axis=axes, keepdims=True).reshape(shape) if axes else a


@defop("sum_to_size", lambda a, size, self_shape: _sum_to_forward(a, size),
       attrs=("size", "self_sym_sizes"), node_name="SumToSizeBackward0")
def _sum_to_size_backward(grad, size, self_sym_sizes):
    """The adjoint of summing a broadcast away: expand the gradient back out."""
    return expand(grad, self_sym_sizes)


def sum_to_size(input: Tensor, *size) -> Tensor:
    """Sum ``input`` down to ``size`` (the reverse of broadcasting ``size`` up to it)."""
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    size = tuple(size)
    if input._data.shape == size:
        return input
    try:
        if np.broadcast_shapes(size, input._data.shape) != input._data.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(
            f"size {list(size)} is not expandable to size {list(input.shape)}") from None
    return apply_op(_sum_to_size_backward, (input,), (size, input._data.shape))

