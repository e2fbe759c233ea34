"""Shape ops. Most return a *view*: a tensor sharing memory (and its version counter)
with its input; see Note [Version counters] in ``_views.py``.

Each backward undoes the shape change: reshape back, transpose back, sum out what
``expand`` repeated.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._table import apply_op, defop

__all__ = ["reshape", "view", "transpose", "permute", "t", "expand", "expand_as", "squeeze",
           "unsqueeze", "flatten", "broadcast_to", "movedim", "mT"]


def _sizes(size) -> tuple:
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve one ``-1`` in ``shape``, or explain why ``shape`` cannot hold ``numel`` values."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = int(np.prod([s for s in shape if s != -1]))
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _view_forward(a, shape, self_shape):
    out = a.view()
    try:
        out.shape = shape  # raises instead of copying: a view must share memory
    except AttributeError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return out


@defop("view", _view_forward, attrs=("size", "self_sym_sizes"), view=True)
def _view_backward(grad, size, self_sym_sizes):
    """A view only re-labels the elements: reshape the gradient back."""
    return reshape(grad, self_sym_sizes)


# reshape that has to copy (PyTorch: clone, then _unsafe_view); when memory allows,
# reshape is a true view and uses the ``view`` row above.
@defop("reshape", lambda a, shape, self_shape: np.reshape(a, shape).copy(),
       attrs=("size", "self_sym_sizes"), node_name="UnsafeViewBackward0")
def _reshape_backward(grad, size, self_sym_sizes):
    return reshape(grad, self_sym_sizes)


def _viewable(a: np.ndarray, shape: tuple) -> bool:
    """Can ``a`` take ``shape`` without copying (NumPy decides from the strides)?"""
    out = a.view()
    try:
        out.shape = shape
    except AttributeError:
        return False
    return True


@defop("transpose", lambda a, d0, d1: np.swapaxes(a, d0, d1), attrs=("dim0", "dim1"), view=True)
def _transpose_backward(grad, dim0, dim1):
    """Swapping two axes is its own inverse."""
    return transpose(grad, dim0, dim1)


@defop("permute", np.transpose, attrs=("dims",), view=True)
def _permute_backward(grad, dims):
    """Apply the inverse permutation."""
    return permute(grad, tuple(np.argsort(dims)))


def _expand_forward(a: np.ndarray, shape: tuple, self_shape: tuple) -> np.ndarray:
    """``np.broadcast_to``, but writable like its input: a view that repeats nothing
    (``x.expand(x.shape)``, new leading 1s) or a slice of one may be written in place, as
    in PyTorch. Writing where elements repeat (stride 0) is refused by the in-place ops."""
    out = np.broadcast_to(a, shape)
    if a.flags.writeable:
        out = np.lib.stride_tricks.as_strided(a, out.shape, out.strides, writeable=True)
    return out


@defop("expand", _expand_forward, attrs=("size", "self_sym_sizes"), view=True)
def _expand_backward(grad, size, self_sym_sizes):
    """Every copy of an element sends its gradient back: sum them."""
    return grad.sum_to_size(self_sym_sizes)


@defop("squeeze", lambda a, dims, self_shape: np.squeeze(a, axis=dims),
       attrs=("dim", "self_sym_sizes"), view=True)
def _squeeze_backward(grad, dim, self_sym_sizes):
    return reshape(grad, self_sym_sizes)


@defop("unsqueeze", np.expand_dims, attrs=("dim",), view=True)
def _unsqueeze_backward(grad, dim):
    return squeeze(grad, dim)


# --- public functions ------------------------------------------------------------------
def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (a view when memory allows, else a copy)."""
    shape = _infer_shape(_sizes(shape), input._data.size)
    spec = _view_backward if _viewable(input._data, shape) else _reshape_backward
    return apply_op(spec, (input,), (shape, input._data.shape))


def view(input: Tensor, *shape) -> Tensor:
    """The same memory in a new shape; fails (as PyTorch) when that needs a copy."""
    shape = _infer_shape(_sizes(shape), input._data.size)
    return apply_op(_view_backward, (input,), (shape, input._data.shape))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    n = input._data.ndim
    return apply_op(_transpose_backward, (input,), (_wrap_dim(dim0, n), _wrap_dim(dim1, n)))


@defop("t", lambda a: a.T, view=True)
def _t_backward(grad):
    """Transposing is its own inverse."""
    return t(grad)


def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dimensions (0-d and 1-D come back as they are)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return apply_op(_t_backward, (input,))


def mT(input: Tensor) -> Tensor:  # noqa: N802 - PyTorch's name
    """Swap the last two dimensions (batched matrix transpose)."""
    if input._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           "Got 1-D tensor.")
    return transpose(input, -2, -1)


def permute(input: Tensor, *dims) -> Tensor:
    dims = _sizes(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    dims = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError(f"permute(): duplicate dims are not allowed in {list(dims)}")
    return apply_op(_permute_backward, (input,), (dims,))


def movedim(input: Tensor, source: int, destination: int) -> Tensor:
    n = input._data.ndim
    order = [d for d in range(n) if d != _wrap_dim(source, n)]
    order.insert(_wrap_dim(destination, n), _wrap_dim(source, n))
    return permute(input, order)


def expand(input: Tensor, *sizes) -> Tensor:
    """Repeat size-1 dimensions (and add leading ones) without copying; -1 keeps a size."""
    sizes = _sizes(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        if s == -1:
            if i < lead:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            s = shape[i - lead]
        elif i >= lead and shape[i - lead] not in (1, s):
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size "
                f"({shape[i - lead]}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}."
                f"  Tensor sizes: {list(shape)}"
            )
        target.append(s)
    return apply_op(_expand_backward, (input,), (tuple(target), shape))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other.shape)


def broadcast_to(input: Tensor, shape) -> Tensor:
    return expand(input, tuple(shape))


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Drop dimensions of size 1 (all of them, or those in ``dim`` that have size 1)."""
    shape = input._data.shape
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        wanted = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = (_wrap_dim(w, len(shape)) for w in wanted)
        dims = tuple(d for d in axes if shape and shape[d] == 1)
    return apply_op(_squeeze_backward, (input,), (dims, shape))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    return apply_op(_unsqueeze_backward, (input,), (_wrap_dim(dim, input._data.ndim + 1),))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    merged = int(np.prod(shape[s:e + 1]))
    return reshape(input, shape[:s] + (merged,) + shape[e + 1:])
