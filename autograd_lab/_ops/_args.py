"""Argument coercion: which arguments are numbers, and Tensors for those that must be."""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from .._tensor import Tensor

__all__ = ["is_scalar", "python_scalar", "as_tensor_arg", "not_a_tensor"]

_F64 = np.dtype(np.float64)


_SCALARS = (int, float, bool, np.number, np.bool_)


def is_scalar(x) -> bool:
    """Python and NumPy numbers: kept as plain values, not graph inputs."""
    return isinstance(x, _SCALARS)


def python_scalar(x):
    """NumPy scalars as the Python number they hold (both are "weak" in promotion)."""
    return x.item() if isinstance(x, (np.number, np.bool_)) else x


def as_tensor_arg(x, like: Tensor | None = None) -> Tensor:
    """A Tensor for an argument that must be one (lists and arrays become constants).

    A scalar next to a tensor ``like`` takes its dtype, as PyTorch's wrapped numbers do.
    """
    if isinstance(x, Tensor):
        return x
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"expected a Tensor or a number, not {type(x).__name__} ({x!r:.30})")
    if like is not None and is_scalar(x):
        x = python_scalar(x)
        dtype = like._data.dtype
        if isinstance(x, float) and dtype.kind != "f":
            dtype = _dtypes._default.np
        elif isinstance(x, int) and not isinstance(x, bool) and dtype.kind == "b":
            dtype = np.dtype(np.int64)
        return Tensor(np.asarray(x, dtype=dtype))
    arr = np.asarray(x)
    if arr.dtype == _F64 and not isinstance(x, np.ndarray):
        arr = arr.astype(_dtypes._default.np)
    return Tensor(_dtypes.normalize_array(arr) if not isinstance(x, np.ndarray) else arr)


def not_a_tensor(op: str, name: str, position: int, x, number: bool = False) -> TypeError:
    """PyTorch's error for an argument that must be a Tensor (or a number)."""
    kind = "Tensor or Number" if number else "Tensor"
    return TypeError(f"{op}(): argument '{name}' (position {position}) must be {kind}, "
                     f"not {type(x).__name__}")
