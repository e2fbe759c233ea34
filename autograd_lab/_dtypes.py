"""The four dtypes autograd_lab supports, and the default dtype for float data.

A dtype is a thin named wrapper over a NumPy dtype so that it prints the way a
PyTorch user expects (``autograd_lab.float32``) and so that only the dtypes we
support can be asked for.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dtype", "float32", "float64", "int64", "bool", "get_default_dtype", "set_default_dtype"]


class dtype:  # noqa: N801 - the public name mirrors torch.dtype
    """A tensor element type; ``np`` is the NumPy dtype that stores it."""

    __slots__ = ("name", "np", "is_floating_point")

    def __init__(self, name: str, scalar_type: type[np.generic]) -> None:
        self.name = name
        self.np = np.dtype(scalar_type)
        self.is_floating_point = self.np.kind == "f"

    def __repr__(self) -> str:
        return f"autograd_lab.{self.name}"

    def __reduce__(self):  # pickles as the module-level singleton
        return (_by_name, (self.name,))


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int64 = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)  # noqa: A001 - mirrors torch.bool

_ALL = (float32, float64, int64, bool)
_FROM_NP = {d.np: d for d in _ALL}
_default = float32


def _by_name(name: str) -> dtype:
    return next(d for d in _ALL if d.name == name)


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    """The autograd_lab dtype that stores ``np_dtype``, or a clear TypeError."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(
            f"autograd_lab supports float32, float64, int64 and bool; got NumPy dtype {np_dtype}. "
            "Convert the array first, e.g. arr.astype(np.float32)."
        ) from None


def to_numpy_dtype(d, fn: str = "to") -> np.dtype:
    """Accept an autograd_lab dtype (or a NumPy one we support) and return the NumPy dtype.

    Anything else (a string such as ``"float64"``, a Python type, None) is a TypeError in
    PyTorch's words, naming the function ``fn``."""
    if isinstance(d, dtype):
        return d.np
    if isinstance(d, np.dtype) or (isinstance(d, type) and issubclass(d, np.generic)):
        return from_numpy_dtype(np.dtype(d)).np
    raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {type(d).__name__} "
                    "(autograd_lab's dtypes are al.float32, al.float64, al.int64 and al.bool)")


def get_default_dtype() -> dtype:
    """The dtype given to float data when none is asked for (float32, as in PyTorch)."""
    return _default


def set_default_dtype(d: dtype) -> None:
    """Change the default float dtype; only float32 and float64 are allowed."""
    global _default
    if d not in (float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type; got {d}")
    _default = d


def _default_np() -> np.dtype:
    return _default.np


def normalize_array(arr: np.ndarray) -> np.ndarray:
    """Bring an array to a supported dtype: floats to the default, ints to int64.

    Called only when data enters from outside (``tensor``, ``as_tensor``); op results
    are kept in the supported dtypes by the op machinery.
    """
    kind = arr.dtype.kind
    if arr.dtype in _FROM_NP:
        return arr
    if kind == "f":
        return arr.astype(_default.np)
    if kind in "iu":
        return arr.astype(np.int64)
    if kind == "b":
        return arr.astype(np.bool_)
    raise TypeError(
        f"can't convert an array of dtype {arr.dtype} to a tensor: "
        "autograd_lab supports float32, float64, int64 and bool data."
    )
