"""The one switch between the definitions and the fast paths.

Every derivative in autograd_lab is defined once, as a formula in Tensor ops (the row of
the derivative table, or a Function's ``backward``). ``node.apply(grad_outputs)`` always
runs that definition. A plain ``backward()`` (no ``create_graph``) records nothing, and
there the engine may take a faster road to the same values: a row's formula on NumPy
arrays (``_ops/_array_formulas.py``), NumPy's scalar math for 0-d tensors, and keeping a
leaf's first gradient without a copy. This switch turns all of those off at once, so
that a learner who edits a formula sees the edit in ``.grad`` and ``gradcheck``:

>>> import autograd_lab as al
>>> x = al.tensor([1.0, 2.0], requires_grad=True)
>>> with al.autograd.fast_formulas(False):    # run only the definitions
...     (x * x).sum().backward()
>>> x.grad
tensor([2., 4.])
>>> al.autograd.is_fast_formulas_enabled()
True

The test suite runs the op database and the engine tests in both settings
(Note [Fast paths] in docs/architecture.md says what may live behind the switch).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["fast_formulas", "set_fast_formulas", "is_fast_formulas_enabled"]

# Read by the engine once per backward pass, and by ``apply_op`` for 0-d scalar math.
_enabled = True


def is_fast_formulas_enabled() -> bool:
    """True when a plain backward may run the NumPy formulas and other fast paths."""
    return _enabled


def set_fast_formulas(mode: bool) -> None:
    """Allow (True, the default) or forbid (False) the fast paths, for the whole process."""
    global _enabled
    _enabled = bool(mode)


class fast_formulas:  # noqa: N801 - a context manager, named like set_grad_enabled
    """``with fast_formulas(False):`` runs only the definitions inside the block."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = _enabled
        set_fast_formulas(self.mode)
        return self

    def __exit__(self, *exc) -> Literal[False]:
        set_fast_formulas(self._prev)
        return False
