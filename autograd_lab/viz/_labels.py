"""Short, deterministic words for what a drawing shows: ``f32[3, 4]``, ``48 B``, a norm.

The same strings go into the picture and into its text form, so nbval can compare the
text of a drawing across machines (no addresses, no float noise beyond 3 digits).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["short_dtype", "type_shape", "size_in_bytes", "grad_summary", "is_finite"]

# torch.fx's abbreviations (``f32[2, 3]``), which PyTorch users read in printed programs.
_SHORT = {"float16": "f16", "float32": "f32", "float64": "f64", "int8": "i8", "int16": "i16",
          "int32": "i32", "int64": "i64", "uint8": "u8", "bool": "b8", "complex64": "c64",
          "complex128": "c128"}


def short_dtype(dtype) -> str:
    """``f32`` for float32, ``i64`` for int64, ``b8`` for bool (torch.fx's names)."""
    name = np.dtype(dtype).name
    return _SHORT.get(name, name)


def type_shape(dtype, shape) -> str:
    """``f32[3, 4]``; ``f32[]`` for a 0-d value."""
    return f"{short_dtype(dtype)}[{', '.join(str(s) for s in shape)}]"


def size_in_bytes(n: int) -> str:
    """``12 B``, ``1.5 kB``, ``3.1 MB`` (powers of 1000, as a learner counts)."""
    if n < 1000:
        return f"{n} B"
    size, unit = n / 1000, "kB"
    for bigger in ("MB", "GB", "TB"):  # TB for anything larger, too
        if size < 1000:
            break
        size, unit = size / 1000, bigger
    return f"{size:.3g} {unit}"


def is_finite(array: np.ndarray) -> bool:
    return array.dtype.kind not in "fc" or bool(np.isfinite(array).all())


def grad_summary(array: np.ndarray) -> str:
    """What an edge that carried a gradient says: ``f32[3] ‖g‖=2.45``, or ``nan``/``inf``."""
    head = type_shape(array.dtype, array.shape)
    if array.dtype.kind in "fc" and not is_finite(array):
        bad = "nan" if np.isnan(array).any() else "inf"
        return f"{head} has {bad}"
    norm = float(np.sqrt(np.sum(np.abs(array.astype(np.float64)) ** 2)))
    return f"{head} ‖g‖={_number(norm)}"


def _number(x: float) -> str:
    if x == 0 or (1e-3 <= abs(x) < 1e4):
        return f"{x:.3g}"
    if math.isfinite(x):
        return f"{x:.2e}"
    return str(x)
