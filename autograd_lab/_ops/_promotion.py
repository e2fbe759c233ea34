"""Type promotion: the dtype PyTorch gives an op on tensors and Python numbers.

NumPy and PyTorch mostly agree; where they do not (Note [Type promotion]) the forwards
of the table cast their inputs first, through ``promoting``.
"""

from __future__ import annotations

import numpy as np

from .. import _dtypes

__all__ = ["result_type", "promoting", "keep_default_float"]

_F64 = np.dtype(np.float64)


def keep_default_float(out: np.ndarray, tensors: tuple) -> np.ndarray:
    """NumPy promotes int tensors (and int with float scalars) to float64; PyTorch
    uses the default float dtype unless an input already was float64."""
    for t in tensors:
        if t._data.dtype == _F64:
            return out
    return out.astype(_dtypes._default.np)


# Note [Type promotion]
# PyTorch and NumPy 2 agree on tensor-with-Python-scalar promotion (the scalar is
# "weak": float32 tensor * 2.5 stays float32), but not on tensors: PyTorch lets a
# 0-d tensor change the result's dtype only when it is of a higher *category*
# (bool < integer < floating) than every tensor with dimensions, so
# float32[3] + float64[] is float32 in PyTorch and float64 in NumPy; and int64 with
# float32 is float32 in PyTorch, float64 in NumPy. ``result_type`` follows PyTorch
# (c10's ``result_type``/``combine_categories``) for the four dtypes we support.
_RANK = {np.dtype(np.bool_): 0, np.dtype(np.int64): 1, np.dtype(np.float32): 2, _F64: 3}
_BY_RANK = tuple(sorted(_RANK, key=_RANK.__getitem__))


def _category(d) -> int:
    return 0 if d.kind == "b" else 1 if d.kind in "iu" else 2


def _promote(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return _BY_RANK[max(_RANK.get(a, 3), _RANK.get(b, 3))]


def _combine_categories(higher, lower):
    if higher is not None and _category(higher) == 2:
        return higher
    if higher is None or higher.kind == "b" or (lower is not None and _category(lower) == 2):
        return _promote(higher, lower)
    return higher


def result_type(*operands) -> np.dtype:
    """The dtype PyTorch gives an elementwise op on ``operands`` (arrays or Python numbers)."""
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, np.ndarray):
            if x.ndim:
                dim = _promote(dim, x.dtype)
            else:
                zero = _promote(zero, x.dtype)
        else:
            d: np.dtype
            if isinstance(x, (bool, np.bool_)):
                d = np.dtype(np.bool_)
            elif isinstance(x, (int, np.integer)):
                d = np.dtype(np.int64)
            else:
                d = _dtypes._default.np
            wrapped = _promote(wrapped, d)
    return _combine_categories(dim, _combine_categories(zero, wrapped))


def promoting(np_fn, *, skip: int = 0, int_to_float: bool = False, name: str | None = None):
    """A forward that casts its array arguments (after the first ``skip``) to PyTorch's
    ``result_type`` before calling ``np_fn``; ``int_to_float`` for true division."""

    def forward(*arrays):
        if not skip and len(arrays) == 2 and arrays[0].dtype is arrays[1].dtype and (
            not int_to_float or arrays[0].dtype.kind == "f"
        ):
            return np_fn(*arrays)  # the common case: nothing to promote
        head, operands = arrays[:skip], arrays[skip:]
        dtype = result_type(*operands)
        if int_to_float and dtype.kind != "f":
            dtype = _dtypes._default.np
        cast = [a.astype(dtype) if a.dtype != dtype else a for a in operands]
        out = np_fn(*head, *cast)
        return out if out.dtype == dtype else out.astype(dtype)

    if not name:
        name = getattr(np_fn, "__name__", "forward")
    forward.__name__ = forward.__qualname__ = name
    return forward
