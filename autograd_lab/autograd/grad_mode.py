"""Grad mode: whether ops record the graph. Thread-local, like PyTorch's.

``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode`` are
context managers and also decorators. The flag lives in a ``threading.local`` so a
``no_grad`` block in one thread does not switch off recording in another.
"""

from __future__ import annotations

import functools
import inspect
from typing import Literal

import numpy as np

from .._grad_state import state  # the flags live at the bottom layer

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]


def is_grad_enabled() -> bool:
    """True when ops record the graph in this thread."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _GradModeContext:
    """Base of the grad-mode switches: a context manager usable as a decorator."""

    def __call__(self, fn):
        if inspect.isclass(fn):
            raise TypeError(f"{type(self).__name__} decorates functions, not classes")
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._clone():
                return fn(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, fn):
        """The mode holds while the generator's own code runs, never while it is
        suspended: the caller's loop body keeps the caller's mode (as PyTorch)."""

        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with self._clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self._clone():
                            gen.close()
                        raise
                    except BaseException as exc:
                        with self._clone():
                            response = gen.throw(exc)
                    else:
                        with self._clone():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value
        return gen_wrapper

    def _clone(self):
        return type(self)()

    def __enter__(self):
        self._prev = (state.enabled, state.inference)
        self._switch()
        return None

    def __exit__(self, *exc) -> Literal[False]:
        state.enabled, state.inference = self._prev
        return False

    def _switch(self) -> None:
        raise NotImplementedError


class _NoParamGradModeContext(_GradModeContext):
    """Also usable as a bare decorator, ``@no_grad`` without parentheses (as PyTorch)."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamGradModeContext):  # noqa: N801
    """Ops inside do not record the graph (for evaluation and parameter updates)."""

    def _switch(self) -> None:
        state.enabled = False


class enable_grad(_NoParamGradModeContext):  # noqa: N801
    """Ops inside record the graph, even within a ``no_grad`` block."""

    def _switch(self) -> None:
        state.enabled = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set grad mode to ``mode``; takes effect at once, so it also works as a plain call."""

    def __init__(self, mode: bool) -> None:
        # PyTorch refuses "yes", None, 1.0 (and also 0 and 1, which autograd_lab still takes
        # as False and True: tests/test_grad_mode.py relies on it).
        if not isinstance(mode, (bool, np.bool_, int, np.integer)):
            raise TypeError("set_grad_enabled(): argument 'enabled' (position 1) must be bool, "
                            f"not {type(mode).__name__}")
        self.mode = bool(mode)
        self._prev = (state.enabled, state.inference)
        state.enabled = self.mode

    def _clone(self):
        return set_grad_enabled(self.mode)

    def __enter__(self):
        return None

    def __exit__(self, *exc) -> Literal[False]:
        state.enabled, state.inference = self._prev
        return False

    def __call__(self, fn):
        # Used as a decorator: undo the switch made by __init__, apply it per call.
        state.enabled, state.inference = self._prev
        return super().__call__(fn)


class inference_mode(_GradModeContext):  # noqa: N801
    """Like ``no_grad``: PyTorch's faster no-recording mode.

    autograd_lab keeps it simple: recording is off inside (``mode=False`` leaves grad
    mode as it was) and ``is_inference_mode_enabled()`` reports it. PyTorch also marks
    tensors made inside as inference tensors; we do not track that.
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare ``@inference_mode``

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def _clone(self):
        return inference_mode(self.mode)

    def _switch(self) -> None:
        if self.mode:
            state.enabled = False
            state.inference = True
        else:
            state.inference = False
