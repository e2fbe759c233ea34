"""In-place changes and views, seen from the graph: checks, version bumps, rebasing history.

An in-place op (``x.mul_(2)``, ``x[1:3] = v``, a Function's ``ctx.mark_dirty(x)``) runs
the out-of-place op's node, writes the result into ``x``'s memory, and then must make the
graph agree with memory again. This module holds that graph logic, and nothing about
concrete ops (those live in ``_ops/inplace.py``):

- ``check_inplace(tensor)``: the errors PyTorch raises before an in-place op;
- ``bump_version(tensor)``: one in-place change, one tick of the shared counter;
- ``rebase_history(tensor, node)``: point ``tensor`` (and its base and views) at ``node``;
- ``CopySlices``: the node a base gets when one of its views is modified in place;
- ``ViewFn``: how a view is rebuilt from its base, so its ``grad_fn`` can be regenerated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np

from .._tensor import Tensor
from . import recording
from .grad_mode import state
from .graph import Node, gradient_edge
from .saved import freed_graph_error

__all__ = ["check_inplace", "bump_version", "rebase_history", "CopySlices", "ViewFn",
           "DEFAULT", "NO_GRAD_MODE", "MULTI_OUTPUT_NODE", "IN_CUSTOM_FUNCTION"]

# How a view was created (PyTorch's CreationMeta): only DEFAULT views may be modified in
# place while grad mode records, because only they have an unambiguous history to rebase.
DEFAULT = "default"
NO_GRAD_MODE = "no_grad_mode"              # made under no_grad() / inference_mode()
MULTI_OUTPUT_NODE = "multi_output_node"    # one of several views made by one node (unbind)
IN_CUSTOM_FUNCTION = "in_custom_function"  # returned by a custom Function (view or as-is)

_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF = ("a view of a leaf Variable that requires grad is being used in an in-place "
                 "operation.")
_WHY = {
    NO_GRAD_MODE: (
        " Given that this use case is ambiguous and error-prone, it is forbidden. You can "
        "clarify your code by moving both the view and the inplace either both inside the "
        "no_grad block (if you don't want the inplace to be tracked) or both outside (if you "
        "want the inplace to be tracked)."),
    MULTI_OUTPUT_NODE: (
        " This view is the output of a function that returns multiple views. Such functions "
        "do not allow the output views to be modified inplace. You should replace the inplace "
        "operation by an out-of-place one."),
    IN_CUSTOM_FUNCTION: (
        " This view was created inside a custom Function (or because an input was returned "
        "as-is) and the autograd logic to handle view+inplace would override the custom "
        "backward associated with the custom Function, leading to incorrect gradients. This "
        "behavior is forbidden. You can fix this by cloning the output of the custom Function."),
}


def _creation_meta_error(view: Tensor, meta: str, indirect: bool) -> RuntimeError:
    """PyTorch's messages for a view whose history may not be rebased (handle_view_on_rebase)."""
    how = ("its base or another view of its base has been modified inplace" if indirect
           else "is being modified inplace")
    if meta == NO_GRAD_MODE:
        what = ("A view was created in no_grad mode and its base or another view of its base has "
                "been modified inplace with grad mode enabled." if indirect else
                "A view was created in no_grad mode and is being modified inplace with grad mode "
                "enabled.")
    else:
        fn = view._grad_fn
        maker = re.sub(r"Backward\d*$", "", fn.name()) if fn is not None else "a function"
        what = f"Output {view._output_nr} of {maker} is a view and {how}."
    return RuntimeError(what + _WHY[meta])


# ---------------------------------------------------------------------------------------
# views
class ViewFn:
    """How to rebuild a view from its root base, and when its ``grad_fn`` was last built.

    ``steps`` is a chain of ``(fn, args)``: ``fn(tensor, *args)`` redoes one view op
    (``_ops/_table.py`` makes these for every ``view=True`` row), so a view of a view
    replays both steps from the root. Calling the object replays the chain on any tensor
    of the base's shape: on the base itself to regenerate the view's history, on a
    gradient to pick out the view's part of it (``CopySlices``).
    ``version`` is the value of the shared counter when the view's ``grad_fn`` was last
    built; ``creation_meta`` says how the view was made (``DEFAULT``, ``NO_GRAD_MODE``, ...).
    """

    __slots__ = ("steps", "version", "creation_meta")

    def __init__(self, steps: tuple, version: int, creation_meta: str = DEFAULT) -> None:
        self.steps = steps
        self.version = version
        self.creation_meta = creation_meta

    def __call__(self, base: Tensor) -> Tensor:
        out = base
        for fn, args in self.steps:
            out = fn(out, *args)
        return out

    def chained(self, fn: Callable, args: tuple, version: int, creation_meta: str) -> ViewFn:
        """The ViewFn of a view of this view: one more step; a non-default meta sticks."""
        meta = self.creation_meta if self.creation_meta != DEFAULT else creation_meta
        return ViewFn(self.steps + ((fn, args),), version, meta)

    def refresh(self, view: Tensor, strict: bool = True) -> None:
        """Regenerate ``view``'s history if its base (or a sibling view) changed in place.

        See Note [Rebasing history]. Called wherever a view's ``grad_fn`` or
        ``requires_grad`` is read: cheap when nothing changed (one comparison).
        With ``strict=False`` (``requires_grad``) a view that may not be rebuilt (one of
        several outputs, or made under no_grad) is left as it is instead of raising.
        """
        # Not None: a view gets its base's version counter when it is made (left unchecked:
        # this line runs on every read of a view's grad_fn).
        current = view._vc.value  # type: ignore[union-attr]
        if self.version == current:
            return
        base = cast(Tensor, view._base)  # not None: it is a view
        if self.creation_meta != DEFAULT and base._requires_grad:
            if not strict:  # reading requires_grad: PyTorch answers, refuses only grad_fn
                return
            raise _creation_meta_error(view, self.creation_meta, indirect=True)
        if self.creation_meta != DEFAULT or not base._requires_grad:
            # No history to rebuild from: the base has none (a view that requires grad on
            # its own, ``x[:].requires_grad_()``, keeps its own).
            self.version = current
            return
        _regenerate(view, self)


def _regenerate(view: Tensor, view_fn: ViewFn) -> None:
    """Rebuild ``view``'s grad_fn by replaying its view ops on the base's current history."""
    outer = state.enabled
    state.enabled = True  # we may be inside no_grad or the engine: the replay must record
    try:  # bookkeeping, not ops of the program: not recorded (Note [Recording ops])
        fresh = recording.unrecorded(view_fn, view._base)
    finally:
        state.enabled = outer
    old = view._grad_fn
    view._grad_fn = fresh._grad_fn
    view._output_nr = fresh._output_nr
    view._requires_grad = fresh._requires_grad
    view_fn.version = view._version
    _move_retain_grad(view, old)


def _move_retain_grad(tensor: Tensor, old: Node | None) -> None:
    """``retain_grad()`` follows the tensor to its new grad_fn (PyTorch does the same);
    other tensor hooks stay with the old node and see the gradient of the old value."""
    if not tensor._retains_grad or tensor._grad_fn is None:
        return
    if old is not None and old._retains_grad:
        for nr, ref in list(old._retains_grad.items()):
            if ref() is tensor:
                del old._retains_grad[nr]
    tensor._grad_fn._retain_grad_for(tensor._output_nr, tensor)


# ---------------------------------------------------------------------------------------
# checks and versions
def check_inplace(tensor: Tensor, others: Sequence = ()) -> None:
    """Raise PyTorch's error if modifying ``tensor`` in place would corrupt the graph.

    Only while grad mode records: under ``no_grad()`` everything is allowed (that is how
    optimizers update parameters). ``others`` are the op's other inputs (non-tensors are
    ignored); they matter for views made under ``no_grad``.
    """
    if not state.enabled:
        return
    base = tensor._base
    if base is not None:
        view_fn = tensor._view_fn
        if view_fn is None or view_fn.creation_meta != DEFAULT:
            meta = IN_CUSTOM_FUNCTION if view_fn is None else view_fn.creation_meta
            if base._requires_grad or tensor._requires_grad or any(
                    isinstance(o, Tensor) and o._requires_grad for o in others):
                raise _creation_meta_error(tensor, meta, indirect=False)
            return
        view_fn.refresh(tensor)
        # A view requires grad when its base does, even a view made before the base began
        # to (``v = x[0]; x.requires_grad_()``): PyTorch asks the base, so we do too.
        if (tensor._requires_grad or base._requires_grad) and base._grad_fn is None:
            raise RuntimeError(
                _VIEW_OF_LEAF + " Modify the leaf under al.no_grad(), or clone() it first and "
                "modify the clone."
            )
    elif tensor._requires_grad and tensor._grad_fn is None:
        raise RuntimeError(
            _LEAF + " Use an out-of-place op (x = x + 1 instead of x += 1), modify it under "
            "al.no_grad() (as optimizers do), or clone() it first."
        )


def bump_version(tensor: Tensor) -> None:
    """Record one in-place change of ``tensor``'s memory (shared with its base and views).

    Exactly one bump per in-place op, ``__setitem__``, ``copy_``/``zero_``/``fill_`` and
    ``mark_dirty``: saved tensors compare versions to detect that they were overwritten.
    """
    tensor._version_counter().bump()


# ---------------------------------------------------------------------------------------
# Note [Rebasing history]
# After ``y.exp_()`` the memory of ``y`` holds exp(old y), so the graph must say so:
# ``y.grad_fn`` becomes the ExpBackward0 node, whose input edge leads to y's *old*
# grad_fn. That is all for a tensor that is not a view.
#
# A view shares memory with its base, so modifying ``v = x[1:3]`` in place also changes
# ``x``. The base's history is then rebuilt around the op's node ``fn``:
#
#     x.grad_fn = CopySlices(old history of x, fn)
#
# In backward, CopySlices takes the gradient for the whole of x, hands the slice that
# belongs to v to ``fn`` (which computes the gradient for v's old values and for fn's
# other inputs), writes fn's gradient for v's old values back into that slice, and sends
# the result on to x's old history. Elements outside the view pass through untouched.
#
# The view's own grad_fn is then regenerated from the new base by replaying its view
# ops (``ViewFn``): v.grad_fn = SliceBackward0(CopySlices). PyTorch does this with one
# AsStridedBackward0 node by default; replaying gives the same gradients and shows which
# view it is. Other views of the same base are now stale too (their values may have
# changed), but there could be many of them, so, as in PyTorch, each one is regenerated
# lazily: it remembers the counter value its grad_fn was built at (``ViewFn.version``),
# and ``ViewFn.refresh`` rebuilds it the next time its grad_fn or requires_grad is read
# (``gradient_edge``, ``apply_op``, the ``Tensor`` properties).
#
# A Function that calls ``ctx.mark_dirty(x)`` ends the same way: its node is attached
# (with an edge to x's old history) and then ``rebase_history(x, node)`` runs.
def rebase_history(tensor: Tensor, node: Node, output_nr: int = 0, input_nr: int = 0) -> None:
    """``tensor`` was modified in place by the op whose backward node is ``node``.

    ``node`` is already attached: its ``next_functions`` hold an edge for each input, and
    input ``input_nr`` was ``tensor`` before the change, so that edge leads to its old
    history (PyTorch assumes input 0; a Function whose modified tensor is another input
    must say which). ``tensor`` is output ``output_nr`` of ``node``; attach may or may not
    have pointed it at ``node`` already. Bump the version before calling this. Afterwards
    ``tensor`` (and, for a view, its base and the view itself) point at the new history;
    see Note [Rebasing history].
    """
    old = tensor._grad_fn
    if old is node:  # attach already pointed tensor at node: its old history is an input edge
        old = node.next_functions[input_nr][0] if input_nr < len(node.next_functions) else None
    base = tensor._base
    if base is None:
        tensor._grad_fn = node
        tensor._output_nr = output_nr
        tensor._requires_grad = True
        _move_retain_grad(tensor, old)
        return
    if len(node._output_meta) != 1:
        raise RuntimeError(
            f"Functions which modify views in-place must return a single Variable; "
            f"{node.name()} has {len(node._output_meta)} outputs. Return only the modified "
            "view, or clone() it before modifying it."
        )
    view_fn = tensor._view_fn
    if view_fn is None or view_fn.creation_meta != DEFAULT:
        meta = IN_CUSTOM_FUNCTION if view_fn is None else view_fn.creation_meta
        raise _creation_meta_error(tensor, meta, indirect=False)
    copy_slices = CopySlices(base, view_fn, node, input_nr)
    old_base_fn = base._grad_fn
    base._grad_fn = copy_slices
    base._output_nr = 0
    base._requires_grad = True
    _move_retain_grad(base, old_base_fn)
    tensor._grad_fn = old  # so that regenerating moves retain_grad from the right node
    _regenerate(tensor, view_fn)


class CopySlices(Node):
    """The base's node after one of its views was modified in place by ``fn``.

    Its edges are the base's old history, then ``fn``'s edges for its other inputs.
    Backward: the gradient of the base, with the view's slice replaced by ``fn``'s
    gradient for the view's old values; ``fn``'s gradients for its other inputs pass on.
    """

    __slots__ = ("fn", "_view_fn", "_input_nr", "_base_strides", "_released")
    _skip_if_no_grad = True  # no gradient for the base: none for anything upstream either

    def __init__(self, base: Tensor, view_fn: ViewFn, fn: Node, input_nr: int = 0) -> None:
        super().__init__()
        self.fn = fn
        self._view_fn = view_fn
        self._input_nr = input_nr
        others = [e for i, e in enumerate(fn.next_functions) if i != input_nr]
        self.next_functions = (gradient_edge(base), *others)
        self._output_meta = ((base._data.shape, base._data.dtype),)
        self._base_strides = base._data.strides
        self._released = False

    def formula(self) -> str:
        """The base's gradient, with the view's slice replaced by the wrapped node's."""
        fn = self.fn.name()
        return (f"grad_base = grad with the view's slice v replaced by {fn}'s gradient for v "
                f"(given grad[v]);  {fn}'s other gradients pass on")

    def apply(self, grad_outputs: list) -> tuple:
        if self._released:
            raise freed_graph_error()
        grad = grad_outputs[0]
        if grad is None:
            return (None,) * len(self.next_functions)
        # A copy of grad laid out in memory like the base (as PyTorch's new_empty_strided),
        # so that replaying the view ops on it works wherever it worked on the base
        # (``view`` needs a compatible layout); copy_ is recorded under create_graph.
        layout = _empty_like_layout(grad._data.shape, self._base_strides, grad._data.dtype)
        result = type(grad)(layout).copy_(grad)
        grad_slice = self._view_fn(result)
        res = list(self.fn.apply([grad_slice.clone()]))
        res += [None] * (len(self.fn.next_functions) - len(res))
        for_view = res.pop(self._input_nr)
        if for_view is None:
            grad_slice.zero_()
        else:
            grad_slice.copy_(for_view)
        return (result, *res)

    def _release_variables(self) -> None:
        # As PyTorch's CopySlices, let go of the wrapped node whatever it saved: a second
        # backward through a slice written in place raises, even after zero_().
        self.fn._release_variables()
        self._released = True


def _empty_like_layout(shape: tuple, strides: tuple, dtype) -> np.ndarray:
    """An uninitialised array of ``shape`` whose axes are ordered in memory as ``strides``
    order them (outermost first), without gaps: a compact copy of the base's layout."""
    order = sorted(range(len(shape)), key=lambda d: abs(strides[d]), reverse=True)
    arr = np.empty([shape[d] for d in order], dtype=dtype)
    return arr.transpose(np.argsort(order))
