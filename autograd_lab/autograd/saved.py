"""A tensor saved for backward: its value plus the version it had when saved.

See Note [Version counters] in ``_views.py``. Saving an op's *output* must not keep
a strong reference from the node back to that output (the output already points at
the node: that would be a reference cycle that only the garbage collector can free),
so for outputs we keep the array and rebuild a Tensor, pointing at the node, on unpack.
"""

from __future__ import annotations

import weakref

from .._tensor import Tensor
from .._views import VersionCounter
from .graph import saved_hooks_open, saved_hooks_state

__all__ = ["SavedTensor", "freed_graph_error"]


def freed_graph_error() -> RuntimeError:
    return RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors "
        "after they have already been freed). Saved intermediate values of the graph are freed "
        "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
        "backward through the graph a second time or if you need to access saved tensors after "
        "calling backward."
    )


class SavedTensor:
    """One saved value. ``unpack(node)`` returns it, or raises if it was modified in place."""

    __slots__ = ("_tensor", "_data", "_vc", "_version", "_output_nr", "_packed", "_unpack_hook",
                 "_view_ref")

    def __init__(self, tensor, is_output: bool) -> None:
        vc = tensor._vc
        if vc is None and (is_output or saved_hooks_open[0]):
            # the tensor's first need of a counter (``Tensor._version_counter``); a saved
            # input without one finds it later through its tensor: see ``_check_version``
            vc = tensor._vc = VersionCounter()
        self._vc = vc
        self._version = 0 if vc is None else vc.value
        self._unpack_hook = None
        self._view_ref: tuple | None = None
        if saved_hooks_open[0] and saved_hooks_state.stack:
            pack_hook, self._unpack_hook = saved_hooks_state.stack[-1]
            self._packed = pack_hook(tensor)
            self._tensor = self._data = None
            return
        if is_output:
            self._tensor = None
            self._data = tensor._data
            self._output_nr = tensor._output_nr
        else:
            self._tensor = tensor
            self._data = None

    # -- what a drawing reads (never raises, never unpacks) -------------------------------
    @property
    def saved_version(self) -> int:
        """The version the value had when it was saved."""
        return self._version

    @property
    def current_version(self) -> int:
        """The version its tensor has now: differs from ``saved_version`` after an in-place
        change, which ``unpack`` would refuse (the in-place error, before it happens)."""
        vc = self._vc if self._tensor is None else self._tensor._vc
        return self._version if vc is None else vc.value

    @property
    def is_output(self) -> bool:
        """True for a node's own result (``result``), False for one of its inputs."""
        return self._tensor is None and self._unpack_hook is None

    @property
    def has_hooks(self) -> bool:
        """True when a ``saved_tensors_hooks`` pack hook holds the value."""
        return self._unpack_hook is not None

    @property
    def input_tensor(self):
        """The saved input tensor itself (None for a saved result or a packed value)."""
        return self._tensor

    def _array(self):
        if self._unpack_hook is not None:
            return None
        return self._data if self._tensor is None else self._tensor._data

    @property
    def shape(self) -> tuple | None:
        """The saved value's shape (None when a pack hook holds it)."""
        array = self._array()
        return None if array is None else array.shape

    @property
    def dtype(self):
        """The saved value's NumPy dtype (None when a pack hook holds it)."""
        array = self._array()
        return None if array is None else array.dtype

    @property
    def nbytes(self) -> int | None:
        """The memory the saved array holds (None when a pack hook holds it)."""
        array = self._array()
        return None if array is None else array.nbytes

    def unpack(self, node):
        """The saved tensor, checked against in-place modification since it was saved."""
        if self._unpack_hook is not None:
            return self._unpack_hook(self._packed)
        self._check_version(node)
        tensor = self._tensor
        if tensor is not None:
            return tensor
        # A saved output is rebuilt as a non-leaf of ``node``; the result of an in-place op
        # on a view takes the view's own (regenerated) history instead, as PyTorch's weak
        # grad_fn does: the view's values flow through CopySlices, not into ``node`` again.
        producer, output_nr = node, self._output_nr
        if self._view_ref is not None:
            view = self._current_view(self._view_ref)
            if view is not None and view.grad_fn is not None:
                producer, output_nr = view.grad_fn, view._output_nr
        # a saved output (no tensor kept, no pack hook: the cases returned above) holds its array
        tensor = Tensor(self._data, True)  # type: ignore[arg-type]
        tensor._grad_fn = producer
        tensor._output_nr = output_nr
        tensor._vc = self._vc
        return tensor

    def unpack_array(self, node):
        """The saved value's array, with the same checks as ``unpack`` (for NumPy formulas)."""
        if self._unpack_hook is not None:
            return self._unpack_hook(self._packed)._data
        self._check_version(node)
        return self._data if self._tensor is None else self._tensor._data

    def _check_version(self, node) -> None:
        """Raise if the saved value was modified in place since it was saved: the one
        version check, shared by ``unpack`` and ``unpack_array``.

        A tensor saved as an input before it had a version counter gets one when first
        modified in place (or viewed); the saved tensor keeps the tensor, so it finds it
        there. No counter yet means never modified: still at the saved version, 0.
        """
        vc = self._vc if self._tensor is None else self._tensor._vc
        if vc is not None and vc.value != self._version:
            raise self._modified_error(node, vc.value)

    def follow_view(self, view) -> None:
        """Mark this saved output as the result of an in-place op on ``view``.

        Kept weakly (a strong reference would close a cycle through CopySlices): the view
        itself if it is still alive, else its base and the recipe to make it again.
        """
        self._view_ref = (weakref.ref(view), weakref.ref(view._base), view._view_fn)

    @staticmethod
    def _current_view(followed: tuple):
        """The view a saved output follows (``follow_view``): itself, or made again."""
        view_ref, base_ref, view_fn = followed
        view = view_ref()
        if view is not None:
            return view
        base = base_ref()
        if base is None or view_fn is None:
            return None
        from .grad_mode import enable_grad  # replaying the view must record its history

        with enable_grad():
            return view_fn(base)

    def _modified_error(self, node, version: int) -> RuntimeError:
        array = self._array()  # not None: only values without a pack hook are version-checked
        shape, dtype = list(array.shape), array.dtype.name
        where = ""
        if self._tensor is None:
            where = f", which is output {self._output_nr} of {node.name()},"
        elif self._tensor._grad_fn is not None:
            producer = self._tensor._grad_fn.name()
            where = f", which is output {self._tensor._output_nr} of {producer},"
        return RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{dtype} tensor of shape {shape}]{where} is at version "
            f"{version}; expected version {self._version} instead. Hint: the tensor "
            f"was saved by {node.name()}; change the in-place op to its out-of-place form "
            "(e.g. x = x + 1 instead of x += 1), or clone() the tensor before modifying it. "
            "To find the forward op that made it, enable anomaly detection with "
            "al.autograd.set_detect_anomaly(True)."
        )
