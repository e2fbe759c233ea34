"""In-place ops: ``x.add_(y)``, ``x.exp_()``, ``x += 1``, ``x[i] = v``, ``copy_``, ``fill_``...

Each one runs the *out-of-place* row of the derivative table, PyTorch's way
(``apply_inplace``):

1. check that the memory may be written (not read-only, no element repeated as after
   ``expand``) and that the graph allows it (``check_inplace``: not a leaf that requires
   grad, nor a view of one, unless under ``no_grad``);
2. compute the new values with the row's forward;
3. when recording, make the row's node and attach it while the tensor still has its old
   history, so the node's edge for ``self`` leads to that history. A formula that needs
   the old ``self`` gets a copy of it; one that needs ``result`` saves the tensor itself
   after the write (so a later in-place change of it is caught at backward);
4. write the values into the tensor's memory (its base and views see them) and bump the
   shared version counter once;
5. ``rebase_history``: the tensor, or for a view its base (through ``CopySlices``), now
   has the node as its history. See Note [Rebasing history] in ``autograd/inplace.py``.
"""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..autograd import recording
from ..autograd.function import attach
from ..autograd.grad_mode import state
from ..autograd.inplace import bump_version, check_inplace, rebase_history
from ..autograd.saved import SavedTensor
from . import indexing, pointwise
from ._apply import _saved_when_needed, run_forward
from ._args import as_tensor_arg, is_scalar, python_scalar
from ._table import REGISTRY, defop
from .indexing import getitem, normalize_index
from .views import expand, reshape

__all__ = ["apply_inplace", "add_", "sub_", "mul_", "div_", "pow_", "neg_", "clamp_", "zero_",
           "fill_", "copy_", "setitem", "iadd", "isub", "imul", "itruediv", "ipow",
           "UNARY_INPLACE", "scatter_", "masked_fill_", "triu_", "tril_"]

_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation.")
_PARTIAL_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to "
                    "tensor refer to a single memory location. Please clone() the tensor before "
                    "performing the operation.")


def apply_inplace(spec, self: Tensor, others: tuple = (), attrs: tuple = (), *,
                  casting: str = "same_kind", internal_overlap: bool = False) -> Tensor:
    """Run the row ``spec`` on ``(self, *others)`` and write the result into ``self``.

    ``casting="same_kind"`` refuses results ``self`` cannot hold (a float result in an int
    tensor), as PyTorch's arithmetic does; ``copy_``, ``fill_`` and ``x[i] = v`` pass
    ``"unsafe"`` because they convert, as in PyTorch. ``internal_overlap=True`` (zero_,
    fill_) lets an expanded tensor be written, as PyTorch's fills do.
    """
    _check_writable(self, internal_overlap)
    _check_no_partial_overlap(self._data, others)
    check_inplace(self, others)
    tensors = (self, *others)
    out = run_forward(spec, tensors, attrs)
    target = self._data
    if out.shape != target.shape:
        raise RuntimeError(
            f"output with shape {list(target.shape)} doesn't match the broadcast shape "
            f"{list(out.shape)} (in {spec.name}_); an in-place op cannot change the shape of "
            "its tensor. Use the out-of-place op instead."
        )
    if casting == "same_kind" and not np.can_cast(out.dtype, target.dtype, "same_kind"):
        raise RuntimeError(
            f"result type {_result_dtype_name(out, tensors)} can't be cast to the desired output "
            f"type {_dtypes.from_numpy_dtype(target.dtype).name} (in {spec.name}_). Use the "
            "out-of-place op, or convert the tensor first (e.g. x = x.float())."
        )
    # Only floating-point tensors have gradients: an int tensor that copies a float one
    # that requires grad stays outside the graph, as in PyTorch.
    record = state.enabled and target.dtype.kind == "f" and any(t.requires_grad for t in tensors)
    if record:
        node, saved = _attach_before_write(spec, self, tensors)
    np.copyto(target, out, casting="unsafe")
    bump_version(self)
    if record:
        for k, i in enumerate(spec.save_plan):
            if i < 0:  # ``result`` is self, now: saved at its new version
                saved[k] = SavedTensor(self, True)
                if self._base is not None:
                    saved[k].follow_view(self)
        node._saved = tuple(saved)
        if spec.save_needs is not None:  # Note [Saved only when needed] in _table.py
            node._saved = _saved_when_needed(node, spec.save_needs)
        node._attrs = attrs
        rebase_history(self, node)
    if recording._active:  # Note [Recording ops]; a view's node: its base's CopySlices
        made = (self._grad_fn if self._base is None else self._base._grad_fn) if record else None
        recording.report(spec.name, "inplace", tensors, attrs, (self,), made, spec)
    return self


def _attach_before_write(spec, self: Tensor, tensors: tuple) -> tuple:
    """The row's node, attached while ``self`` still has its old history, and its saved
    inputs (``self`` as a copy of its old values; ``result`` is filled in after the write)."""
    saved: list = []
    for i in spec.save_plan:
        if i == 0:
            saved.append(SavedTensor(_old_value(self), False))
        elif i > 0:
            saved.append(SavedTensor(tensors[i], False))  # if it is self, backward will say so
        else:
            saved.append(None)
    node = spec.node_cls()
    attach(node, (self, None) if spec.wrapped_number else tensors, (self,))
    return node, saved


def _old_value(tensor: Tensor) -> Tensor:
    """A copy of ``tensor``'s values with its current history, for formulas that use ``self``
    (PyTorch's ``original_self``): the tensor itself is about to be overwritten."""
    old = Tensor(tensor._data.copy(), tensor._requires_grad)
    old._grad_fn = tensor._grad_fn
    old._output_nr = tensor._output_nr
    return old


def _check_writable(tensor: Tensor, internal_overlap: bool = False) -> None:
    data = tensor._data
    for size, stride in zip(data.shape, data.strides, strict=True):
        if stride == 0 and size > 1 and not internal_overlap:
            raise RuntimeError(_OVERLAP)
    if not data.flags.writeable:
        raise RuntimeError(
            "this tensor's memory is read-only (it wraps a read-only NumPy array), so it "
            "cannot be modified in place. clone() it first."
        )


def _check_no_partial_overlap(target: np.ndarray, others: tuple) -> None:
    """Refuse an input that shares *some* of the memory written to, as PyTorch does
    (``x[1:].add_(x[:-1])``, ``x.unsqueeze(0).mul_(x)``): reading an element after it was
    overwritten would depend on the order of the loop. The same memory laid out alike
    (``x.mul_(x)``) is fine, and like PyTorch we only judge dense tensors (other layouts
    are "too hard" to decide and allowed)."""
    for other in others:
        if _overlap(target, other._data) == "partial":
            raise RuntimeError(_PARTIAL_OVERLAP)


def _overlap(a: np.ndarray, b: np.ndarray) -> str:
    """PyTorch's get_overlap_status: "full" (the same elements, laid out alike: the same
    first and last byte and the same strides), "partial", "no" or "too hard"."""
    if a is b:
        return "full"
    if a.size == 0 or b.size == 0:
        return "no"
    if not (_dense(a) and _dense(b)):
        return "too hard"
    a0, b0 = _address(a), _address(b)
    a1, b1 = a0 + a.nbytes, b0 + b.nbytes
    if (a0, a1) == (b0, b1):
        return "full" if a.strides == b.strides else "partial"
    return "partial" if a0 < b1 and b0 < a1 else "no"


def _dense(a: np.ndarray) -> bool:
    """PyTorch's is_non_overlapping_and_dense: the elements fill a block of memory, each
    once, in some order of the axes (axes of size 1 do not count)."""
    expected = a.itemsize
    pairs = zip(a.strides, a.shape, strict=True)
    for stride, size in sorted((stride, n) for stride, n in pairs if n != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _result_dtype_name(out: np.ndarray, tensors: tuple) -> str:
    """The result dtype as PyTorch would name it: NumPy's float64 from int inputs is
    PyTorch's default float."""
    if out.dtype == np.float64 and all(t._data.dtype != np.float64 for t in tensors):
        return _dtypes.get_default_dtype().name
    return _dtypes.from_numpy_dtype(out.dtype).name


# --- arithmetic ------------------------------------------------------------------------
def _binary_(name: str, self: Tensor, other) -> Tensor:
    """``self OP= other`` through the tensor-scalar row ``<name>_scalar`` or the tensor row."""
    if is_scalar(other):
        return apply_inplace(REGISTRY[f"{name}_scalar"], self, (), (python_scalar(other),))
    return apply_inplace(REGISTRY[name], self, (as_tensor_arg(other, self),))


def _refuse_bool(self: Tensor, other, op: str, what: str) -> None:
    if pointwise._is_bool(self) or pointwise._is_bool(other):
        raise RuntimeError(
            f"{what}, the `{op}` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


def add_(self: Tensor, other, *, alpha=1) -> Tensor:
    """``self += alpha * other``, in place."""
    if alpha != 1:
        other = pointwise._scaled(other, alpha)
    return _binary_("add", self, other)


def sub_(self: Tensor, other, *, alpha=1) -> Tensor:
    """``self -= alpha * other``, in place."""
    _refuse_bool(self, other, "-", "Subtraction")
    if alpha != 1:
        other = pointwise._scaled(other, alpha)
    return _binary_("sub", self, other)


def mul_(self: Tensor, other) -> Tensor:
    """``self *= other``, in place."""
    return _binary_("mul", self, other)


def div_(self: Tensor, other) -> Tensor:
    """``self /= other``, in place (an int tensor cannot hold the quotient: an error)."""
    return _binary_("div", self, other)


def pow_(self: Tensor, exponent) -> Tensor:
    """``self **= exponent``, in place."""
    if is_scalar(exponent):
        return apply_inplace(REGISTRY["pow_scalar"], self, (), (python_scalar(exponent),))
    return apply_inplace(REGISTRY["pow"], self, (as_tensor_arg(exponent, self),))


def neg_(self: Tensor) -> Tensor:
    """``self = -self``, in place."""
    if pointwise._is_bool(self):
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return apply_inplace(REGISTRY["neg"], self)


def clamp_(self: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Limit the values to [min, max], in place; bounds may be numbers or tensors."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if max is None:
            return apply_inplace(REGISTRY["clamp_min_tensor"], self, (as_tensor_arg(min, self),))
        if min is None:
            return apply_inplace(REGISTRY["clamp_max_tensor"], self, (as_tensor_arg(max, self),))
        return apply_inplace(REGISTRY["clamp_tensor"], self,
                             (as_tensor_arg(min, self), as_tensor_arg(max, self)))
    return apply_inplace(REGISTRY["clamp"], self, (), (python_scalar(min), python_scalar(max)))


def _unary_(name: str):
    spec = REGISTRY[name]

    def fn(self: Tensor) -> Tensor:
        return apply_inplace(spec, self)

    fn.__name__ = fn.__qualname__ = f"{name}_"
    fn.__doc__ = f"In-place ``{name}``: ``x.{name}_()`` writes {name}(x) into x and returns x."
    return fn


# The unary ops PyTorch has an in-place method for, as {method name: function}.
UNARY_INPLACE = {
    f"{name}_": _unary_(name)
    for name in ("exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "square", "abs",
                 "sign", "sin", "cos", "tan", "sinh", "cosh", "asin", "acos", "atan", "tanh",
                 "sigmoid", "relu")
}


# --- overwriting: zero_, fill_, copy_ ----------------------------------------------------
def _zeros_like(grad: Tensor) -> Tensor:
    return Tensor(np.zeros_like(grad._data))


@defop("zero", np.zeros_like, node_name="ZeroBackward0",
       math="grad_self = zeros_like(grad)")
def _zero_backward(grad):
    """Every element was replaced by a constant: nothing flows back to the old values."""
    return _zeros_like(grad)


ZERO = REGISTRY["zero"]


@defop("fill", lambda a, value: np.full_like(a, value), attrs=("value",),
       node_name="FillBackward2",
       math="grad_self = zeros_like(grad)")
def _fill_backward(grad, value):
    """Filled with a number: nothing flows back to the old values."""
    return _zeros_like(grad)


FILL = REGISTRY["fill"]


@defop("fill_tensor", lambda a, value: np.full_like(a, value), inputs=("self", "value"),
       node_name="FillBackward3",
       math="grad_self = zeros_like(grad);  grad_value = grad.sum()")
def _fill_tensor_backward(grad):
    """Filled with a 0-d tensor: every element was that value, so it gets the whole sum."""
    return _zeros_like(grad), grad.sum()


FILL_TENSOR = REGISTRY["fill_tensor"]


@defop("copy", lambda a, src: np.broadcast_to(src, a.shape), inputs=("self", "src"),
       node_name="CopyBackwards",
       math=("grad_self = zeros_like(grad);  "
             "grad_src = grad  (summed to src's shape, cast to its dtype)"))
def _copy_backward(grad):
    """self's old values are gone (zero gradient); src gets the gradient (the engine sums
    it over any broadcasting and casts it to src's dtype)."""
    return _zeros_like(grad), grad


COPY = REGISTRY["copy"]


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros, in place."""
    return apply_inplace(ZERO, self, casting="unsafe", internal_overlap=True)


def fill_(self: Tensor, value) -> Tensor:
    """Fill with ``value`` (a number or a 0-d tensor), in place."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        return apply_inplace(FILL_TENSOR, self, (value,), casting="unsafe",
                             internal_overlap=True)
    if not is_scalar(value):  # None, "a", [1.0] (NumPy would fill None as nan)
        raise TypeError(f"fill_(): argument 'value' (position 1) must be Number or Tensor, "
                        f"not {type(value).__name__}")
    return apply_inplace(FILL, self, (), (python_scalar(value),), casting="unsafe",
                         internal_overlap=True)


def copy_(self: Tensor, src) -> Tensor:
    """Copy ``src`` (broadcast to this shape, converted to this dtype) into this tensor.

    A ``src`` that is this tensor's own memory, laid out alike, changes nothing, so (as
    PyTorch's ``copy_``, which returns early) it may be copied even into an expanded tensor."""
    src = as_tensor_arg(src, self)
    a, b = self._data, src._data
    same = (a is b or (_address(a) == _address(b) and a.shape == b.shape
                       and a.strides == b.strides and a.dtype == b.dtype))
    return apply_inplace(COPY, self, (src,), casting="unsafe", internal_overlap=same)


# --- scatter_, masked_fill_, triu_, tril_: their out-of-place rows, written in place ------
def scatter_(self: Tensor, dim: int, index, src=None, *, value=None) -> Tensor:
    """Write ``src`` (a tensor, or a number) at ``index`` along ``dim``, in place
    (``ScatterBackward0``/``ScatterBackward1``, as ``scatter``)."""
    spec, others, attrs = indexing.scatter_args(self, dim, index, src, value)
    return apply_inplace(spec, self, others, attrs, casting="unsafe")


def masked_fill_(self: Tensor, mask, value) -> Tensor:
    """Write ``value`` (a number or a 0-d tensor) where ``mask`` is true, in place; the
    mask must broadcast to this tensor's shape."""
    spec, others, attrs = indexing.masked_fill_args(self, mask, value)
    return apply_inplace(spec, self, others, attrs, casting="unsafe")


def triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the elements below the ``diagonal``-th diagonal, in place."""
    indexing.triangle_args(self, "triu")
    return apply_inplace(REGISTRY["triu"], self, (), (int(diagonal),))


def tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the elements above the ``diagonal``-th diagonal, in place."""
    indexing.triangle_args(self, "tril")
    return apply_inplace(REGISTRY["tril"], self, (), (int(diagonal),))


# --- index_put_ ----------------------------------------------------------------------------
_TYPE_NAMES = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
               "int8": "Char", "uint8": "Byte", "int16": "Short", "int32": "Int", "int64": "Long",
               "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def index_put_(self: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """``self[indices] = values`` in place, or ``+=`` with ``accumulate=True`` (a repeated
    index then adds up rather than the last write winning). ``indices`` is a tuple of
    index tensors (``None`` takes a whole dimension), as PyTorch's.

    Either way the node is IndexPutBackward0, as PyTorch's. (Index's backward formula
    calls the accumulating write as PyTorch's formula does, ``_index_put_impl_``: node
    IndexPutImplBackward0.)
    """
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put_(): argument 'indices' (position 1) must be tuple of Tensors, "
                        f"not {type(indices).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError("index_put_(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    if values._data.dtype != self._data.dtype:
        mine, theirs = (_TYPE_NAMES.get(t.dtype.name, t.dtype.name) for t in (self, values))
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{mine} for the destination and {theirs} for the source.")
    for k, part in enumerate(indices):
        if not isinstance(part, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got "
                            f"{type(part).__name__}")
    parts, _ = normalize_index(tuple(indices))
    if len(parts) > self._data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {self._data.ndim} "
                         f"(got {len(parts)})")
    if accumulate:
        return apply_inplace(REGISTRY["index_put_accumulate"], self, (values,), (parts,),
                             casting="unsafe")
    return apply_inplace(REGISTRY["index_put"], self, (values,), (parts,), casting="unsafe")


def _index_put_impl_(self: Tensor, index: tuple, values: Tensor) -> Tensor:
    """``values`` added into ``self`` at ``index`` (a tuple of index parts, as ``x[...]``
    takes), in place: PyTorch's ``_index_put_impl_`` (node IndexPutImplBackward0), which
    index's backward formula calls on new zeros (_ops/indexing.py)."""
    return apply_inplace(REGISTRY["index_put_impl"], self, (values,), (index,),
                         casting="unsafe")


# --- t[index] = value ----------------------------------------------------------------------
def setitem(self: Tensor, index, value) -> None:
    """``self[index] = value``: a number, a tensor or anything ``tensor()`` accepts.

    Basic indexing (ints, slices, ``None``, ``...``) writes through the view
    ``self[index]`` with ``copy_``, so ``self`` gets a ``CopySlices`` node, as in PyTorch.
    Advanced indexing (int or bool tensors and lists) is PyTorch's ``index_put_`` on
    ``self`` (node ``IndexPutBackward0``). Either way ``value`` receives the gradient of
    the elements it was written to, and those elements of the old ``self`` receive none.
    """
    value = as_tensor_arg(value, self)
    parts, advanced = normalize_index(index)
    if advanced:
        apply_inplace(REGISTRY["index_put"], self, (value,), (parts,), casting="unsafe")
        return
    view = getitem(self, index)
    value = _drop_leading_ones(value, view._data.ndim)
    if value._data.shape != view._data.shape and value._data.ndim:
        value = expand(value, *view._data.shape)  # PyTorch's copy_to: src expanded first
    copy_(view, value)


def _drop_leading_ones(value: Tensor, ndim: int) -> Tensor:
    """``x[0] = v`` accepts a ``v`` of shape (1, n) for a row of n, as PyTorch does."""
    shape = value._data.shape
    lead = 0
    while len(shape) - lead > ndim and shape[lead] == 1:
        lead += 1
    return reshape(value, shape[lead:]) if lead else value


# --- augmented assignment: x += y is x.add_(y) -------------------------------------------
def iadd(self: Tensor, other) -> Tensor:
    return add_(self, other)


def isub(self: Tensor, other) -> Tensor:
    return sub_(self, other)


def imul(self: Tensor, other) -> Tensor:
    return mul_(self, other)


def itruediv(self: Tensor, other) -> Tensor:
    return div_(self, other)


def ipow(self: Tensor, other) -> Tensor:
    return pow_(self, other)
