"""Indexing and joining: ``t[index]``, ``cat``, ``stack``.

Basic indexing (ints, slices, None, ...) gives a view; advanced indexing (integer or
bool tensors and lists) gives a copy. Both backwards place the gradient back into a
zero tensor of the input's shape; with advanced indices an element picked twice gets
both gradients summed (``np.add.at``), which is exactly the chain rule.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._table import apply_op, defop, result_type

__all__ = ["getitem", "cat", "stack", "index_put_zeros", "normalize_index"]


def normalize_index(index) -> tuple[tuple, bool]:
    """The index as a tuple NumPy understands, and whether it is advanced indexing."""
    if not isinstance(index, tuple):
        index = (index,)
    parts, advanced = [], False
    for part in index:
        if isinstance(part, Tensor):
            part = part._data
        elif isinstance(part, list):
            part = np.asarray(part)
            if part.size == 0:
                part = part.astype(np.int64)  # x[[]] selects nothing
            if part.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if isinstance(part, np.ndarray):
            if part.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            advanced = True
        elif isinstance(part, bool):
            advanced = True
        parts.append(part)
    return tuple(parts), advanced


def _index_forward(a, index, self_shape):
    return a[index]


def _basic_index_forward(a, index, self_shape):
    """``a[index]`` as a view. NumPy returns a scalar copy when every dimension is
    indexed by an int (``a[1]`` of a 1-D array); a trailing ``...`` keeps it a 0-d view."""
    if Ellipsis not in index:
        index = index + (Ellipsis,)
    return a[index]


def _getitem_backward(grad, index, self_sym_sizes):
    """The picked elements send their gradients back to where they came from."""
    return index_put_zeros(grad, index, self_sym_sizes)


_select_spec = defop("select", _basic_index_forward, attrs=("index", "self_sym_sizes"),
                     node_name="SelectBackward0", view=True)(_getitem_backward)
_slice_spec = defop("slice", _basic_index_forward, attrs=("index", "self_sym_sizes"),
                    node_name="SliceBackward0", view=True)(_getitem_backward)
_index_spec = defop("index", _index_forward, attrs=("index", "self_sym_sizes"),
                    node_name="IndexBackward0")(_getitem_backward)


def _put_forward(g, index, shape):
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, index, g)  # sums repeated indices instead of overwriting
    return out


@defop("index_put_zeros", _put_forward, attrs=("index", "self_sym_sizes"),
       node_name="IndexPutBackward0")
def _index_put_zeros_backward(grad, index, self_sym_sizes):
    """Placing values and picking them back out are adjoint: pick the same elements."""
    return apply_op(_index_spec, (grad,), (index, grad._data.shape))


def index_put_zeros(values: Tensor, index: tuple, shape: tuple) -> Tensor:
    """A zero tensor of ``shape`` with ``values`` added at ``index``."""
    return apply_op(_index_put_zeros_backward, (values,), (index, tuple(shape)))


def _index_put_forward(a, values, index):
    out = a.copy()
    try:
        out[index] = values  # NumPy broadcasts values and casts them to a's dtype
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values.shape)} cannot be broadcast to "
            f"indexing result of shape {list(a[index].shape)}"
        ) from None
    return out


@defop("index_put", _index_put_forward, inputs=("self", "values"), attrs=("indices",))
def _index_put_backward(grad, indices):
    """``self`` with ``values`` written at ``indices``: the overwritten elements of self
    get no gradient, and values get the gradient of the places they were written to
    (the engine sums it back over any broadcasting of values)."""
    zero = Tensor(np.zeros((), dtype=grad._data.dtype))
    return (apply_op(_index_put_backward, (grad, zero), (indices,)),
            apply_op(_index_spec, (grad,), (indices, grad._data.shape)))


def getitem(input: Tensor, index) -> Tensor:
    """``input[index]`` with NumPy's (and PyTorch's) indexing rules."""
    index, advanced = normalize_index(index)
    shape = input._data.shape
    if advanced:
        spec = _index_spec
    elif index and all(isinstance(i, (int, np.integer)) for i in index):
        spec = _select_spec
    else:
        spec = _slice_spec
    try:
        return apply_op(spec, (input,), (index, shape))
    except IndexError as err:
        raise IndexError(
            f"{str(err).split(' (input shapes')[0].replace('axis', 'dimension')} "
            f"(indexing a tensor of shape {list(shape)})"
        ) from None


# --- joining ---------------------------------------------------------------------------
def _common(arrays) -> list:
    """The arrays cast to PyTorch's result dtype (int64 with float32 is float32)."""
    dtype = result_type(*arrays)
    return [a if a.dtype == dtype else a.astype(dtype) for a in arrays]


def _cat_forward(*args):
    *arrays, dim, sizes = args
    return np.concatenate(_common(arrays), axis=dim)


def _cat_backward_fn(grad, dim, sizes):
    """Each input gets back the slice of the gradient where it was placed."""
    grads, start = [], 0
    lead = (slice(None),) * dim
    for size in sizes:
        grads.append(getitem(grad, lead + (slice(start, start + size),)))
        start += size
    return tuple(grads)


_cat_spec = defop("cat", _cat_forward, inputs=(), attrs=("dim", "sizes"))(_cat_backward_fn)


def _stack_forward(*args):
    *arrays, dim = args
    return np.stack(_common(arrays), axis=dim)


def _stack_backward_fn(grad, dim):
    """Input i was placed at index i along ``dim``: select it back."""
    lead = (slice(None),) * dim
    return tuple(getitem(grad, lead + (i,)) for i in range(grad.shape[dim]))


_stack_spec = defop("stack", _stack_forward, inputs=(), attrs=("dim",))(_stack_backward_fn)


def _check_sequence(tensors, name: str) -> tuple:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}() expects a sequence of Tensors, got {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return tuple(tensors)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = _check_sequence(tensors, "cat")
    ndim = tensors[0]._data.ndim
    if ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(dim, ndim)
    first = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        s = t._data.shape
        if len(s) != ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ndim} and {len(s)}")
        for axis in range(ndim):
            if axis != d and s[axis] != first[axis]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{first[axis]} but got size {s[axis]} for tensor number {i} in the list."
                )
    sizes = tuple(t._data.shape[d] for t in tensors)
    return apply_op(_cat_spec, tensors, (d, sizes))


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    tensors = _check_sequence(tensors, "stack")
    first = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    return apply_op(_stack_spec, tensors, (_wrap_dim(dim, len(first) + 1),))
