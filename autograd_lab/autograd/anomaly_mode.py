"""Anomaly detection: keep each node's forward traceback, and fail loudly on NaN.

With ``detect_anomaly()`` on, every node remembers where in the user's code it was
created; when backward produces a NaN, the error names the node and prints that
forward traceback, which points at the op that caused it.
"""

from __future__ import annotations

import traceback

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]

_enabled = False


def is_anomaly_enabled() -> bool:
    return _enabled


def record_forward_trace(node) -> None:
    """Called for every new node; cheap when anomaly mode is off."""
    if _enabled:
        node._anomaly_trace = "".join(traceback.format_stack()[:-3])


class set_detect_anomaly:  # noqa: N801
    """Switch anomaly detection on or off; works at once and as a context manager."""

    def __init__(self, mode: bool) -> None:
        global _enabled
        self._prev = _enabled
        _enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        global _enabled
        _enabled = self._prev
        return False


class detect_anomaly:  # noqa: N801
    """Context manager: record forward tracebacks and check backward for NaN."""

    def __enter__(self):
        global _enabled
        self._prev = _enabled
        _enabled = True
        return self

    def __exit__(self, *exc) -> bool:
        global _enabled
        _enabled = self._prev
        return False
