"""Shape ops. Most return a *view*: a tensor sharing memory (and its version counter)
with its input; see Note [Version counters] in ``_views.py``.

Each backward undoes the shape change: reshape back, transpose back, sum out what
``expand`` repeated, put a slice (``narrow``, ``select``, ``diagonal``) back into zeros.

``unbind``, ``split`` and ``chunk`` return several views made by ONE node
(``UnbindBackward0``, ``SplitBackward0``, ``SplitWithSizesBackward0``), as in PyTorch;
see ``apply_multi_op`` in ``_apply.py``. Their formulas get one gradient per output.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._apply import apply_multi_op, apply_op
from ._args import ALL_DIMS, int_arg, ints_arg, not_a_tensor
from ._table import REGISTRY, defop
from .indexing import cat, in_c_order, stack

__all__ = ["reshape", "view", "transpose", "permute", "t", "expand", "expand_as", "squeeze",
           "unsqueeze", "flatten", "broadcast_to", "movedim", "mT", "narrow", "select",
           "diagonal", "unbind", "split", "chunk", "repeat", "tile", "flip", "roll"]


def _sizes(size, fn: str = "reshape", arg: str = "shape") -> tuple:
    """The ints of ``size`` (given as ints or as one sequence); PyTorch's TypeError for
    anything else (``x.reshape('a')``: pass ints, e.g. ``x.reshape(3, 1)``)."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        if not isinstance(size[0], (tuple, list)) and not hasattr(size[0], "__len__") \
                or isinstance(size[0], str):
            raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be tuple of ints, "
                            f"not {type(size[0]).__name__}")
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{fn}(): argument '{arg}' must be tuple of ints, but found an "
                            f"element of type {type(s).__name__}")
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
    try:
        return a.reshape(shape, copy=False)  # raises instead of copying: a view shares memory
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None


@defop("view", _view_forward, attrs=("size", "self_sym_sizes"), view=True,
       math="grad_self = grad.reshape(self_sym_sizes)")
def _view_backward(grad, size, self_sym_sizes):
    """A view only re-labels the elements: reshape the gradient back."""
    return reshape(grad, self_sym_sizes)


VIEW = REGISTRY["view"]


# PyTorch's reshape of a tensor that is not contiguous but can take the shape without a
# copy (x[:, :2].reshape(2, 8)) is the view ``_reshape_alias``: another node name.
defop("reshape_alias", _view_forward, attrs=("size", "self_sym_sizes"), view=True,
      math="grad_self = grad.reshape(self_sym_sizes)")(_view_backward)


RESHAPE_ALIAS = REGISTRY["reshape_alias"]


# reshape that has to copy is PyTorch's clone, then _unsafe_view of that fresh copy (two
# nodes, UnsafeViewBackward0 over CloneBackward0); this row is the _unsafe_view: nobody
# else sees the clone, so the result may share its memory. When memory allows, reshape is
# a true view and uses the ``view`` row above.
@defop("reshape", lambda a, shape, self_shape: np.reshape(a, shape),
       attrs=("size", "self_sym_sizes"), node_name="UnsafeViewBackward0",
       math="grad_self = grad.reshape(self_sym_sizes)")
def _reshape_backward(grad, size, self_sym_sizes):
    return reshape(grad, self_sym_sizes)


RESHAPE = REGISTRY["reshape"]


def _viewable(a: np.ndarray, shape: tuple) -> bool:
    """Can ``a`` take ``shape`` without copying (NumPy decides from the strides)?"""
    try:
        a.reshape(shape, copy=False)
    except ValueError:
        return False
    return True


def _transpose_forward(a, d0, d1):
    if a.ndim == 0:  # PyTorch lets a 0-d tensor swap its dim 0 (or -1) with itself
        return a.view()
    return np.swapaxes(a, d0, d1)


@defop("transpose", _transpose_forward, attrs=("dim0", "dim1"), view=True,
       math="grad_self = grad.transpose(dim0, dim1)")
def _transpose_backward(grad, dim0, dim1):
    """Swapping two axes is its own inverse."""
    return transpose(grad, dim0, dim1)


TRANSPOSE = REGISTRY["transpose"]


@defop("permute", np.transpose, attrs=("dims",), view=True,
       math="grad_self = grad.permute(argsort(dims))  (the inverse permutation)")
def _permute_backward(grad, dims):
    """Apply the inverse permutation."""
    return permute(grad, tuple(np.argsort(dims)))


PERMUTE = REGISTRY["permute"]


def _expand_forward(a: np.ndarray, shape: tuple, self_shape: tuple) -> np.ndarray:
    """``np.broadcast_to``, but writable like its input and with PyTorch's strides: a view
    that repeats nothing (``x.expand(x.shape)``, new leading 1s) or a slice of one may be
    written in place, as in PyTorch. Writing where elements repeat (stride 0) is refused by
    the in-place ops, which also compare strides (``_check_no_partial_overlap``): an axis
    of size 1 keeps its stride, and a new one gets the stride that would make it contiguous
    with the next (PyTorch's inferExpandGeometry), not NumPy's 0."""
    out = np.broadcast_to(a, shape)
    strides = list(out.strides)
    new = len(shape) - a.ndim
    for i in reversed(range(len(shape))):
        if shape[i] == 1:
            if i >= new:
                strides[i] = a.strides[i - new]
            else:
                strides[i] = shape[i + 1] * strides[i + 1] if i + 1 < len(shape) else a.itemsize
    if a.flags.writeable or strides != list(out.strides):
        out = np.lib.stride_tricks.as_strided(a, out.shape, strides,
                                              writeable=a.flags.writeable)
    return out


@defop("expand", _expand_forward, attrs=("size", "self_sym_sizes"), view=True,
       math="grad_self = grad.sum_to_size(self_sym_sizes)  (the copies' gradients summed)")
def _expand_backward(grad, size, self_sym_sizes):
    """Every copy of an element sends its gradient back: sum them."""
    return grad.sum_to_size(self_sym_sizes)


EXPAND = REGISTRY["expand"]


def _squeeze_formula(grad, dim, self_sym_sizes):
    """Put the dropped size-1 dimensions back."""
    return reshape(grad, self_sym_sizes)


def _squeeze_row(name: str, node_name: str):
    """PyTorch names squeeze's node by its overload: all dims (0), one dim (1), several (2)."""
    defop(name, lambda a, dims, self_shape: np.squeeze(a, axis=dims),
          attrs=("dim", "self_sym_sizes"), view=True, node_name=node_name,
          math="grad_self = grad.reshape(self_sym_sizes)  (the dropped size-1 dims put back)",
          )(_squeeze_formula)
    return REGISTRY[name]


SQUEEZE = _squeeze_row("squeeze", "SqueezeBackward0")
SQUEEZE_DIM = _squeeze_row("squeeze_dim", "SqueezeBackward1")
SQUEEZE_DIMS = _squeeze_row("squeeze_dims", "SqueezeBackward2")


def _unsqueeze_forward(a: np.ndarray, dim: int) -> np.ndarray:
    """``np.expand_dims`` with PyTorch's stride for the new axis (the size times the stride
    of the axis it goes before; one element at the end), which the overlap rule of the
    in-place ops compares."""
    stride = a.shape[dim] * a.strides[dim] if dim < a.ndim else a.itemsize
    return np.lib.stride_tricks.as_strided(a, a.shape[:dim] + (1,) + a.shape[dim:],
                                           a.strides[:dim] + (stride,) + a.strides[dim:],
                                           writeable=a.flags.writeable)


@defop("unsqueeze", _unsqueeze_forward, attrs=("dim",), view=True,
       math="grad_self = grad.squeeze(dim)")
def _unsqueeze_backward(grad, dim):
    return squeeze(grad, dim)


UNSQUEEZE = REGISTRY["unsqueeze"]


@defop("alias", lambda a: a.view(), view=True, math="grad_self = grad")
def _alias_backward(grad):
    """The same elements, a new tensor: ``x[...]`` (an index that changes nothing) gives
    a view of all of ``x``, as PyTorch's ``alias``; the gradient passes unchanged."""
    return grad


ALIAS = REGISTRY["alias"]


# --- public functions ------------------------------------------------------------------
def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (a view when memory allows, else a copy)."""
    shape = _infer_shape(_sizes(shape, "reshape"), input._data.size)
    if _viewable(input._data, shape):
        spec = VIEW if input._data.flags.c_contiguous else RESHAPE_ALIAS
        return apply_op(spec, (input,), (shape, input._data.shape))
    copy = apply_op(REGISTRY["clone"], (input,))
    return apply_op(RESHAPE, (copy,), (shape, input._data.shape))


def view(input: Tensor, *shape) -> Tensor:
    """The same memory in a new shape; fails (as PyTorch) when that needs a copy."""
    shape = _infer_shape(_sizes(shape, "view", "size"), input._data.size)
    return apply_op(VIEW, (input,), (shape, input._data.shape))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    n = input._data.ndim
    return apply_op(TRANSPOSE, (input,), (_wrap_dim(dim0, n), _wrap_dim(dim1, n)))


@defop("t", lambda a: a.T, view=True,
       math="grad_self = grad.t()")
def _t_backward(grad):
    """Transposing is its own inverse."""
    return t(grad)


T = REGISTRY["t"]


def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dimensions (0-d and 1-D come back as they are)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return apply_op(T, (input,))


def mT(input: Tensor) -> Tensor:  # noqa: N802 - PyTorch's name
    """Swap the last two dimensions (batched matrix transpose)."""
    if input._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           "Got 1-D tensor.")
    return transpose(input, -2, -1)


def permute(input: Tensor, *dims) -> Tensor:
    dims = _sizes(dims, "permute", "dims")
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
    return apply_op(PERMUTE, (input,), (dims,))


def movedim(input: Tensor, source: int, destination: int) -> Tensor:
    n = input._data.ndim
    order = [d for d in range(n) if d != _wrap_dim(source, n)]
    order.insert(_wrap_dim(destination, n), _wrap_dim(source, n))
    return permute(input, order)


def expand(input: Tensor, *sizes) -> Tensor:
    """Repeat size-1 dimensions (and add leading ones) without copying; -1 keeps a size."""
    sizes = _sizes(sizes, "expand", "size")
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
    return apply_op(EXPAND, (input,), (tuple(target), shape))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    if not isinstance(other, Tensor):
        raise not_a_tensor("expand_as", "other", 2, other)
    return expand(input, other.shape)


def broadcast_to(input: Tensor, shape) -> Tensor:
    return expand(input, ints_arg(shape))


def squeeze(input: Tensor, dim=ALL_DIMS) -> Tensor:
    """Drop dimensions of size 1 (all of them, or those in ``dim`` that have size 1)."""
    if dim is None:
        raise TypeError("squeeze(): argument 'dim' must be int or tuple of ints, not NoneType "
                        "(leave dim out to squeeze all dims of size 1)")
    dim = None if dim is ALL_DIMS else dim
    shape = input._data.shape
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
        row = SQUEEZE
    else:
        wanted = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = (_wrap_dim(w, len(shape)) for w in wanted)
        dims = tuple(d for d in axes if shape and shape[d] == 1)
        row = SQUEEZE_DIM if isinstance(dim, int) else SQUEEZE_DIMS
    return apply_op(row, (input,), (dims, shape))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    return apply_op(UNSQUEEZE, (input,), (_wrap_dim(dim, input._data.ndim + 1),))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input  # PyTorch returns the tensor itself: a leaf stays a leaf
    merged = int(np.prod(shape[s:e + 1]))
    return reshape(input, shape[:s] + (merged,) + shape[e + 1:])


# --- slices along one dimension: narrow, select, diagonal --------------------------------
def _along(dim: int, part) -> tuple:
    """The NumPy index that applies ``part`` (a slice or an int) to dimension ``dim``;
    the trailing ``...`` keeps an all-int index a (0-d) view instead of a scalar copy."""
    return (slice(None),) * dim + (part, Ellipsis)


def _narrow_forward(a, dim, start, end, step, self_shape):
    return a[_along(dim, slice(start, end, step))]


@defop("narrow", _narrow_forward, attrs=("dim", "start", "end", "step", "self_sym_sizes"),
       node_name="SliceBackward0", view=True,
       math="grad_self = zeros(self_sym_sizes);  grad_self[start:end:step along dim] = grad")
def _narrow_backward(grad, dim, start, end, step, self_sym_sizes):
    """out = self[..., start:end:step, ...] along dim: d out / d self places grad back
    into those positions of a zero tensor of self's shape (PyTorch's slice_backward)."""
    return slice_backward(grad, self_sym_sizes, dim, start, end, step)


NARROW = REGISTRY["narrow"]


def _slice_backward_forward(g, input_sizes, dim, start, end, step):
    out = np.zeros(input_sizes, dtype=g.dtype)
    out[_along(dim, slice(start, end, step))] = g
    return out


@defop("slice_backward", _slice_backward_forward,
       attrs=("input_sizes", "dim", "start", "end", "step"),
       math="grad_self = grad.slice(dim, start, end, step)")
def _slice_backward_backward(grad, input_sizes, dim, start, end, step):
    """Placing values in a slice of zeros is undone by reading that slice back."""
    return apply_op(NARROW, (grad,), (dim, start, end, step, grad._data.shape))


SLICE_BACKWARD = REGISTRY["slice_backward"]


def slice_backward(grad: Tensor, input_sizes, dim: int, start: int, end: int,
                   step: int) -> Tensor:
    """Zeros of ``input_sizes`` with ``grad`` in ``start:end:step`` along ``dim``
    (SliceBackwardBackward0 under create_graph, as PyTorch's)."""
    return apply_op(SLICE_BACKWARD, (grad,), (tuple(input_sizes), dim, start, end, step))


def _select_forward(a, dim, index, self_shape):
    return a[_along(dim, index)]


@defop("select_int", _select_forward, attrs=("dim", "index", "self_sym_sizes"),
       node_name="SelectBackward0", view=True,
       math="grad_self = zeros(self_sym_sizes);  grad_self.select(dim, index) = grad")
def _select_int_backward(grad, dim, index, self_sym_sizes):
    """out = self.select(dim, index): grad goes back to that slice, zeros elsewhere
    (PyTorch's select_backward)."""
    return select_backward(grad, self_sym_sizes, dim, index)


SELECT_INT = REGISTRY["select_int"]


def _select_backward_forward(g, input_sizes, dim, index):
    out = np.zeros(input_sizes, dtype=g.dtype)
    out[_along(dim, index)] = g
    return out


@defop("select_backward", _select_backward_forward, attrs=("input_sizes", "dim", "index"),
       math="grad_self = grad.select(dim, index)")
def _select_backward_backward(grad, input_sizes, dim, index):
    """Placing values in one slice of zeros is undone by selecting that slice back."""
    return apply_op(SELECT_INT, (grad,), (dim, index, grad._data.shape))


SELECT_BACKWARD = REGISTRY["select_backward"]


def select_backward(grad: Tensor, input_sizes, dim: int, index: int) -> Tensor:
    """Zeros of ``input_sizes`` with ``grad`` at ``index`` along ``dim``
    (SelectBackwardBackward0 under create_graph, as PyTorch's)."""
    return apply_op(SELECT_BACKWARD, (grad,), (tuple(input_sizes), dim, index))


def _diagonal_view(a: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """``np.diagonal`` as a *writable* view (NumPy's is read-only): the same shape and
    strides, laid over a slice of ``a`` that starts at the diagonal's first element."""
    d = np.diagonal(a, offset, dim1, dim2)
    first = _along(dim2, slice(offset, None)) if offset >= 0 else _along(dim1, slice(-offset, None))
    return np.lib.stride_tricks.as_strided(a[first], d.shape, d.strides,
                                           writeable=a.flags.writeable)


def _diagonal_forward(a, offset, dim1, dim2, self_shape):
    return _diagonal_view(a, offset, dim1, dim2)


@defop("diagonal", _diagonal_forward, attrs=("offset", "dim1", "dim2", "self_sym_sizes"),
       view=True,
       math="grad_self = zeros(self_sym_sizes);  grad_self.diagonal(offset, dim1, dim2) = grad")
def _diagonal_backward(grad, offset, dim1, dim2, self_sym_sizes):
    """out[..., k] = self[..., i + k, j + k] (offset = j - i): the gradient goes back onto
    that diagonal of a zero tensor of self's shape."""
    return apply_op(DIAGONAL_BACKWARD, (grad,), (self_sym_sizes, offset, dim1, dim2))


DIAGONAL = REGISTRY["diagonal"]


def _diagonal_backward_forward(g, shape, offset, dim1, dim2):
    out = np.zeros(shape, dtype=g.dtype)
    _diagonal_view(out, offset, dim1, dim2)[...] = g
    return out


@defop("diagonal_backward", _diagonal_backward_forward,
       attrs=("input_sizes", "offset", "dim1", "dim2"),
       math="grad_self = grad.diagonal(offset, dim1, dim2)")
def _diagonal_backward_backward(grad, input_sizes, offset, dim1, dim2):
    """Placing values on a diagonal is undone by reading that diagonal back."""
    return apply_op(DIAGONAL, (grad,), (offset, dim1, dim2, grad._data.shape))


DIAGONAL_BACKWARD = REGISTRY["diagonal_backward"]


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of ``dim`` from ``start`` on, as a view (``SliceBackward0``).

    >>> import autograd_lab as al
    >>> al.arange(6).narrow(0, 1, 3)
    tensor([1, 2, 3])
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = _wrap_dim(dim, len(shape))
    size = shape[d]
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start = start + size if start < 0 else start
    if start + length > size:
        raise RuntimeError(
            f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return apply_op(NARROW, (input,), (d, int(start), int(start + length), 1, shape))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` of dimension ``dim``, which it removes; a view.

    >>> import autograd_lab as al
    >>> al.arange(6).view(2, 3).select(1, -1)
    tensor([2, 5])
    """
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(shape)} at dimension {dim}")
    index = int(index + shape[d] if index < 0 else index)
    return apply_op(SELECT_INT, (input,), (d, index, shape))


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (``dim1``, ``dim2``) planes, as a last dimension; a view.
    ``offset`` > 0 is above the main diagonal, < 0 below.

    >>> import autograd_lab as al
    >>> al.arange(9).view(3, 3).diagonal(1)
    tensor([1, 5])
    """
    n = input._data.ndim
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply_op(DIAGONAL, (input,), (int(offset), d1, d2, input._data.shape))


# --- several views from one node: unbind, split, chunk -----------------------------------
def _grads_or_zeros(grads: tuple, shapes) -> list:
    """Each output's gradient, zeros for an output nobody used (at least one was used:
    the engine does not run a node whose gradients are all None)."""
    like = next(g for g in grads if g is not None)
    dtype = like._data.dtype
    return [Tensor(np.zeros(shape, dtype=dtype)) if g is None else g
            for g, shape in zip(grads, shapes, strict=True)]


def _unbind_forward(a, dim):
    return tuple([a[_along(dim, i)] for i in range(a.shape[dim])])


def _unbind_output(attrs: tuple, i: int) -> tuple:
    """Output i of unbind(dim) alone: select(dim, i)."""
    return SELECT_INT, (attrs[0], i, attrs[1])


@defop("unbind", lambda a, dim, self_shape: _unbind_forward(a, dim),
       attrs=("dim", "self_sym_sizes"), view=True, output_view=_unbind_output,
       math="grad_self = stack(grads, dim)  (zeros for an output nobody used)")
def _unbind_backward(grads, dim, self_sym_sizes):
    """self.unbind(dim) cut self into its slices along dim: stack their gradients back."""
    shape = self_sym_sizes[:dim] + self_sym_sizes[dim + 1:]
    return stack(_grads_or_zeros(grads, [shape] * len(grads)), dim)


UNBIND = REGISTRY["unbind"]


def _split_bounds(sizes: tuple) -> list:
    bounds, start = [], 0
    for size in sizes:
        bounds.append((start, start + size))
        start += size
    return bounds


def _split_pieces(a, dim, sizes):
    return tuple([a[_along(dim, slice(lo, hi))] for lo, hi in _split_bounds(sizes)])


def _split_output_shapes(self_sym_sizes: tuple, dim: int, sizes: tuple) -> list:
    return [self_sym_sizes[:dim] + (s,) + self_sym_sizes[dim + 1:] for s in sizes]


def _sizes_of_split(size: int, split_size: int) -> tuple:
    """The piece sizes of split(split_size) along a dimension of ``size``: full pieces,
    then the rest; one (empty) piece for an empty dimension."""
    if size == 0:
        return (0,)
    full, rest = divmod(size, split_size)
    return (split_size,) * full + ((rest,) if rest else ())


def _split_output(attrs: tuple, i: int) -> tuple:
    """Output i of a split alone: narrow(dim, start, length)."""
    split, dim, shape = attrs
    sizes = _sizes_of_split(shape[dim], split) if isinstance(split, int) else split
    lo, hi = _split_bounds(sizes)[i]
    return NARROW, (dim, lo, hi, 1, shape)


@defop("split", lambda a, split_size, dim, self_shape: _split_pieces(
           a, dim, _sizes_of_split(a.shape[dim], split_size)),
       attrs=("split_size", "dim", "self_sym_sizes"), view=True, output_view=_split_output,
       math="grad_self = cat(grads, dim)  (zeros for a piece nobody used)")
def _split_backward(grads, split_size, dim, self_sym_sizes):
    """The pieces are consecutive slices of self along dim: concatenate their gradients."""
    sizes = _sizes_of_split(self_sym_sizes[dim], split_size)
    return cat(_grads_or_zeros(grads, _split_output_shapes(self_sym_sizes, dim, sizes)), dim)


SPLIT = REGISTRY["split"]


@defop("split_with_sizes", lambda a, sizes, dim, self_shape: _split_pieces(a, dim, sizes),
       attrs=("split_sizes", "dim", "self_sym_sizes"), view=True, output_view=_split_output,
       math="grad_self = cat(grads, dim)  (zeros for a piece nobody used)")
def _split_with_sizes_backward(grads, split_sizes, dim, self_sym_sizes):
    """The pieces are consecutive slices of self along dim: concatenate their gradients."""
    shapes = _split_output_shapes(self_sym_sizes, dim, split_sizes)
    return cat(_grads_or_zeros(grads, shapes), dim)


SPLIT_WITH_SIZES = REGISTRY["split_with_sizes"]


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """All slices along ``dim``, as a tuple of views made by one ``UnbindBackward0``.

    >>> import autograd_lab as al
    >>> al.arange(4).view(2, 2).unbind(1)
    (tensor([0, 2]), tensor([1, 3]))
    """
    shape = input._data.shape
    if not shape:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return apply_multi_op(UNBIND, (input,), (_wrap_dim(dim, len(shape)), shape))


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Consecutive views along ``dim``: pieces of ``split_size`` (the last one may be
    smaller), or of the sizes listed.

    >>> import autograd_lab as al
    >>> al.arange(5).split(2)
    (tensor([0, 1]), tensor([2, 3]), tensor([4]))
    >>> al.arange(5).split([1, 4])
    (tensor([0]), tensor([1, 2, 3, 4]))
    """
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, len(shape))
    if isinstance(split_size_or_sections, (int, np.integer)):
        split_size = int(split_size_or_sections)
        if split_size < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={split_size}")
        if split_size == 0 and shape[d] != 0:
            raise RuntimeError("split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {shape[d]}")
        return apply_multi_op(SPLIT, (tensor,), (split_size, d, shape))
    sizes = ints_arg(split_size_or_sections)
    if any(s < 0 for s in sizes):
        raise RuntimeError("split_with_sizes expects split_sizes have only non-negative entries, "
                           f"but got split_sizes={list(sizes)}")
    if sum(sizes) != shape[d]:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {shape[d]} (input tensor's "
            f"size at dimension {d}), but got split_sizes={list(sizes)}")
    return apply_multi_op(SPLIT_WITH_SIZES, (tensor,), (sizes, d, shape))


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` views of equal size along ``dim`` (the last may be smaller):
    ``split`` with pieces of ceil(size / chunks), as PyTorch does, so possibly fewer.

    >>> import autograd_lab as al
    >>> al.arange(5).chunk(2)
    (tensor([0, 1, 2]), tensor([3, 4]))
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = int_arg(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = shape[_wrap_dim(dim, len(shape))]
    split_size = -(-size // chunks)
    if split_size == 0 and size == 0:  # keep the number of (empty) chunks, as PyTorch
        return split(input, [0] * chunks, dim)
    return split(input, split_size, dim)


# --- copies that rearrange elements: repeat, tile, flip, roll ------------------------------
def _repeat_forward(a, repeats, self_shape):
    lead = len(repeats) - a.ndim
    return np.tile(a.reshape((1,) * lead + a.shape), repeats)


@defop("repeat", _repeat_forward, attrs=("repeats", "self_sym_sizes"),
       math=("grad_self = grad.reshape(r0, s0, r1, s1, …).sum(the r axes)  (r: repeats, s: "
             "self_sym_sizes)"))
def _repeat_backward(grad, repeats, self_sym_sizes):
    """out = self tiled repeats[d] times along each dim d: view grad as
    (r0, s0, r1, s1, ...) and sum over the r axes (every copy sends its gradient home)."""
    padded = (1,) * (len(repeats) - len(self_sym_sizes)) + tuple(self_sym_sizes)
    pairs = tuple(n for r, s in zip(repeats, padded, strict=True) for n in (r, s))
    if not pairs:  # a 0-d tensor repeated ()
        return grad
    summed = grad.reshape(pairs).sum(tuple(range(0, len(pairs), 2)))
    return reshape(summed, self_sym_sizes)


REPEAT = REGISTRY["repeat"]


def repeat(input: Tensor, *repeats) -> Tensor:
    """Tile the tensor ``repeats[d]`` times along each dimension d (a copy); extra
    leading repeats add dimensions.

    >>> import autograd_lab as al
    >>> al.tensor([1, 2]).repeat(2, 2)
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]])
    """
    repeats = _sizes(repeats, "repeat", "repeats") if repeats else ()
    shape = input._data.shape
    if len(repeats) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    padded = (1,) * (len(repeats) - len(shape)) + shape
    target = [r * s for r, s in zip(repeats, padded, strict=True)]
    for r in repeats:
        if r < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {r * 1}: {target}")
    return apply_op(REPEAT, (input,), (repeats, shape))


def tile(input: Tensor, *dims) -> Tensor:
    """``repeat``, with missing leading repeats taken as 1 (as ``numpy.tile``).

    >>> import autograd_lab as al
    >>> al.tensor([[1, 2]]).tile((2,))
    tensor([[1, 2, 1, 2]])
    """
    if not dims:
        raise TypeError('tile() missing 1 required positional arguments: "dims"')
    dims = _sizes(dims, "tile", "dims")
    lead = input._data.ndim - len(dims)
    return repeat(input, (1,) * lead + dims if lead > 0 else dims)


# a copy in its input's layout, as PyTorch's (``copy(order="K")``; NumPy's flip is a view)
@defop("flip", lambda a, dims: np.flip(a, axis=dims).copy(order="K"), attrs=("dims",),
       math="grad_self = grad.flip(dims)")
def _flip_backward(grad, dims):
    """Reversing is its own inverse: flip the gradient back."""
    return apply_op(FLIP, (grad,), (dims,))


FLIP = REGISTRY["flip"]


def flip(input: Tensor, *dims) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch).

    >>> import autograd_lab as al
    >>> al.arange(4).view(2, 2).flip(0)
    tensor([[2, 3],
            [0, 1]])
    """
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    dims = _sizes(dims, "flip", "dims")
    n = input._data.ndim
    wrapped = []
    for d in dims:
        w = _wrap_dim(d, n)
        if w in wrapped:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        wrapped.append(w)
    if n == 0:
        wrapped = []  # a 0-d tensor has nothing to reverse
    return apply_op(FLIP, (input,), (tuple(wrapped),))


def _roll_forward(a, shifts, dims):
    if not dims:
        return np.roll(a, shifts[0])  # over the flattened tensor, shape kept
    return np.roll(a, shifts, axis=dims)


@defop("roll", in_c_order(_roll_forward), attrs=("shifts", "dims"),
       math="grad_self = grad.roll(-shifts, dims)")
def _roll_backward(grad, shifts, dims):
    """Rolling by s is undone by rolling by -s."""
    return apply_op(ROLL, (grad,), (tuple(-s for s in shifts), dims))


ROLL = REGISTRY["roll"]


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (over the flattened tensor
    when ``dims`` is None).

    >>> import autograd_lab as al
    >>> al.arange(4).roll(1)
    tensor([3, 0, 1, 2])
    """
    shifts = ints_arg(shifts)
    if dims is None:
        dims = ()
    dims = (int(dims),) if isinstance(dims, (int, np.integer)) else tuple(map(int, dims))
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not (not dims and len(shifts) == 1) and len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    n = input._data.ndim
    dims = tuple(_wrap_dim(d, n) for d in dims)
    return apply_op(ROLL, (input,), (shifts, dims))
