"""``repr`` of a tensor in PyTorch's style: ``tensor([1., 2.], requires_grad=True)``.

A port of the rules in PyTorch's ``torch/_tensor_str.py`` (default print options:
precision 4, threshold 1000 elements, 3 edge items, line width 80), so that stored
notebook outputs read exactly as a PyTorch user expects:

- one format for every element of a float tensor, chosen from the *nonzero finite*
  values only: integers print as ``1.``; scientific notation (``1.0000e+08``) when
  max/min > 1000, max > 1e8, or (for non-integers) min < 1e-4; ``1.5000`` otherwise;
- every element right-aligned to the widest of those values (nan and inf do not count,
  so ``tensor([nan, 1.])`` has no padding);
- rows wrap so that a line holds ``(80 - indent) // (width + 2)`` elements;
- above 1000 elements, only the first and last 3 along each dimension are shown.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["format_tensor", "PRECISION", "THRESHOLD", "EDGEITEMS", "LINEWIDTH"]

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80

_PREFIX = "tensor("


class _Formatter:
    """Chooses one format and one width for all elements (PyTorch's ``_Formatter``)."""

    def __init__(self, arr: np.ndarray) -> None:
        self.floating = arr.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = arr.reshape(-1)
        if not self.floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return
        values = flat[np.isfinite(flat) & (flat != 0)]
        if values.size == 0:
            return
        magnitudes = np.abs(values.astype(np.float64))
        lo, hi = float(magnitudes.min()), float(magnitudes.max())
        as_python = values.tolist()
        self.int_mode = bool(np.all(values == np.ceil(values)))
        if self.int_mode:
            if hi / lo > 1000.0 or hi > 1.0e8:
                self.sci_mode = True
                self.max_width = max(len(f"{v:.{PRECISION}e}") for v in as_python)
            else:
                self.max_width = max(len(f"{v:.0f}") + 1 for v in as_python)
        elif hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4:
            self.sci_mode = True
            self.max_width = max(len(f"{v:.{PRECISION}e}") for v in as_python)
        else:
            self.max_width = max(len(f"{v:.{PRECISION}f}") for v in as_python)
        self.max_width = max(self.max_width, 1)

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRECISION}f}"
        else:
            text = f"{value}"
        return text.rjust(self.max_width)


def _summarized_data(arr: np.ndarray) -> np.ndarray:
    """Only the elements that will be shown (first and last EDGEITEMS along each dim)."""
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        if arr.shape[0] > 2 * EDGEITEMS:
            return np.concatenate((arr[:EDGEITEMS], arr[-EDGEITEMS:]))
        return arr
    if arr.shape[0] > 2 * EDGEITEMS:
        rows = [arr[i] for i in range(EDGEITEMS)] + [arr[i] for i in range(-EDGEITEMS, 0)]
    else:
        rows = list(arr)
    return np.stack([_summarized_data(r) for r in rows])


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((LINEWIDTH - indent) / element_length)))
    if summarize and arr.shape[0] > 2 * EDGEITEMS:
        data = ([fmt.format(v) for v in arr[:EDGEITEMS].tolist()] + [" ..."]
                + [fmt.format(v) for v in arr[-EDGEITEMS:].tolist()])
    else:
        data = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    if summarize and arr.shape[0] > 2 * EDGEITEMS:
        slices = ([_tensor_str(arr[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)]
                  + ["..."]
                  + [_tensor_str(arr[i], indent + 1, summarize, fmt)
                     for i in range(len(arr) - EDGEITEMS, len(arr))])
    else:
        slices = [_tensor_str(arr[i], indent + 1, summarize, fmt) for i in range(arr.shape[0])]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _body(arr: np.ndarray, indent: int) -> str:
    if arr.size == 0:
        return "[]"
    summarize = arr.size > THRESHOLD
    fmt = _Formatter(_summarized_data(arr) if summarize else arr)
    return _tensor_str(arr, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, starting a new line when one would pass LINEWIDTH."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(data: np.ndarray, suffixes: list[str], default_dtype_name: str) -> str:
    """The text of ``tensor(...)`` for ``data`` followed by ``suffixes`` (grad_fn and the like)."""
    indent = len(_PREFIX)
    dtype_name = data.dtype.name
    extras = []
    if data.size == 0:
        if data.ndim != 1:
            extras.append(f"size={tuple(data.shape)}")
        # nothing to infer an integer dtype from: show every non-default dtype
        if dtype_name != default_dtype_name:
            extras.append(f"dtype=autograd_lab.{dtype_name}")
    elif dtype_name not in (default_dtype_name, "int64", "bool"):
        extras.append(f"dtype=autograd_lab.{dtype_name}")
    return _add_suffixes(_PREFIX + _body(data, indent), extras + list(suffixes), indent)
