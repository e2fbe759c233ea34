"""How a stepper writes a value (small arrays in full, large ones summarised) and its panel.

Deterministic text only (a stepper's state is what strict nbval compares).
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..viz._labels import grad_summary

__all__ = ["show_value", "panel_html", "SMALL"]

SMALL = 12  # arrays with at most this many elements are printed in full


def show_value(tensor) -> str:
    """``tensor([1., 2.])`` for a small tensor; ``f32[100, 10] ‖g‖=3.1 (min -1, max 2)``
    for a large one; ``None`` for a missing gradient."""
    if tensor is None:
        return "None"
    data = tensor._data
    if data.size <= SMALL:
        return " ".join(repr(Tensor(data)).split())  # no grad_fn: just the values
    summary = grad_summary(data)
    if data.dtype.kind in "fiu" and np.isfinite(data).all():
        summary += f" (min {float(data.min()):.3g}, max {float(data.max()):.3g})"
    return summary


def panel_html(text: str) -> str:
    """A stepper's state text as the HTML of its panel (class ``al-state``)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ('<pre class="al-state" style="font-size:12px; margin:0 8px; '
            f'white-space:pre-wrap; word-break:normal">{escaped}</pre>')
