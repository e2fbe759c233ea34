"""What a checker returns: a result a notebook can show, never an exception.

An exercise cell's output is stored in the notebook and compared by nbval, so a result
prints the same text on every run (no addresses, no timings) and renders as HTML in
JupyterLab. ``raise_if_failed`` turns a failure into an ``AssertionError`` for tests.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

Status = Literal["passed", "failed", "not attempted"]

_SYMBOL = {"passed": "✓", "failed": "✗", "not attempted": "…"}
_COLOUR = {"passed": "#1a7f37", "failed": "#cf222e", "not attempted": "#6e7781"}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: which exercise, whether it passed, and why not."""

    exercise: str
    title: str
    status: Status
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        return f"{_SYMBOL[self.status]} {self.exercise} {self.title}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return (f'<div style="border-left: 4px solid {_COLOUR[self.status]}; '
                f'padding: 2px 8px"><b>{_SYMBOL[self.status]} {html.escape(self.exercise)} '
                f'{html.escape(self.title)}</b>: {html.escape(self.message)}</div>')

    def raise_if_failed(self) -> CheckResult:
        """Raise ``AssertionError`` with the message unless the check passed (for tests)."""
        if not self.passed:
            raise AssertionError(str(self))
        return self
