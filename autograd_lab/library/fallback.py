"""The autograd fallback: what happens when an op has a compute kernel but no autograd.

PyTorch has two modes (``autograd_fallback_mode``), and seed 000 pins both down:

- ``"nothing"``: call the kernel and return what it returns. If the kernel's own ops
  recorded a graph, gradients flow through it; otherwise the outputs simply do not
  require grad, and ``backward`` says so ("does not require grad").
- ``"warn"`` (the default): the same call, but gradients that *would* silently vanish
  are flagged. An output that already requires grad (the kernel built a graph itself)
  gets a tensor hook that warns when backward reaches it; an output that does not
  gets a ``WarnNotImplemented`` node, connected to every tensor input, whose backward
  warns and returns no gradients. Outputs the schema marks as written (``Tensor(a!)``)
  are left alone: their history may have been rebased in place, and a custom op's
  in-place story is too unclear to guess (PyTorch's NOTE [autograd fallback and
  in-place operations]); for a mutated view, the warning hook also goes on its base.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Literal

from .._tensor import Tensor
from ..autograd.function import attach
from ..autograd.grad_mode import state
from ..autograd.graph import Node
from ..autograd.tensor_hooks import register_hook

__all__ = ["autograd_fallback_mode", "get_autograd_fallback_mode", "run_with_autograd_fallback",
           "WarnNotImplemented", "MODES"]

MODES = ("nothing", "warn")


class _ModeState(threading.local):
    def __init__(self) -> None:
        self.mode = "warn"


_state = _ModeState()


def get_autograd_fallback_mode() -> str:
    return _state.mode


class autograd_fallback_mode:  # noqa: N801 - PyTorch's name
    """Context manager choosing the fallback for ops without an autograd kernel.

    >>> import autograd_lab as al
    >>> with al.library.autograd_fallback_mode("nothing"):
    ...     al.library.get_autograd_fallback_mode()
    'nothing'
    """

    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"autograd_fallback_mode: expected one of {MODES}, got {mode!r}")
        self.mode = mode

    def __enter__(self):
        self._previous = _state.mode
        _state.mode = self.mode
        return self

    def __exit__(self, *exc) -> Literal[False]:
        _state.mode = self._previous
        return False


def _warning_text(op_name: str) -> str:
    return (
        f"{op_name}: an autograd kernel was not registered to the Autograd key(s) but we are "
        "trying to backprop through it. This may lead to silently incorrect behavior. If "
        "your operator is differentiable, register an autograd formula for it "
        "(al.library.register_autograd, or lib.impl(name, fn, 'Autograd') with an "
        "autograd.Function); if it is not, use autograd_fallback_mode('nothing')."
    )


def _warn(op_name: str) -> None:
    warnings.warn(_warning_text(op_name), UserWarning, stacklevel=3)


class WarnNotImplemented(Node):
    """The node given to outputs of a kernel with no autograd: it warns and returns None."""

    __slots__ = ("op_name",)
    _skip_if_no_grad = False  # it must run (and warn) even when no gradient arrives

    def __init__(self, op_name: str) -> None:
        super().__init__()
        self.op_name = op_name

    def formula(self) -> str:
        """No derivative: the op has no autograd formula."""
        return (f"grad_inputs = None, with a warning  ({self.op_name} has a kernel but no "
                "autograd formula)")

    def apply(self, grad_outputs: list) -> tuple:
        _warn(self.op_name)
        return (None,) * len(self.next_functions)


def _tensors(values) -> Iterator[Tensor]:
    """Every tensor in ``values``, looking inside lists (``Tensor[]`` arguments)."""
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _tensors(v)


def _outputs_with_mutability(schema, outputs: tuple) -> Iterator[tuple[Tensor, bool]]:
    for ret, value in zip(schema.returns, outputs, strict=True):
        written = ret.alias is not None and ret.alias.is_write
        for t in _tensors([value]):
            yield t, written


def run_with_autograd_fallback(op: Any, args: list, call: Callable[[], tuple]) -> tuple:
    """Run ``call()``, the compute kernel of ``op`` on ``args``, under the fallback mode.

    ``op`` has ``.schema`` and ``.qualname``; ``call()`` returns one value per return.
    """
    if _state.mode == "nothing":
        return call()
    inputs = list(_tensors(args))
    record = state.enabled and any(t._requires_grad for t in inputs)
    outputs = call()
    if not record:
        return outputs
    name = op.qualname
    node = WarnNotImplemented(name)
    attached = []
    for t, written in _outputs_with_mutability(op.schema, outputs):
        if t._data.dtype.kind != "f":
            continue
        if t._requires_grad:
            register_hook(t, lambda grad, _name=name: _warn(_name))
            base = t._base
            if written and base is not None and base._requires_grad:
                register_hook(base, lambda grad, _name=name: _warn(_name))
        elif not written:
            attached.append(t)
    if attached:
        attach(node, inputs, attached)
    return outputs
