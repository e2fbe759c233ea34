"""``repr`` of a tensor in PyTorch's style: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

__all__ = ["format_tensor"]

_PREFIX = "tensor("


def _float_formatter(arr: np.ndarray):
    """Pick one format for every element, as PyTorch does: ``1.``, ``1.5000`` or ``1.5000e+10``."""
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    magnitudes = np.abs(finite)
    nonzero = magnitudes[magnitudes > 0]
    if np.all(finite == np.round(finite)) and (nonzero.size == 0 or nonzero.max() < 1e8):
        return lambda v: _special(v) or f"{v:.0f}."
    if nonzero.size and (nonzero.max() >= 1e8 or nonzero.min() < 1e-4
                         or nonzero.max() / nonzero.min() > 1e3 and nonzero.max() > 1e3):
        return lambda v: _special(v) or f"{v:.4e}"
    return lambda v: _special(v) or f"{v:.4f}"


def _special(v: float) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _body(arr: np.ndarray, indent: int) -> str:
    if arr.size == 0:
        return "[]" if arr.ndim else "[]"
    if arr.dtype.kind == "f":
        fmt = _float_formatter(arr)
        strings = np.vectorize(fmt, otypes=[object])(arr)
    elif arr.dtype.kind == "b":
        strings = np.where(arr, "True", "False").astype(object)
    else:
        strings = arr.astype(object).astype(str).astype(object)
    width = max(len(s) for s in strings.flat)
    padded = np.vectorize(lambda s: s.rjust(width), otypes=[object])(strings)
    if arr.ndim == 0:
        return padded.item()
    summarize = arr.size > 1000
    return np.array2string(
        padded,
        separator=", ",
        formatter={"all": str},
        prefix=" " * indent,
        threshold=1000 if summarize else arr.size + 1,
        edgeitems=3,
        max_line_width=80,
    )


def format_tensor(data: np.ndarray, suffixes: list[str], default_dtype_name: str) -> str:
    """The text of ``tensor(...)`` for ``data`` followed by ``suffixes`` (grad_fn and the like)."""
    body = _body(data, len(_PREFIX))
    extras = []
    if data.size == 0 and data.ndim != 1:
        extras.append(f"size={tuple(data.shape)}")
    dtype_name = {"float32": "float32", "float64": "float64", "int64": "int64", "bool": "bool"}[
        data.dtype.name
    ]
    implied = dtype_name in (default_dtype_name, "int64", "bool")
    if not implied:
        extras.append(f"dtype=autograd_lab.{dtype_name}")
    tail = "".join(", " + e for e in extras + suffixes)
    return f"{_PREFIX}{body}{tail})"
