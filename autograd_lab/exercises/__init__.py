"""Exercises that check themselves: ``from autograd_lab.exercises import nb02``.

Each notebook from 02 on has exercises; ``nbNN.check_...(your_answer)`` returns a
``CheckResult`` that prints "✓ ..." or "✗ ..." with what is wrong, and never raises, so a
notebook always runs to the end. ``progress()`` lists every exercise and its last result.

>>> from autograd_lab import exercises
>>> str(exercises.progress()).splitlines()[0].endswith("exercises done")
True
"""

from __future__ import annotations

import importlib
import pkgutil

from ._registry import EXERCISES, RESULTS, Progress
from ._result import CheckResult

__all__ = ["CheckResult", "progress"]


def _load_all() -> None:
    """Import every ``nbNN`` module, so each one registers its exercises."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("nb"):
            importlib.import_module(f"{__name__}.{info.name}")


def progress() -> Progress:
    """Every exercise of the curriculum, in order, with its last result in this session."""
    _load_all()
    rows = tuple((e.id, e.title, RESULTS[e.id].status if e.id in RESULTS else "not checked")
                 for e in sorted(EXERCISES.values(), key=lambda e: _order(e.id)))
    return Progress(rows)


def _order(exercise_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in exercise_id.split("."))
