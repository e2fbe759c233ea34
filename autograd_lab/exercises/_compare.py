"""Compare an answer with the expected array: type, then shape, then dtype, then values.

Each step has its own plain message, so a wrong shape never shows up as a confusing
value error. ``mistakes`` are likely wrong answers with a hint each (the gradient not
summed over a broadcast dim, a sign flipped...): an answer equal to one gets its hint.
"""

from __future__ import annotations

import numpy as np

from ._registry import Wrong


def as_array(value, what: str) -> np.ndarray:
    """The answer as a NumPy array, or ``Wrong`` saying what it was instead."""
    from .._tensor import Tensor

    if isinstance(value, Tensor):
        return value.detach().numpy()
    if isinstance(value, np.ndarray | float | int | np.floating | np.integer) and not isinstance(
            value, bool):
        return np.asarray(value)
    raise Wrong(f"{what} should be a tensor, got {type(value).__name__}")


def compare(got, expected, what: str, *, mistakes=(), atol: float = 1e-6,
            rtol: float = 1e-5) -> None:
    """Raise ``Wrong`` with the first difference between ``got`` and ``expected``."""
    array = as_array(got, what)
    expected = np.asarray(expected)
    hint = _hint(array, mistakes, atol, rtol)
    if array.shape != expected.shape:
        raise Wrong(f"{what} has shape {tuple(array.shape)}, expected "
                    f"{tuple(expected.shape)}{hint}")
    if array.dtype.kind != expected.dtype.kind and not (
            array.dtype.kind in "fc" and expected.dtype.kind in "fc"):
        raise Wrong(f"{what} has dtype {array.dtype}, expected {expected.dtype}{hint}")
    close = np.isclose(array, expected, atol=atol, rtol=rtol, equal_nan=True)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        where = f", element {index}" if index else ""
        raise Wrong(f"{what}{where}: expected {_fmt(expected[index])}, got "
                    f"{_fmt(array[index])}{hint}")


def _hint(array, mistakes, atol, rtol) -> str:
    for value, hint in mistakes:
        value = np.asarray(value)
        if value.shape == array.shape and np.allclose(array, value, atol=atol, rtol=rtol):
            return f": {hint}"
    return ""


def _fmt(x) -> str:
    x = np.asarray(x).item()
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def broadcast_dims(shape: tuple, out_shape: tuple) -> tuple[int, ...]:
    """The dims of ``out_shape`` an input of ``shape`` was broadcast along."""
    lead = len(out_shape) - len(shape)
    return tuple(d for d in range(len(out_shape))
                 if d < lead or (shape[d - lead] == 1 and out_shape[d] != 1))
