"""Version counters, shared by a tensor and every view of it.

# Note [Version counters]
Every in-place change to a tensor's memory bumps a counter, by exactly one per op
(``autograd.inplace.bump_version``). A view shares the counter object of its base, so
writing through either one is seen by both; so does ``detach()``, while ``.data``
gets a counter of its own (as in PyTorch: it bypasses tracking).
When the graph saves a tensor for backward it records the counter's value; if the
value differs when backward unpacks it, the saved data was overwritten and the
gradient would be wrong, so backward raises instead (see autograd/saved.py).
A view also remembers the counter value its ``grad_fn`` was built at, to notice that
its base changed since (Note [Rebasing history] in autograd/inplace.py).
"""

from __future__ import annotations

__all__ = ["VersionCounter"]


class VersionCounter:
    """A mutable integer shared by a base tensor and its views."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def bump(self) -> None:
        self.value += 1

    def __repr__(self) -> str:
        return f"VersionCounter({self.value})"
