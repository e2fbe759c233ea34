"""The recorded graph: ``Node``, ``AccumulateGrad``, hook handles, saved-tensor hooks.

A ``Node`` is one backward step. ``next_functions[i]`` is the edge ``(node, input_nr)``
along which the gradient for the node's i-th input flows; ``(None, 0)`` marks an input
that does not require grad. Leaves end in an ``AccumulateGrad`` node that adds the
gradient into ``variable.grad``.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from .grad_mode import state

__all__ = ["Node", "AccumulateGrad", "GraphRoot", "RemovableHandle", "saved_tensors_hooks",
           "grad_accumulator", "gradient_edge"]

# Sequence numbers order nodes by creation: the engine runs later nodes first when
# several are ready, as PyTorch does, and drawings use them as stable names.
_sequence = itertools.count()


class RemovableHandle:
    """Returned by ``register_hook``-style calls; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks_ref", "id")
    _ids = itertools.count()

    def __init__(self, hooks: dict) -> None:
        self._hooks_ref = weakref.ref(hooks) if hasattr(hooks, "__weakref__") else (lambda: hooks)
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        hooks = self._hooks_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class _HookDict(dict):
    """A dict that can be weakly referenced by its handles."""

    __slots__ = ("__weakref__",)


def _add_hook(hooks: _HookDict | None, fn: Callable) -> tuple[_HookDict, RemovableHandle]:
    if hooks is None:
        hooks = _HookDict()
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return hooks, handle


class Node:
    """One step of the backward pass: maps gradients of outputs to gradients of inputs.

    Subclasses implement ``apply(grad_outputs) -> grad_inputs`` (sequences with one
    entry per output and per input); the engine does the rest.
    """

    __slots__ = ("next_functions", "_sequence_nr", "_output_meta", "_pre_hooks", "_post_hooks",
                 "_tensor_pre_hooks", "_retains_grad", "_metadata", "_anomaly_trace", "__weakref__")

    def __init__(self) -> None:
        self.next_functions: tuple = ()
        self._sequence_nr = next(_sequence)
        self._output_meta: tuple = ()
        self._pre_hooks: _HookDict | None = None
        self._post_hooks: _HookDict | None = None
        self._tensor_pre_hooks: dict[int, _HookDict] | None = None
        self._retains_grad: dict[int, weakref.ref[Any]] | None = None
        self._metadata: dict[Any, Any] | None = None
        self._anomaly_trace = None

    # Run even when every incoming gradient is None (PyTorch runs every ready node).
    # Built-in ops opt out: their formulas need a gradient, and "none in" means
    # "none out" for them.
    _skip_if_no_grad = False
    # True for kinds of node whose results are always arrays made by this call, never one
    # the node was given or kept (built-in op nodes set it). A leaf may then keep such a
    # result as its ``.grad`` without a copy: Note [Owned gradients] in engine.py.
    _fresh_grad_inputs = False
    # True for kinds of node that can use a gradient the engine owns instead of copying
    # it: AccumulateGrad keeps it as ``.grad``, relu's node writes into it (same Note).
    _takes_owned_grad = False
    # True for kinds of node that never save anything (``x + 2``): the engine then does not
    # ask them to free what they saved. Worth a class attribute: a call per node costs
    # about 1% of a backward of small ops (benchmarks/instructions.py, W1 and W3).
    _saves_nothing = False

    def name(self) -> str:
        """PyTorch's name for this kind of node, e.g. ``MulBackward0``."""
        return type(self).__name__

    def formula(self) -> str:
        """The derivative this node applies, in one line of maths (``grad`` is the
        incoming gradient, ``grad_<input>`` what goes to each input)."""
        return f"grad_inputs = {self.name()}.apply(grad_outputs)  (no formula stated)"

    def apply(self, grad_outputs: list) -> tuple:
        raise NotImplementedError(f"{self.name()} does not implement apply()")

    def _apply_arrays(self, grad_outputs: list, owned: bool = False) -> tuple:
        """The node's backward computed on NumPy arrays, for when nothing records (a
        backward without create_graph, fast formulas on): the same values as ``apply``,
        faster. The engine alone chooses it; by default it is ``apply`` itself."""
        return self.apply(grad_outputs)

    def __call__(self, *grad_outputs):
        """Run this step by hand on the given output gradients. As PyTorch's: one gradient
        per edge of ``next_functions`` (None for an edge a number fills, ``x * 0.5``), as a
        tuple, or the gradient itself when the node has one edge."""
        grads = per_edge(self, self.apply(list(grad_outputs)))
        return grads[0] if len(grads) == 1 else grads

    def _release_variables(self) -> None:
        """Free what was saved for backward (called after backward unless retain_graph)."""

    @property
    def metadata(self) -> dict:
        """A dict for the user's own annotations (the graph never reads it)."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    @property
    def num_outputs(self) -> int:
        return len(self._output_meta)

    def register_hook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node; it may return new grad_inputs."""
        self._post_hooks, handle = _add_hook(self._post_hooks, fn)
        return handle

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node; it may return new grad_outputs."""
        self._pre_hooks, handle = _add_hook(self._pre_hooks, fn)
        return handle

    def _register_tensor_hook(self, output_nr: int, fn: Callable) -> RemovableHandle:
        """A hook of the tensor that is output ``output_nr`` of this node."""
        if self._tensor_pre_hooks is None:
            self._tensor_pre_hooks = {}
        hooks = self._tensor_pre_hooks.get(output_nr)
        hooks, handle = _add_hook(hooks, fn)
        self._tensor_pre_hooks[output_nr] = hooks
        return handle

    def _tensor_hooks_for(self, output_nr: int):
        hooks = self._tensor_pre_hooks
        return None if hooks is None else hooks.get(output_nr)

    def _retain_grad_for(self, output_nr: int, tensor) -> None:
        if self._retains_grad is None:
            self._retains_grad = {}
        self._retains_grad[output_nr] = weakref.ref(tensor)

    def __repr__(self) -> str:
        return f"<{self.name()} object #{self._sequence_nr}>"


class AccumulateGrad(Node):
    """The sink for a leaf: adds the incoming gradient into ``variable.grad``.

    Tensor hooks of the leaf run before accumulation; post-accumulate-grad hooks after.
    """

    __slots__ = ("variable",)

    def __init__(self, variable) -> None:
        super().__init__()
        self.variable = variable
        self._output_meta = ((variable._data.shape, variable._data.dtype),)

    def _tensor_hooks_for(self, output_nr: int):
        return self.variable._hooks

    _takes_owned_grad = True

    def formula(self) -> str:
        """What reaching a leaf does: no derivative, the gradient is added into ``.grad``."""
        return "x.grad += grad  (x: the leaf; a first gradient is stored as a copy)"

    def apply(self, grad_outputs: list) -> tuple:
        """``variable.grad += grad``, storing a copy of a first gradient."""
        return self._apply_arrays(grad_outputs)

    def _apply_arrays(self, grad_outputs: list, owned: bool = False) -> tuple:
        """The same, keeping an ``owned`` first gradient itself (Note [Owned gradients])."""
        grad = grad_outputs[0]
        if grad is not None:
            self.accumulate(grad, owned)
        return ()

    def accumulate(self, grad, owned: bool) -> None:
        """Add ``grad`` into ``variable.grad``, as PyTorch's AccumulateGrad does.

        A first gradient is stored as a copy: the incoming tensor may be the caller's own
        ``gradient=`` argument, a tensor a hook kept, or the very object another leaf
        receives (``x + y`` hands the same gradient to both), and ``.grad`` must alias
        none of them. Only an ``owned`` gradient, one that the engine made in this pass and
        nothing else saw (Note [Owned gradients] in engine.py), becomes ``.grad`` itself:
        PyTorch's one steal (accumulate_grad.h). Later gradients are added in place (the
        ``.grad`` object stays the same), except under ``create_graph``, where the sum is
        recorded out of place so it can be differentiated.
        """
        var = self.variable
        old = var._grad
        if old is None:
            if state.enabled:
                var._grad = grad.clone()
            elif owned:
                var._grad = grad
            else:
                var._grad = type(grad)(grad._data.copy())
        elif state.enabled:
            var._grad = old + grad  # create_graph: keep the graph of the sum
        else:
            data = old._data
            if data.flags.writeable and data.shape == grad._data.shape:
                np.add(data, grad._data, out=data, casting="unsafe")
            else:  # e.g. a read-only array the user assigned to .grad
                old._data = data + grad._data
            old._version_counter().bump()
        if var._post_acc_hooks:
            for hook in tuple(var._post_acc_hooks.values()):
                hook(var)


class GraphRoot(Node):
    """The engine's virtual first node: its outputs are the gradients of the roots."""

    __slots__ = ("_grads",)

    def __init__(self, edges: tuple, grads: list) -> None:
        super().__init__()
        self.next_functions = edges
        self._grads = grads

    def formula(self) -> str:
        """No derivative: it hands out the seeds."""
        return "grad_roots = the seeds  (the gradient given for each root, or 1 for a scalar root)"

    def apply(self, grad_outputs: list) -> tuple:
        return tuple(self._grads)


def grad_accumulator(tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad, made on first use and kept alive only by the graph."""
    ref = tensor._grad_acc
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(tensor)
        tensor._grad_acc = weakref.ref(node)
    return node


def gradient_edge(tensor) -> tuple:
    """The edge a gradient for ``tensor`` flows along: ``(grad_fn, output_nr)``,
    ``(AccumulateGrad, 0)`` for a leaf that requires grad, ``(None, 0)`` otherwise."""
    if tensor is None:
        return (None, 0)
    if tensor._view_fn is not None:  # a view may need its history regenerated first
        tensor._view_fn.refresh(tensor)  # (Note [Rebasing history] in inplace.py)
    if not tensor._requires_grad:
        return (None, 0)
    fn = tensor._grad_fn
    if fn is not None:
        return (fn, tensor._output_nr)
    return (grad_accumulator(tensor), 0)


# -- saved-tensor hooks -----------------------------------------------------------------
class _SavedHooksState(threading.local):
    def __init__(self) -> None:
        self.stack: list[tuple[Callable, Callable]] = []


saved_hooks_state = _SavedHooksState()
# How many ``saved_tensors_hooks`` blocks are open, in all threads: a plain global that
# every saved tensor can read for nothing, before it pays for the thread-local lookup.
saved_hooks_open = [0]
_saved_hooks_open_lock = threading.Lock()  # ``+=`` is not atomic between threads


class saved_tensors_hooks:  # noqa: N801 - mirrors torch.autograd.graph.saved_tensors_hooks
    """Inside this block, every tensor saved for backward is stored as ``pack_hook(t)``
    and brought back with ``unpack_hook(packed)`` when backward needs it.

    Useful to offload, compress or log saved activations. Here saved values are kept in
    half precision (a quarter of float64's memory), and backward uses what unpack returns:

    >>> import numpy as np, autograd_lab as al
    >>> def pack(t):
    ...     return t.detach().numpy().astype(np.float16), t.dtype
    >>> def unpack(packed):
    ...     data, dtype = packed
    ...     return al.tensor(data.astype(np.float64), dtype=dtype)
    >>> x = al.tensor([1.0, 2.0], dtype=al.float64, requires_grad=True)
    >>> w = al.tensor([0.1, 0.3], dtype=al.float64, requires_grad=True)
    >>> with al.autograd.graph.saved_tensors_hooks(pack, unpack):
    ...     y = (x * w).sum()          # mul saves x and w, as float16
    >>> y.backward()
    >>> x.grad                         # = w, as rounded to float16
    tensor([0.1000, 0.3000], dtype=autograd_lab.float64)
    >>> float(x.grad[0]) == float(np.float16(0.1))
    True
    """

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        saved_hooks_state.stack.append((self.pack_hook, self.unpack_hook))
        with _saved_hooks_open_lock:
            saved_hooks_open[0] += 1
        return self

    def __exit__(self, *exc) -> Literal[False]:
        saved_hooks_state.stack.pop()
        with _saved_hooks_open_lock:
            saved_hooks_open[0] -= 1
        return False


def per_edge(node: Node, grads) -> tuple:
    """``grads`` with one entry per edge of ``node.next_functions``, as PyTorch hands them
    out (to a caller of ``node(...)``, to a post hook): a formula gives none for the edge
    of a number operand (``x * 2``), so that edge gets None."""
    grads = tuple(grads)
    return grads + (None,) * (len(node.next_functions) - len(grads))
