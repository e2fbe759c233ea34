"""Anomaly detection: keep each node's forward traceback, and fail loudly on NaN.

With ``detect_anomaly()`` on, every node remembers where in the user's code it was
created; when backward produces a NaN, the error names the node and prints that
forward traceback, which points at the op that caused it.
"""

from __future__ import annotations

import os
import traceback
from typing import Literal

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

_enabled = False
_check_nan = True


def is_anomaly_enabled() -> bool:
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _enabled and _check_nan


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def record_forward_trace(node) -> None:
    """Keep where in the user's code ``node`` was made (frames inside autograd_lab are
    dropped: the learner wants their own line, not our dispatch)."""
    if _enabled:
        frames = [f for f in traceback.extract_stack()[:-1]
                  if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR + os.sep)]
        node._anomaly_trace = "".join(traceback.format_list(frames))


def _switch(mode: bool, check_nan: bool) -> tuple[bool, bool]:
    global _enabled, _check_nan
    prev = (_enabled, _check_nan)
    _enabled, _check_nan = bool(mode), bool(check_nan)
    return prev


class set_detect_anomaly:  # noqa: N801
    """Switch anomaly detection on or off; works at once and as a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = _switch(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> Literal[False]:
        _switch(*self._prev)
        return False


class detect_anomaly:  # noqa: N801
    """Context manager: record forward tracebacks and check backward for NaN.

    An error raised by a node's backward also gets a note with that node's forward
    traceback, as PyTorch's "Error detected in <Node>" message does.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = _switch(True, self.check_nan)
        return self

    def __exit__(self, *exc) -> Literal[False]:
        _switch(*self._prev)
        return False
