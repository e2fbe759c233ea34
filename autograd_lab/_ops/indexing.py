"""Indexing and joining: ``t[index]``, ``cat``, ``stack``, ``gather``, ``scatter``,
``index_select``, ``masked_fill``, ``masked_select``, ``triu``, ``tril``.

Basic indexing (ints, slices, None, ...) gives a view; advanced indexing (integer or
bool tensors and lists) gives a copy. Both backwards place the gradient back into a
zero tensor of the input's shape; with advanced indices an element picked twice gets
both gradients summed (``np.add.at``), which is exactly the chain rule.

Picking and placing are each other's adjoint: ``gather`` is undone by ``scatter_add``
into zeros, ``index_select`` by ``index_add`` into zeros, and the other way round, so
every formula here is written with these rows and differentiates again.
"""

from __future__ import annotations

import functools
from types import MemberDescriptorType
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.saved import SavedTensor, freed_graph_error
from ._apply import apply_op
from ._errors import broadcast_mismatch
from ._node import OpNode, node_class
from ._promotion import result_type
from ._table import REGISTRY, defop
from .conversion import new_zeros

__all__ = ["getitem", "cat", "stack", "index_put_zeros", "normalize_index", "gather", "scatter",
           "index_select", "masked_fill", "masked_select", "triu", "tril", "SCATTER_SPECS",
           "SavesIndexNode", "saves_index", "index_arrays", "in_c_order"]


# Note [Results in C order]
# A new tensor that PyTorch computes (an index, masked_fill, cat, a reduction over a dim)
# is laid out in C order (row-major, ``is_contiguous()``), whatever its input's layout.
# NumPy keeps its input's: ``a[:, [1, 0]]`` and ``np.where`` over a transposed array give
# a transposed layout, and then ``.view(-1)`` raises here where PyTorch's works. The rows
# that make such tensors run their forward through ``in_c_order``; pointwise ops and
# ``clone`` keep their input's layout, as PyTorch's do.
def in_c_order(forward):
    """``forward`` with its result in C order (a copy only when it is not already)."""
    @functools.wraps(forward)
    def c_order_forward(*args):
        out = forward(*args)
        if type(out) is np.ndarray and not out.flags.c_contiguous:
            return out.copy(order="C")
        return out

    return c_order_forward


# Note [Saved index tensors]
# The backward of gather, index_select, scatter, x[idx], masked_fill and max(dim) reads an
# index tensor (or a mask), and PyTorch saves it like any other saved tensor
# (``GatherBackward0._saved_index``, ``MaxBackward0._saved_indices``): an in-place change
# of the index after the forward makes backward raise the version error, and backward
# frees it, so a second backward without retain_graph raises "Trying to backward through
# the graph a second time". An index has no gradient (no edge), so these rows keep it
# among their attributes, which the forward reads; a row's ``save`` names only inputs and
# the result. So the node of such a row is a ``SavesIndexNode``: when it is given its
# attributes (apply_op and the in-place ops do that last), it saves the index tensors
# among them as SavedTensors, hands them to the formula unpacked (version-checked), and
# frees them after backward with its other saved values.
def _save_part(value):
    if isinstance(value, Tensor):
        return SavedTensor(value, False)
    if isinstance(value, tuple):  # x[i, j]: the index is a tuple of parts
        return tuple([_save_part(v) for v in value])
    return value


def _unpack_part(value, node):
    if isinstance(value, SavedTensor):
        return value.unpack(node)
    if isinstance(value, tuple):
        return tuple([_unpack_part(v, node) for v in value])
    return value


_ATTRS: MemberDescriptorType = vars(OpNode)["_attrs"]  # the slot, under the property below


class SavesIndexNode(OpNode):
    """The node of a row whose formula reads an index tensor kept among its attributes:
    the index is saved, checked and freed as a saved tensor (Note [Saved index tensors])."""

    __slots__ = ("_saved_attrs",)
    # (position in the row's attrs, the index as saved) per index; None once freed
    _saved_attrs: tuple[tuple[int, Any], ...] | None
    _index_attrs: tuple = ()  # the positions, in the row's attrs, of the saved indices

    @property
    def _attrs(self) -> tuple:
        """The row's attributes, its index tensors unpacked: the version error if one was
        modified in place since the forward, the freed-graph error after backward."""
        saved = self._saved_attrs
        if saved is None:
            raise freed_graph_error()
        attrs = list(_ATTRS.__get__(self))
        for k, value in saved:
            attrs[k] = _unpack_part(value, self)
        return tuple(attrs)

    @_attrs.setter
    def _attrs(self, attrs: tuple) -> None:
        _ATTRS.__set__(self, attrs)
        self._saved_attrs = tuple([(k, _save_part(attrs[k])) for k in self._index_attrs])

    def _release_variables(self) -> None:
        OpNode._release_variables(self)
        self._saved_attrs = None


def saves_index(spec, *names: str) -> None:
    """Make the row ``spec`` save its attributes ``names`` (index tensors) with its node."""
    cls = node_class(spec.node_cls.__name__, SavesIndexNode, spec)
    cls._index_attrs = tuple(spec.attrs.index(n) for n in names)
    cls._saves_nothing = False  # the engine frees what it saved after backward
    spec.node_cls = cls


def index_arrays(index):
    """An index (a Tensor, or a tuple of parts) as NumPy reads it: Tensors as arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple([p._data if isinstance(p, Tensor) else p for p in index])
    return index


def normalize_index(index) -> tuple[tuple, bool]:
    """The index as a tuple of parts, and whether it is advanced indexing. Index tensors
    (and lists, made tensors) stay Tensors, so that the node can save them (Note [Saved
    index tensors]); ``index_arrays`` gives the tuple NumPy reads."""
    if not isinstance(index, tuple):
        index = (index,)
    parts, advanced = [], False
    for part in index:
        if not isinstance(part, (Tensor, list, np.ndarray, bool, int, np.integer, slice,
                                 type(None), type(Ellipsis))):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {type(part).__name__})")
        if isinstance(part, list):  # a list is a tensor of indices (PyTorch saves it as one)
            array = np.asarray(part)
            if array.size == 0:
                array = array.astype(np.int64)  # x[[]] selects nothing
            part = Tensor(array)
        if isinstance(part, (Tensor, np.ndarray)):
            array = part._data if isinstance(part, Tensor) else part
            if array.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            advanced = True
        elif isinstance(part, bool):
            advanced = True
        parts.append(part)
    return tuple(parts), advanced


def _index_forward(a, index, self_shape):
    return a[index_arrays(index)]


def _basic_index_forward(a, index, self_shape):
    """``a[index]`` as a view. NumPy returns a scalar copy when every dimension is
    indexed by an int (``a[1]`` of a 1-D array); a trailing ``...`` keeps it a 0-d view."""
    if Ellipsis not in index:
        index = index + (Ellipsis,)
    return a[index]


def _one_dim_part(index: tuple, ndim: int):
    """``(dim, part)`` when ``index`` applies one int or one forward slice to one
    dimension (the rest ``...`` and whole slices): ``x[0]``, ``x[:, 1:3]``; else None."""
    explicit = sum(1 for p in index if p is not Ellipsis)
    found, dim = None, 0
    for part in index:
        if part is Ellipsis:
            dim += ndim - explicit
            continue
        if part is None or not isinstance(part, (slice, int, np.integer)) \
                or isinstance(part, bool):
            return None
        if part != slice(None):
            if found is not None:
                return None
            found = (dim, part)
        dim += 1
    return found


def _getitem_backward(grad, index, self_sym_sizes):
    """The picked elements send their gradients back to where they came from: PyTorch's
    select_backward / slice_backward (rows in views.py) for one int or one slice, else
    zeros with grad placed at ``index``."""
    one = _one_dim_part(index, len(self_sym_sizes))
    if one is not None:
        dim, part = one
        size = self_sym_sizes[dim]
        if isinstance(part, slice):
            start, end, step = part.indices(size)
            if step > 0:
                return apply_op(REGISTRY["slice_backward"], (grad,),
                                (tuple(self_sym_sizes), dim, start, max(end, start), step))
        else:
            i = int(part)
            return apply_op(REGISTRY["select_backward"], (grad,),
                            (tuple(self_sym_sizes), dim, i + size if i < 0 else i))
    return index_put_zeros(grad, index, self_sym_sizes)


defop("select", _basic_index_forward, attrs=("index", "self_sym_sizes"),
                     node_name="SelectBackward0", view=True,
      math="grad_self = select_backward(grad, self_sym_sizes, dim, index)")(_getitem_backward)


SELECT = REGISTRY["select"]


defop("slice", _basic_index_forward, attrs=("index", "self_sym_sizes"),
                    node_name="SliceBackward0", view=True,
      math=("grad_self = slice_backward(grad, self_sym_sizes, dim, start, end, step)  "
            "(step < 0: grad_self[index] = grad)"))(_getitem_backward)


SLICE = REGISTRY["slice"]


@defop("index", in_c_order(_index_forward), attrs=("index", "self_sym_sizes"),
       node_name="IndexBackward0", result_writes=1,
       math=("grad_self = zeros(self_sym_sizes)._index_put_impl_(index, grad)  "
             "(a repeated index adds up)"))
def _index_backward(grad, index, self_sym_sizes):
    """The picked elements send their gradients back to where they came from, added up
    where an index repeats. PyTorch's index_backward: new zeros, then ``grad`` added in
    place at ``index`` (``index_put_(index, grad, accumulate=True)``, which is PyTorch's
    ``_index_put_impl_``), so the result has version 1 (Note [Formulas that write their
    result in place] in _table.py) and create_graph records IndexPutImplBackward0."""
    zeros = new_zeros(grad, self_sym_sizes)
    return zeros._index_put_impl_(index, grad)  # in _ops/inplace.py


INDEX = REGISTRY["index"]
saves_index(INDEX, "index")  # IndexBackward0._saved_indices


def _put_forward(g, index, shape):
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, index_arrays(index), g)  # sums repeated indices instead of overwriting
    return out


@defop("index_put_zeros", _put_forward, attrs=("index", "self_sym_sizes"),
       node_name="IndexPutBackward0",
       math="grad_self = grad[index]")
def _index_put_zeros_backward(grad, index, self_sym_sizes):
    """Placing values and picking them back out are adjoint: pick the same elements."""
    return apply_op(INDEX, (grad,), (index, grad._data.shape))


INDEX_PUT_ZEROS = REGISTRY["index_put_zeros"]


def index_put_zeros(values: Tensor, index: tuple, shape: tuple) -> Tensor:
    """A zero tensor of ``shape`` with ``values`` added at ``index``."""
    return apply_op(INDEX_PUT_ZEROS, (values,), (index, tuple(shape)))


def _put(a, values, indices, write):
    """A copy of ``a`` with ``values`` written (or added) at ``indices``: PyTorch's error
    when values do not broadcast to the indexed shape."""
    out = a.copy()
    index = index_arrays(indices)
    try:
        write(out, index, values)
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values.shape)} cannot be broadcast to "
            f"indexing result of shape {list(a[index].shape)}"
        ) from None
    return out


def _assign(out, index, values):
    out[index] = values  # NumPy broadcasts values and casts them to out's dtype


def _index_put_forward(a, values, index):
    return _put(a, values, index, _assign)


@defop("index_put", _index_put_forward, inputs=("self", "values"), attrs=("indices",),
       math=("grad_self = grad with grad[indices] = 0;  "
             "grad_values = grad[indices]  (summed to values' shape)"))
def _index_put_backward(grad, indices):
    """``self`` with ``values`` written at ``indices``: the overwritten elements of self
    get no gradient, and values get the gradient of the places they were written to
    (the engine sums it back over any broadcasting of values)."""
    zero = Tensor(np.zeros((), dtype=grad._data.dtype))
    return (apply_op(INDEX_PUT, (grad, zero), (indices,)),
            apply_op(INDEX, (grad,), (indices, grad._data.shape)))


INDEX_PUT = REGISTRY["index_put"]


def _index_put_impl_forward(a, values, indices):
    return _put(a, values, indices, np.add.at)  # a repeated index adds up


@defop("index_put_impl", _index_put_impl_forward, inputs=("self", "values"),
       attrs=("indices",), node_name="IndexPutImplBackward0",
       math="grad_self = grad;  grad_values = grad[indices]  (summed to values' shape)")
def _index_put_impl_backward(grad, indices):
    """``self`` with ``values`` added at ``indices`` (``index_put_(..., accumulate=True)``,
    PyTorch's ``_index_put_impl_``): self's elements all stay, so self gets ``grad``;
    values get the gradient of the places they were added to."""
    return grad, apply_op(INDEX, (grad,), (indices, grad._data.shape))


INDEX_PUT_IMPL = REGISTRY["index_put_impl"]
saves_index(INDEX_PUT_IMPL, "indices")  # IndexPutImplBackward0._saved_indices

# The same op called by a user, ``x.index_put_(indices, values, accumulate=True)``: PyTorch
# names its node IndexPutBackward0 (it goes through index_put_, which calls the impl).
defop("index_put_accumulate", _index_put_impl_forward, inputs=("self", "values"),
      attrs=("indices",), node_name="IndexPutBackward0",
      math="grad_self = grad;  grad_values = grad[indices]  (summed to values' shape)"
      )(_index_put_impl_backward)
saves_index(REGISTRY["index_put_accumulate"], "indices")


def _skips(part: slice, size: int) -> bool:
    """Does a slice inside an index tuple take the whole dimension? PyTorch then applies
    no op for it (``x[:, :2]`` is one SliceBackward0); it reads the slice as written:
    start 0 (or none), stop at least the size (or none), step 1."""
    start = 0 if part.start is None else part.start
    stop = size if part.stop is None else part.stop
    return start == 0 and stop >= size and part.step in (None, 1)


def _as_view_chain(input: Tensor, index: tuple) -> Tensor | None:
    """A basic index tuple as PyTorch applies it: one view op per part, left to right
    (``x[1:, 0]`` is SelectBackward0 over SliceBackward0, ``x[0, 1]`` two SelectBackward0,
    ``x[None]`` UnsqueezeBackward0); a slice over a whole dimension adds nothing, and an
    index that adds nothing at all (``x[...]``, ``x[:, :]``) is AliasBackward0. None when
    one select or one slice is all it takes (the caller's single op, with PyTorch's name)
    and for a negative step (NumPy's reversed view: the caller's single slice op)."""
    ndim = input._data.ndim
    explicit = sum(1 for p in index if p is not None and p is not Ellipsis)
    steps: list[tuple[str, Any, int]] = []  # (kind, part, dim) of each op
    dim, shape = 0, list(input._data.shape)
    for part in index:
        if part is Ellipsis:
            dim += ndim - explicit
        elif part is None:
            steps.append(("unsqueeze", None, dim))
            shape.insert(dim, 1)
            dim += 1
        elif isinstance(part, slice):
            if part.indices(shape[dim])[2] <= 0:
                return None
            if not _skips(part, shape[dim]):
                steps.append(("slice", part, dim))
            dim += 1
        else:
            steps.append(("select", part, dim))
            del shape[dim]
    if not steps:
        return apply_op(REGISTRY["alias"], (input,))
    one_step = len(steps) == 1
    if one_step and (steps[0][0] == "slice" or (steps[0][0] == "select" and len(index) == 1)):
        return None
    t = input
    for kind, part, dim in steps:
        if kind == "unsqueeze":
            t = apply_op(REGISTRY["unsqueeze"], (t,), (dim,))
        elif kind == "slice":
            start, stop, step = part.indices(t._data.shape[dim])
            t = apply_op(REGISTRY["narrow"], (t,), (dim, start, max(stop, start), step,
                                                  t._data.shape))
        else:
            i = int(part)  # in range: checked by the caller
            size = t._data.shape[dim]
            t = apply_op(REGISTRY["select_int"], (t,), (dim, i + size if i < 0 else i,
                                                        t._data.shape))
    return t


def getitem(input: Tensor, index) -> Tensor:
    """``input[index]`` with NumPy's (and PyTorch's) indexing rules.

    An int or a slice alone is one SelectBackward0 or SliceBackward0; a tuple of ints,
    slices, None and ``...`` is PyTorch's chain of one view op per part; tensors, lists
    and bools make it advanced indexing (IndexBackward0, a copy)."""
    one_part = isinstance(index, (slice, int, np.integer))
    index, advanced = normalize_index(index)
    shape = input._data.shape
    if advanced:
        spec = INDEX
    elif index and all(isinstance(i, (int, np.integer)) for i in index):
        spec = SELECT
    else:
        spec = SLICE
    try:
        if not advanced:
            input._data[index + (Ellipsis,) if Ellipsis not in index else index]  # errors
            chain = None if one_part else _as_view_chain(input, index)
            if chain is not None:
                return chain
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


defop("cat", in_c_order(_cat_forward), inputs=(), attrs=("dim", "sizes"),
      math=("grad_tensors[i] = grad.narrow(dim, sizes[0] + … + sizes[i-1], sizes[i])  (where input "
            "i was placed)"))(_cat_backward_fn)


CAT = REGISTRY["cat"]


def _stack_forward(*args):
    *arrays, dim = args
    return np.stack(_common(arrays), axis=dim)


def _stack_backward_fn(grad, dim):
    """Input i was placed at index i along ``dim``: select it back."""
    lead = (slice(None),) * dim
    return tuple(getitem(grad, lead + (i,)) for i in range(grad.shape[dim]))


defop("stack", in_c_order(_stack_forward), inputs=(), attrs=("dim",),
      math="grad_tensors[i] = grad.select(dim, i)")(_stack_backward_fn)


STACK = REGISTRY["stack"]


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
    return apply_op(CAT, tensors, (d, sizes))


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
    return apply_op(STACK, tensors, (_wrap_dim(dim, len(first) + 1),))


# --- gather and scatter: pick or place along one dimension by an index tensor ------------
_NP_DTYPE_NAMES = {"int64": "long int", "float32": "float", "float64": "double", "bool": "bool"}


def _index_tensor(index, op: str, kinds: str = "iu") -> Tensor:
    """An index argument as a Tensor (the caller's own: the node saves it, Note [Saved
    index tensors]), or PyTorch's dtype error for ``op``."""
    if not isinstance(index, Tensor):
        index = Tensor(np.asarray(index))
    if index._data.dtype.kind not in kinds:
        if op == "index_select":
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    return index


def _nonempty(shape: tuple) -> tuple:
    """PyTorch treats a 0-d tensor as 1-D of size 1 in gather and scatter."""
    return shape or (1,)


def _grid(index: np.ndarray, dim: int) -> tuple:
    """The NumPy index addressing ``self[i][index[i][j]][k]``-style positions (dim picked by
    ``index``, every other coordinate its own position in ``index``)."""
    grid: list[np.ndarray] = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _check_bounds(index: np.ndarray, dim: int, size: int) -> None:
    bad = index[(index < 0) | (index >= size)]
    if bad.size:
        raise RuntimeError(
            f"index {bad.flat[0]} is out of bounds for dimension {dim} with size {size}")


def _gather_forward(a, dim, index, self_shape):
    idx = index._data
    out = a.reshape(_nonempty(a.shape))[_grid(idx.reshape(_nonempty(idx.shape)), dim)]
    return out.reshape(idx.shape)


@defop("gather", in_c_order(_gather_forward), save=("self",),
       attrs=("dim", "index", "self_sym_sizes"),
       math="grad_self = zeros(self_sym_sizes).scatter_add(dim, index, grad)")
def _gather_backward(grad, self, dim, index, self_sym_sizes):
    """out[..i..] = self[..index[..i..]..] along dim: every picked element receives the
    gradient of each place it went to, summed (scatter_add into zeros). PyTorch saves
    ``self`` (its sizes are all this formula needs: an in-place change of self after the
    forward is an error there, and so here)."""
    return apply_op(SCATTER_ADD_ZEROS, (grad,), (dim, index, self._data.shape))


GATHER = REGISTRY["gather"]
saves_index(GATHER, "index")


def _scatter_add_zeros_forward(g, dim, index, shape):
    out = np.zeros(_nonempty(shape), dtype=g.dtype)
    idx = index._data.reshape(_nonempty(index._data.shape))
    np.add.at(out, _grid(idx, dim), g.reshape(idx.shape))  # repeated indices add up
    return out.reshape(shape)


@defop("scatter_add_zeros", _scatter_add_zeros_forward, attrs=("dim", "index", "self_sym_sizes"),
       node_name="ScatterAddBackward0",
       math="grad_self = grad.gather(dim, index)")
def _scatter_add_zeros_backward(grad, dim, index, self_sym_sizes):
    """zeros.scatter_add(dim, index, src): d/dsrc picks the same places back (gather)."""
    return apply_op(GATHER, (grad,), (dim, index, grad._data.shape))


SCATTER_ADD_ZEROS = REGISTRY["scatter_add_zeros"]
saves_index(SCATTER_ADD_ZEROS, "index")


def _src_part(src: np.ndarray, index_shape: tuple) -> np.ndarray:
    """The corner of src that scatter reads: index may be smaller than src."""
    return src.reshape(_nonempty(src.shape))[tuple(slice(0, n) for n in index_shape)]


def _scatter_forward(a, src, dim, index, src_shape):
    out = a.reshape(_nonempty(a.shape)).copy()
    idx = index._data.reshape(_nonempty(index._data.shape))
    out[_grid(idx, dim)] = _src_part(src, idx.shape)  # repeated indices: one of them wins
    return out.reshape(a.shape)


@defop("scatter", _scatter_forward, inputs=("self", "src"), attrs=("dim", "index", "src_sym_sizes"),
       node_name="ScatterBackward0",
       math=("grad_self = grad.scatter(dim, index, 0);  "
             "grad_src = grad.gather(dim, index)  (zero-padded to src's shape)"))
def _scatter_backward(grad, dim, index, src_sym_sizes):
    """out = self with src written at index: the overwritten elements of self get no
    gradient (grad.scatter(dim, index, 0)); src gets the gradient of the places it was
    written to (grad.gather(dim, index)), zero where index did not reach (src may be
    larger than index; PyTorch's own formula fails there, we pad with zeros)."""
    grad_self = apply_op(SCATTER_VALUE, (grad,), (dim, index, 0))
    grad_src = apply_op(GATHER, (grad,), (dim, index, grad._data.shape))
    if grad_src._data.shape != _nonempty(src_sym_sizes) and src_sym_sizes:
        corner = tuple(slice(0, n) for n in grad_src._data.shape)
        grad_src = index_put_zeros(grad_src, corner, src_sym_sizes)
    return grad_self, grad_src


SCATTER = REGISTRY["scatter"]
saves_index(SCATTER, "index")


def _scatter_value_forward(a, dim, index, value):
    out = a.reshape(_nonempty(a.shape)).copy()
    out[_grid(index._data.reshape(_nonempty(index._data.shape)), dim)] = value
    return out.reshape(a.shape)


@defop("scatter_value", _scatter_value_forward, attrs=("dim", "index", "value"),
       node_name="ScatterBackward1",
       math="grad_self = grad.scatter(dim, index, 0)")
def _scatter_value_backward(grad, dim, index, value):
    """out = self with a constant written at index: those elements get no gradient."""
    return apply_op(SCATTER_VALUE, (grad,), (dim, index, 0))


SCATTER_VALUE = REGISTRY["scatter_value"]
saves_index(SCATTER_VALUE, "index")


# The rows ``scatter_`` (in _ops/inplace.py) runs in place: (tensor src, number value).
SCATTER_SPECS = (SCATTER, SCATTER_VALUE)


def _check_gather_shapes(self: Tensor, index: np.ndarray, dim: int) -> None:
    shape = _nonempty(self._data.shape)
    if len(_nonempty(index.shape)) != len(shape):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d, (n, m) in enumerate(zip(_nonempty(index.shape), shape, strict=True)):
        if d != dim and n > m:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to be "
                f"no larger than self {list(self.shape)} apart from dimension {dim}")


def gather(input: Tensor, dim: int, index, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` for dim 0 (and likewise for other dims).

    An element picked several times gets all their gradients (they add up).

    >>> import autograd_lab as al
    >>> al.tensor([[1, 2], [3, 4]]).gather(1, al.tensor([[0, 0], [1, 0]]))
    tensor([[1, 1],
            [4, 3]])
    """
    d = _wrap_dim(dim, input._data.ndim)
    index = _index_tensor(index, "gather")
    _check_gather_shapes(input, index._data, d)
    _check_bounds(index._data, d, _nonempty(input._data.shape)[d])
    return apply_op(GATHER, (input,), (d, index, input._data.shape))


def scatter_args(self: Tensor, dim: int, index, src=None, value=None) -> tuple:
    """Check scatter's arguments as PyTorch does; the row, its other inputs and attrs."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
    d = _wrap_dim(dim, self._data.ndim)
    index = _index_tensor(index, "scatter")
    idx = index._data
    shape = _nonempty(self._data.shape)
    ishape = _nonempty(idx.shape)
    if len(ishape) != len(shape):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    is_tensor = isinstance(src, Tensor)
    if is_tensor:
        if src._data.dtype != self._data.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if len(_nonempty(src._data.shape)) != len(ishape):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for k, n in enumerate(ishape):
        if (k != d and n > shape[k]) or (is_tensor and n > _nonempty(src._data.shape)[k]):
            raise RuntimeError(
                f"Expected index {list(idx.shape)} to be no larger than self {list(self.shape)} "
                f"apart from dimension {d}"
                + (f" and to be no larger size than src {list(src.shape)}" if is_tensor else ""))
    _check_bounds(idx, d, shape[d])
    if is_tensor:
        return SCATTER, (src,), (d, index, src._data.shape)
    return SCATTER_VALUE, (), (d, index, src)


def scatter(input: Tensor, dim: int, index, src=None, *, value=None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or a number) written at ``index`` along
    ``dim``: ``out[index[i][j]][j] = src[i][j]`` for dim 0.

    With repeated indices PyTorch leaves undefined which value wins; so do we.

    >>> import autograd_lab as al
    >>> al.zeros(2, 3).scatter(0, al.tensor([[1, 0, 1]]), 5.0)
    tensor([[0., 5., 0.],
            [5., 0., 5.]])
    """
    spec, others, attrs = scatter_args(input, dim, index, src, value)
    return apply_op(spec, (input, *others), attrs)


# --- index_select: whole slices picked by a vector of indices ------------------------------
def _index_select_forward(a, dim, index, self_shape):
    if a.ndim == 0:
        return a.copy()
    return np.take(a, index._data.reshape(-1), axis=dim)


@defop("index_select", in_c_order(_index_select_forward), attrs=("dim", "index", "self_sym_sizes"),
       math="grad_self = zeros(self_sym_sizes).index_add(dim, index, grad)")
def _index_select_backward(grad, dim, index, self_sym_sizes):
    """out = self.index_select(dim, index): slice k of the output came from slice index[k]
    of self, so each slice of self gets the sum of its copies' gradients (index_add)."""
    return apply_op(INDEX_ADD_ZEROS, (grad,), (dim, index, self_sym_sizes))


INDEX_SELECT = REGISTRY["index_select"]
saves_index(INDEX_SELECT, "index")


def _index_add_zeros_forward(g, dim, index, shape):
    if not shape:
        return g.reshape(()).copy()
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, (slice(None),) * dim + (index._data.reshape(-1),), g)
    return out


@defop("index_add_zeros", _index_add_zeros_forward, attrs=("dim", "index", "self_sym_sizes"),
       node_name="IndexAddBackward0",
       math="grad_self = grad.index_select(dim, index)")
def _index_add_zeros_backward(grad, dim, index, self_sym_sizes):
    """zeros.index_add(dim, index, source): d/dsource picks the same slices back."""
    return apply_op(INDEX_SELECT, (grad,), (dim, index, grad._data.shape))


INDEX_ADD_ZEROS = REGISTRY["index_add_zeros"]
saves_index(INDEX_ADD_ZEROS, "index")


def index_select(input: Tensor, dim: int, index) -> Tensor:
    """The slices ``index`` (a vector, repeats allowed) of dimension ``dim``, as a copy.

    >>> import autograd_lab as al
    >>> al.arange(6).view(3, 2).index_select(0, al.tensor([2, 0, 2]))
    tensor([[4, 5],
            [0, 1],
            [4, 5]])
    """
    d = _wrap_dim(dim, input._data.ndim)
    index = _index_tensor(index, "index_select")
    idx = index._data
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    size = _nonempty(input._data.shape)[d]
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise IndexError("index out of range in self")
    if input._data.ndim == 0 and idx.size != 1:
        raise IndexError("index_select(): Index to scalar can have only 1 value, got "
                         f"{idx.size} value(s)")
    return apply_op(INDEX_SELECT, (input,), (d, index, input._data.shape))


# --- masks: masked_fill, masked_select, triu, tril ------------------------------------------
def _check_mask(mask, op: str) -> Tensor:
    mask = mask if isinstance(mask, Tensor) else Tensor(np.asarray(mask))
    if mask._data.dtype != np.bool_:
        name = _NP_DTYPE_NAMES.get(mask._data.dtype.name, mask._data.dtype.name)
        if op == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        raise RuntimeError(
            f"{op} only supports boolean masks, but got mask with dtype {name}")
    return mask


def _masked_fill_forward(a, mask, value):
    return np.where(mask._data, np.asarray(value).astype(a.dtype), a)


@defop("masked_fill", in_c_order(_masked_fill_forward), attrs=("mask", "value"),
       node_name="MaskedFillBackward0",
       math="grad_self = grad.masked_fill(mask, 0)")
def _masked_fill_backward(grad, mask, value):
    """Filled elements are constants now (no gradient); the others pass it through."""
    return apply_op(MASKED_FILL, (grad,), (mask, 0))


MASKED_FILL = REGISTRY["masked_fill"]
saves_index(MASKED_FILL, "mask")


@defop("masked_fill_tensor",
       in_c_order(lambda a, value, mask: np.where(mask._data, value.astype(a.dtype), a)),
       inputs=("self", "value"), attrs=("mask",), node_name="MaskedFillBackward1",
       math="grad_self = grad.masked_fill(mask, 0);  grad_value = grad.masked_fill(~mask, 0).sum()")
def _masked_fill_tensor_backward(grad, mask):
    """self: the gradient where mask is false; value (0-d): every filled element was
    value, so it gets the sum of their gradients."""
    grad_self = apply_op(MASKED_FILL, (grad,), (mask, 0))
    kept = Tensor(~mask._data)
    grad_value = apply_op(MASKED_FILL, (grad,), (kept, 0)).sum()
    return grad_self, grad_value


MASKED_FILL_TENSOR = REGISTRY["masked_fill_tensor"]
saves_index(MASKED_FILL_TENSOR, "mask")


def masked_fill_args(self: Tensor, mask, value, op: str = "masked_fill_") -> tuple:
    """Check masked_fill's arguments; the row, its other inputs and its attrs."""
    mask = _check_mask(mask, op)
    mismatch = broadcast_mismatch([self._data.shape, mask._data.shape])
    if mismatch is not None:
        raise RuntimeError(mismatch)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s).")
        return MASKED_FILL_TENSOR, (value,), (mask,)
    return MASKED_FILL, (), (mask, value)


def masked_fill(input: Tensor, mask, value) -> Tensor:
    """A copy of ``input`` with ``value`` (a number or a 0-d tensor) where ``mask`` (bool,
    broadcast against input) is true.

    >>> import autograd_lab as al
    >>> al.arange(4).masked_fill(al.tensor([True, False, True, False]), -1)
    tensor([-1,  1, -1,  3])
    """
    spec, others, attrs = masked_fill_args(input, mask, value)
    return apply_op(spec, (input, *others), attrs)


def _masked_select_forward(a, mask, self_shape):
    a, m = np.broadcast_arrays(a, mask._data)
    return a[m]


@defop("masked_select", _masked_select_forward, save=("self",), attrs=("mask", "self_sym_sizes"),
       math=("grad_self = zeros(broadcast of self and mask);  "
             "grad_self[mask] = grad  (summed to self's shape)"))
def _masked_select_backward(grad, self, mask, self_sym_sizes):
    """out = the elements of self where mask holds, in order: each goes back to its place
    (in the broadcast shape; the engine sums that back to self's shape). PyTorch saves
    ``self`` and ``mask``: an in-place change of either after the forward is an error."""
    shape = np.broadcast_shapes(self._data.shape, mask._data.shape)
    where = np.nonzero(np.broadcast_to(mask._data, shape))
    return index_put_zeros(grad, where, shape)


MASKED_SELECT = REGISTRY["masked_select"]
saves_index(MASKED_SELECT, "mask")


def masked_select(input: Tensor, mask) -> Tensor:
    """The elements of ``input`` where ``mask`` is true, as a new 1-D tensor.

    >>> import autograd_lab as al
    >>> al.arange(4).masked_select(al.tensor([True, False, True, False]))
    tensor([0, 2])
    """
    mask = _check_mask(mask, "masked_select")
    mismatch = broadcast_mismatch([input._data.shape, mask._data.shape])
    if mismatch is not None:
        raise RuntimeError(mismatch)
    return apply_op(MASKED_SELECT, (input,), (mask, input._data.shape))


@defop("triu", in_c_order(lambda a, k: np.triu(a, k)), attrs=("diagonal",),
       math="grad_self = grad.triu(diagonal)")
def _triu_backward(grad, diagonal):
    """Elements below the kept band were zeroed (constants): keep the same band of grad."""
    return apply_op(TRIU, (grad,), (diagonal,))


TRIU = REGISTRY["triu"]


@defop("tril", in_c_order(lambda a, k: np.tril(a, k)), attrs=("diagonal",),
       math="grad_self = grad.tril(diagonal)")
def _tril_backward(grad, diagonal):
    """Elements above the kept band were zeroed (constants): keep the same band of grad."""
    return apply_op(TRIL, (grad,), (diagonal,))


TRIL = REGISTRY["tril"]


def triangle_args(input: Tensor, op: str) -> None:
    if input._data.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dimensions (from ``diagonal`` up), rest zero.

    >>> import autograd_lab as al
    >>> al.ones(2, 3).triu(1)
    tensor([[0., 1., 1.],
            [0., 0., 1.]])
    """
    triangle_args(input, "triu")
    return apply_op(TRIU, (input,), (int(diagonal),))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions (from ``diagonal`` down), rest zero.

    >>> import autograd_lab as al
    >>> al.ones(2, 3).tril()
    tensor([[1., 0., 0.],
            [1., 1., 0.]])
    """
    triangle_args(input, "tril")
    return apply_op(TRIL, (input,), (int(diagonal),))
