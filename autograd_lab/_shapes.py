"""Shape rules the engine and the ops both need, in plain Python.

``np.broadcast_shapes`` answers the same questions, but it builds NumPy arrays to do
so and costs a few microseconds a call: more than the reduction it guards when the
engine sums a small broadcast gradient back to its input's shape.
"""

from __future__ import annotations

__all__ = ["expands_to"]


def expands_to(shape: tuple, target: tuple) -> bool:
    """True if ``shape`` broadcasts to exactly ``target`` (NumPy's rules, from the right:
    each size equal, or 1), so that a ``target``-shaped gradient sums back to ``shape``.

    >>> expands_to((3, 1), (2, 3, 4)), expands_to((3,), (3, 4))
    (True, False)
    """
    if len(shape) > len(target):
        return False
    for size, full in zip(reversed(shape), reversed(target), strict=False):
        if size != full and size != 1:
            return False
    return True
