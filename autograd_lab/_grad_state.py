"""The thread-local grad-mode flags, kept at the bottom layer.

``autograd/grad_mode.py`` owns the public switches (``no_grad`` and friends); the flags
live here so that ``Tensor`` itself can read them (``numpy()`` refuses a tensor that
requires grad only while grad mode is on, as PyTorch does).
"""

from __future__ import annotations

import threading

__all__ = ["state"]


class _State(threading.local):
    def __init__(self) -> None:
        self.enabled = True
        self.inference = False


state = _State()
