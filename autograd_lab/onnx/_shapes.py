"""Rows that move elements without computing: views (reshape, transpose, expand, ...),
indexing (``x[1:3]``, ``x[i]``, ``gather``), joining and splitting (``cat``, ``split``),
and padding. A traced program's shapes are static, so a reshape takes the recorded shape.
"""

from __future__ import annotations

import numpy as np

from ._common import INT64_MIN, CannotMap, axes, axis, cast, reshape, slice_

__all__ = ["ROWS"]


def to_shape(g, out, x, *rest, **attrs):
    """``view``/``reshape``/``flatten``/``squeeze``: the recorded output shape."""
    return reshape(g, x, out.shape)


def expand(g, out, x, size, self_sym_sizes):
    return g.op("Expand", x, g.ints(out.shape, "shape"))


def transpose_t(g, out, x):
    return g.op("Transpose", x, perm_i=list(range(len(x.shape)))[::-1])


def transpose(g, out, x, dim0, dim1):
    perm = list(range(len(x.shape)))
    d0, d1 = axis(dim0, len(perm)), axis(dim1, len(perm))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return g.op("Transpose", x, perm_i=perm)


def permute(g, out, x, dims):
    return g.op("Transpose", x, perm_i=axes(dims, len(x.shape)))


def unsqueeze(g, out, x, dim):
    return g.op("Unsqueeze", x, g.ints([axis(dim, out.ndim)], "axes"))


def narrow(g, out, x, dim, start, end, step, self_sym_sizes):
    return slice_(g, x, [start], [end], [axis(dim, len(x.shape))], [step])


def basic_index(g, out, x, index, self_sym_sizes=None):
    """``x[1, ::2, None]``: one ``Slice`` for the ints and slices, then a ``Reshape`` that
    drops the dims an int picked and adds those ``None`` asked for."""
    items = index if isinstance(index, tuple) else (index,)
    ndim = len(x.shape)
    used = sum(1 for item in items if item is not None and item is not Ellipsis)
    starts, ends, dims, steps = [], [], [], []
    shape = list(x.shape)
    d = 0
    for item in items:
        if item is None:
            continue
        if item is Ellipsis:
            d += ndim - used
            continue
        n = x.shape[d]
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            i = int(item) + n if item < 0 else int(item)
            starts.append(i)
            ends.append(i + 1)
            dims.append(d)
            steps.append(1)
            shape[d] = 1
        elif isinstance(item, slice):
            start, stop, step = item.indices(n)
            if (start, stop, step) != (0, n, 1):
                starts.append(start)
                ends.append(max(stop, start))
                dims.append(d)
                steps.append(step)
                shape[d] = len(range(start, stop, step))
        else:
            raise CannotMap(f"an index of type {type(item).__name__} in basic indexing")
        d += 1
    if starts:
        x = slice_(g, x, starts, ends, dims, steps).set_type(x.dtype, shape)
    return to_shape(g, out, x)


def _index_value(g, index):
    if hasattr(index, "name"):  # a Value: a tensor of the program
        if index.dtype is not None and index.dtype.kind == "b":
            raise CannotMap("a boolean mask picks a number of elements known only at run "
                            "time")
        return cast(g, index, np.int64)
    array = np.asarray(index)
    if array.dtype.kind == "b":
        raise CannotMap("a boolean mask picks a number of elements known only at run time")
    if array.dtype.kind not in "iu":
        raise CannotMap(f"an index of dtype {array.dtype}")
    return g.constant(array.astype(np.int64), name="index")


def advanced_index(g, out, x, index, self_sym_sizes=None):
    """``x[i]`` or ``x[:, i]`` (one integer tensor after full slices): ``Gather``."""
    items = list(index if isinstance(index, tuple) else (index,))
    while items and isinstance(items[-1], slice) and items[-1] == slice(None):
        items.pop()
    lead = items[:-1]
    if not items or not all(isinstance(s, slice) and s == slice(None) for s in lead):
        raise CannotMap("only one integer index tensor, after full slices (x[i], x[:, i]), "
                        "is exported")
    last = items[-1]
    if isinstance(last, (slice, int, type(None))) or last is Ellipsis:
        raise CannotMap("this mix of basic and advanced indices is not exported")
    return g.op("Gather", x, _index_value(g, last), axis_i=len(lead))


def _pad_along(g, x, ndim, dim, before, after):
    """``x`` (``ndim`` dims) with ``before`` zeros ahead of it and ``after`` behind it
    along ``dim``."""
    pads = [0] * (2 * ndim)
    pads[dim], pads[ndim + dim] = before, after
    return g.op("Pad", x, g.ints(pads, "pads"))


def select_backward(g, out, grad, input_sizes, dim, index):
    """Zeros with ``grad`` at ``index`` along ``dim``: grad unsqueezed there, then padded."""
    dim = axis(dim, len(input_sizes))
    grad = g.op("Unsqueeze", grad, g.ints([dim], "axes"))
    return _pad_along(g, grad, len(input_sizes), dim, index, input_sizes[dim] - index - 1)


def slice_backward(g, out, grad, input_sizes, dim, start, end, step):
    """Zeros with ``grad`` in ``start:end:step`` along ``dim``. A step > 1 spreads grad
    out first: each element followed by step - 1 zeros (a new axis padded, then merged),
    cut where the dimension ends; then padded to place."""
    dim = axis(dim, len(input_sizes))
    size, shape = input_sizes[dim], list(grad.shape)
    n = shape[dim]
    if step > 1 and n:
        spread = _pad_along(g, g.op("Unsqueeze", grad, g.ints([dim + 1], "axes")),
                            len(shape) + 1, dim + 1, 0, step - 1)
        shape[dim] = n * step
        grad = reshape(g, spread, shape)
        length = min(n * step, size - start)
        if length < n * step:
            grad = slice_(g, grad, [0], [length], [dim])
        n = length
    return _pad_along(g, grad, len(shape), dim, start, size - start - n)


def index_put_impl(g, out, x, values, indices):
    """``x.index_put_(indices, values, accumulate=True)`` (index's backward formula adds
    the gradient into zeros this way): ``ScatterND`` with ``reduction="add"``, so a
    repeated index adds up. The index tensors are the leading parts, of one shape S;
    ``values`` is expanded to S + x's remaining dimensions (the updates ScatterND reads)."""
    items = list(indices if isinstance(indices, tuple) else (indices,))
    while items and isinstance(items[-1], slice) and items[-1] == slice(None):
        items.pop()
    if not items or any(isinstance(p, (slice, int, bool, type(None))) or p is Ellipsis
                        for p in items):
        raise CannotMap("only index tensors in the leading dimensions (x[i], x[i, j]) are "
                        "exported for index_put_ with accumulate=True")
    picks = [_index_value(g, p) for p in items]
    shapes = {tuple(p.shape) for p in picks}
    if len(shapes) != 1 or None in shapes:
        raise CannotMap("index tensors of different shapes are not exported for index_put_")
    (shape,) = shapes
    k = len(picks)
    stacked = g.op("Concat", *[g.op("Unsqueeze", p, g.ints([-1], "axes")) for p in picks],
                   axis_i=-1)
    updates = g.op("Expand", values, g.ints(shape + tuple(x.shape[k:]), "shape"))
    return g.op("ScatterND", x, stacked, updates, reduction_s="add")


def select_int(g, out, x, dim, index, self_sym_sizes):
    """``x.select(dim, i)``: ``Gather`` with a 0-d index drops the dimension."""
    return g.op("Gather", x, g.constant(np.asarray(index, np.int64), name="index"),
                axis_i=axis(dim, len(x.shape)))


def index_select(g, out, x, dim, index, self_sym_sizes):
    index = _index_value(g, index)
    if index.shape == ():
        index = reshape(g, index, (1,))
    return g.op("Gather", x, index, axis_i=axis(dim, len(x.shape)))


def gather(g, out, x, dim, index, self_sym_sizes):
    return g.op("GatherElements", x, _index_value(g, index), axis_i=axis(dim, len(x.shape)))


def scatter(g, out, x, src, dim, index, src_sym_sizes):
    """``ScatterElements``: src's corner of index's shape written at index along dim (a
    repeated index: one of the writes wins, as in autograd_lab and PyTorch)."""
    index = _index_value(g, index)
    if tuple(src.shape) != tuple(index.shape):
        n = len(index.shape)
        src = slice_(g, src, [0] * n, list(index.shape), list(range(n)))
    return g.op("ScatterElements", x, index, cast(g, src, out.dtype),
                axis_i=axis(dim, len(x.shape)))


def take_along_dim(g, out, x, indices, dim, self_sym_sizes):
    """``GatherElements``; ``dim=None`` reads the flattened tensor; indices (and x, off
    ``dim``) broadcast to the output's shape first, as ``take_along_dim`` broadcasts."""
    indices = _index_value(g, indices)
    if dim is None:
        flat = reshape(g, x, (-1,))
        return g.op("GatherElements", flat, reshape(g, indices, (-1,)), axis_i=0)
    d = axis(dim, out.ndim)
    if indices.shape != out.shape:
        indices = g.op("Expand", indices, g.ints(out.shape, "shape"))
    x_shape = list(out.shape)
    x_shape[d] = x.shape[d]
    if tuple(x.shape) != tuple(x_shape):
        x = g.op("Expand", x, g.ints(x_shape, "shape"))
    return g.op("GatherElements", x, indices, axis_i=d)


def cat(g, out, *tensors, dim, sizes=None):
    return g.op("Concat", *(cast(g, t, out.dtype) for t in tensors),
                axis_i=axis(dim, out.ndim))


def stack(g, out, *tensors, dim):
    d = axis(dim, out.ndim)
    parts = [g.op("Unsqueeze", cast(g, t, out.dtype), g.ints([d], "axes")) for t in tensors]
    return g.op("Concat", *parts, axis_i=d)


def split(g, out, x, dim, **_):
    """``split``/``split_with_sizes``/``unbind``: one ``Split``, sized as recorded; each
    part reshaped to its recorded shape (``unbind`` drops the dimension)."""
    d = axis(dim, len(x.shape))
    sizes = [shape[d] if len(shape) == len(x.shape) else 1 for _, shape in out.outputs]
    parts = g.op("Split", x, g.ints(sizes, "split"), axis_i=d, outputs=len(sizes))
    parts = parts if isinstance(parts, tuple) else (parts,)
    return tuple(reshape(g, p, shape) for p, (_, shape) in zip(parts, out.outputs,
                                                                 strict=True))


def flip(g, out, x, dims):
    dims = axes(dims, len(x.shape))
    k = len(dims)
    return slice_(g, x, [-1] * k, [INT64_MIN] * k, dims, [-1] * k)


def roll(g, out, x, shifts, dims):
    """Each rolled dimension is two slices swapped (``Concat(x[n-s:], x[:n-s])``)."""
    if not dims:
        flat = reshape(g, x, (-1,)).set_type(x.dtype, (int(np.prod(x.shape)),))
        return reshape(g, roll(g, out, flat, shifts, (0,)), out.shape)
    for shift, dim in zip(shifts, dims, strict=True):
        d = axis(dim, len(x.shape))
        n = x.shape[d]
        s = shift % n if n else 0
        if s:
            x = g.op("Concat", slice_(g, x, [n - s], [n], [d]), slice_(g, x, [0], [n - s], [d]),
                     axis_i=d).set_type(x.dtype, x.shape)
    return x


def repeat(g, out, x, repeats, self_sym_sizes):
    extra = len(repeats) - len(x.shape)
    if extra > 0:
        x = reshape(g, x, (1,) * extra + tuple(x.shape))
    return g.op("Tile", x, g.ints(repeats, "repeats"))


def trilu(upper: bool):
    def mapping(g, out, x, diagonal):
        return g.op("Trilu", x, g.constant(np.asarray(diagonal, np.int64), name="k"),
                    upper_i=int(upper))

    mapping.__name__ = "triu" if upper else "tril"
    return mapping


def constant_pad(g, out, x, pad, value):
    """``Pad`` in ``constant`` mode; ``pad`` holds one ``(before, after)`` per dimension."""
    pad = [tuple(p) for p in pad]
    pad = [(0, 0)] * (len(x.shape) - len(pad)) + pad
    pads = [b for b, _ in pad] + [a for _, a in pad]
    fill = g.constant(np.asarray(value, dtype=out.dtype), name="value")
    return g.op("Pad", x, g.ints(pads, "pads"), fill, mode_s="constant")


ROWS = {
    "view": to_shape, "reshape": to_shape, "reshape_alias": to_shape,
    "squeeze_inplace": to_shape, "squeeze": to_shape, "squeeze_dim": to_shape,
    "squeeze_dims": to_shape, "expand": expand, "t": transpose_t, "transpose": transpose,
    "permute": permute, "unsqueeze": unsqueeze, "narrow": narrow,
    "select": basic_index, "slice": basic_index, "index": advanced_index,
    "select_int": select_int, "index_put_impl": index_put_impl,
    "index_put_accumulate": index_put_impl,
    "select_backward": select_backward, "slice_backward": slice_backward,
    "index_select": index_select, "gather": gather, "scatter": scatter,
    "take_along_dim": take_along_dim, "cat": cat, "stack": stack,
    "split": split, "split_with_sizes": split, "unbind": split,
    "flip": flip, "roll": roll, "repeat": repeat, "tril": trilu(False), "triu": trilu(True),
    "constant_pad": constant_pad,
}
