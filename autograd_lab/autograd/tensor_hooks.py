"""Hooks registered on tensors, and ``retain_grad``.

A non-leaf's hooks live on its ``grad_fn`` (keyed by ``output_nr``), so they run when
the gradient for that output arrives. A leaf's hooks live on the leaf itself and run
in its ``AccumulateGrad`` before the gradient is added to ``.grad``.
"""

from __future__ import annotations

from collections.abc import Callable

from .graph import RemovableHandle, _add_hook

__all__ = ["register_hook", "register_post_accumulate_grad_hook", "retain_grad"]


def register_hook(tensor, hook: Callable) -> RemovableHandle:
    """``hook(grad)`` runs when the gradient of ``tensor`` is computed; it may return a new one."""
    tensor._sync_view()
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    fn = tensor._grad_fn
    if fn is not None:
        return fn._register_tensor_hook(tensor._output_nr, hook)
    tensor._hooks, handle = _add_hook(tensor._hooks, hook)
    return handle


def register_post_accumulate_grad_hook(tensor, hook: Callable) -> RemovableHandle:
    """``hook(tensor)`` runs after a gradient has been added into the leaf's ``.grad``."""
    if tensor._grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    tensor._post_acc_hooks, handle = _add_hook(tensor._post_acc_hooks, hook)
    return handle


def retain_grad(tensor) -> None:
    """Keep the gradient of a non-leaf in ``.grad`` (leaves keep theirs anyway)."""
    tensor._sync_view()
    if not tensor._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if tensor._grad_fn is None or tensor._retains_grad:
        return
    tensor._grad_fn._retain_grad_for(tensor._output_nr, tensor)
    tensor._retains_grad = True
