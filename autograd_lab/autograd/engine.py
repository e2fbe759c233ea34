"""The backward engine: run the recorded graph in reverse, one node at a time.

The whole algorithm, with no recursion (a chain of a million ops runs fine):

1. Put a virtual ``GraphRoot`` in front of the outputs; its "gradients" are the seeds.
2. Count, for every reachable node, how many edges point at it (its dependencies).
3. Pop a ready node (all its dependencies delivered; latest-created first, as PyTorch),
   run its hooks and ``apply``, and add each resulting gradient into the input buffer of
   the node it flows to. Where paths meet, gradients are summed. A node whose count
   drops to zero becomes ready.
4. Free each node's saved tensors after it runs, unless ``retain_graph``.

The engine knows ``Node``s and tensors, never concrete ops. With ``create_graph=True``
the backward formulas run with grad mode on, so they record a graph of their own:
that is all higher-order gradients need.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from heapq import heappop, heappush

import numpy as np

from .._shapes import expands_to
from .._tensor import Tensor
from . import anomaly_mode
from .grad_mode import state
from .graph import AccumulateGrad, GraphRoot, Node, gradient_edge
from .tensor_hooks import retain_grad

__all__ = ["backward", "grad", "backward_steps", "BackwardStep"]


@dataclass
class BackwardStep:
    """One executed node, as ``backward_steps`` reports it.

    ``grad_outputs``: gradients that flowed into the node (one per forward output);
    ``grad_inputs``: what it produced (one per ``next_functions`` edge);
    ``variable_grad``: for an ``AccumulateGrad``, a copy of the leaf's ``.grad`` just after
    accumulating (a copy, so a later backward, which adds in place, cannot change it).
    """

    index: int
    node: Node
    grad_outputs: tuple
    grad_inputs: tuple
    variable_grad: Tensor | None = None


# ---------------------------------------------------------------------------------------
# public entry points
def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             inputs=None) -> None:
    """Accumulate d(tensors)/d(leaf) into ``.grad`` of every leaf (or of ``inputs``)."""
    tensors = _as_tuple(tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    edges, grads = _roots(tensors, grad_tensors)
    keep_graph = create_graph if retain_graph is None else retain_graph
    targets = captures = None
    if inputs is not None:
        targets, captures = _capture_plan(inputs, "backward")
        _retain_non_leaf_inputs(inputs)
    _drain(_execute(edges, grads, keep_graph=keep_graph, create_graph=create_graph,
                    targets=targets, captures=captures, accumulate=True))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False) -> tuple:
    """Return d(outputs)/d(inputs) without touching any ``.grad``.

    >>> import autograd_lab as al
    >>> x = al.tensor(3.0, requires_grad=True)
    >>> al.autograd.grad(x * x, x)
    (tensor(6.),)
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    allow_unused = bool(allow_unused) or materialize_grads
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("grad requires at least one input; got an empty inputs sequence.")
    edges, grads = _roots(outputs, grad_outputs)
    keep_graph = create_graph if retain_graph is None else retain_graph
    targets, captures = _capture_plan(inputs, "grad")
    run = _execute(edges, grads, keep_graph=keep_graph, create_graph=create_graph,
                   targets=targets, captures=captures, accumulate=False)
    captured = _drain(run)
    result = []
    for index, (tensor, g) in enumerate(zip(inputs, captured, strict=True)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {index} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = Tensor(np.zeros_like(tensor._data))
        result.append(g)
    return tuple(result)


def backward_steps(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
                   inputs=None) -> Iterator[BackwardStep]:
    """Run ``backward`` one node at a time, yielding a ``BackwardStep`` after each node.

    The same engine as ``backward``, paused after every node so that a notebook or a
    widget can show what flowed where. Leaves' ``.grad`` fill up as the steps run.
    """
    tensors = _as_tuple(tensors)
    edges, grads = _roots(tensors, grad_tensors)
    keep_graph = create_graph if retain_graph is None else retain_graph
    targets = captures = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        targets, captures = _capture_plan(inputs, "backward")
        _retain_non_leaf_inputs(inputs)
    yield from _execute(edges, grads, keep_graph=keep_graph, create_graph=create_graph,
                        targets=targets, captures=captures, accumulate=True, observe=True)


# ---------------------------------------------------------------------------------------
# roots and captures
def _as_tuple(x) -> tuple:
    if isinstance(x, Tensor):
        return (x,)
    if x is None:
        return ()
    return tuple(x)


def _roots(tensors: tuple, grad_tensors) -> tuple[tuple, list]:
    """The root edges and their seed gradients, with PyTorch's checks and messages."""
    if not tensors:
        raise RuntimeError("backward needs at least one tensor to differentiate; got none.")
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    else:
        grad_tensors = _as_tuple(grad_tensors)
        if len(grad_tensors) != len(tensors):
            raise RuntimeError(
                f"got {len(tensors)} tensors and {len(grad_tensors)} gradients; pass one gradient "
                "(or None) per tensor."
            )
    edges, grads = [], []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors, strict=True)):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected a Tensor at position {i} of tensors, got {type(t).__name__}")
        if not t.requires_grad:  # the property: a stale view regenerates its history
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs; pass a gradient of "
                    f"shape {list(t.shape)} (e.g. al.ones_like(out)) or reduce the output first."
                )
            g = Tensor(np.ones_like(t._data))
        elif not isinstance(g, Tensor):
            raise TypeError(
                f"gradients must be Tensors or None, but got {type(g).__name__} at position {i}"
            )
        elif g.shape != t.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {list(g.shape)} and "
                f"output[{i}] has a shape of {list(t.shape)}."
            )
        edges.append(gradient_edge(t))
        grads.append(g)
    return tuple(edges), grads


def _capture_plan(inputs: tuple, api: str) -> tuple[set, dict]:
    """Where to catch each input's gradient: its edge's node and output slot."""
    targets: set = set()
    captures: dict = {}
    for index, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"inputs to {api}() must be Tensors; got {type(t).__name__} at index {index}")
        if not t.requires_grad:  # the property: a stale view regenerates its history
            raise RuntimeError(
                f"One of the differentiated Tensors does not require grad (index {index})")
        node, nr = gradient_edge(t)
        targets.add(node)
        captures.setdefault(node, []).append((nr, index))
    return targets, captures


def _retain_non_leaf_inputs(inputs: tuple) -> None:
    """backward(inputs=[non_leaf]) fills that tensor's .grad: as PyTorch, by retain_grad()."""
    for t in inputs:
        if t._grad_fn is not None:
            retain_grad(t)


def _drain(run) -> list:
    while True:
        try:
            next(run)
        except StopIteration as done:
            return done.value


# ---------------------------------------------------------------------------------------
# graph walks
def _count_dependencies(root: Node) -> dict:
    """How many edges point at each node reachable from ``root``."""
    deps: dict = {}
    stack = [root]
    while stack:
        for fn, _ in stack.pop().next_functions:
            if fn in deps:
                deps[fn] += 1
            elif fn is not None:  # first seen: count it, and walk on from it
                deps[fn] = 1
                stack.append(fn)
    return deps


def _needed_nodes(root: Node, targets: set) -> dict:
    """For each reachable node: must it run to deliver a gradient to some target?"""
    needed: dict = {}
    stack = [(root, iter(root.next_functions))]
    seen = {root}
    while stack:
        node, edges = stack[-1]
        for fn, _ in edges:
            if fn is not None and fn not in seen:
                seen.add(fn)
                stack.append((fn, iter(fn.next_functions)))
                break
        else:
            stack.pop()
            needed[node] = any(
                fn is not None and (fn in targets or needed[fn]) for fn, _ in node.next_functions
            )
    return needed


# ---------------------------------------------------------------------------------------
# the loop
# A ready node's heap key: minus its sequence number (latest-created first, as PyTorch);
# for AccumulateGrad, a key below every other one (it runs as soon as it is ready), taken
# from a counter so that ready AccumulateGrads run first-in first-out. Keys are unique,
# so the heap never has to compare two nodes.
_ACCUMULATE_KEYS = itertools.count(-(1 << 62))


def _execute(edges, grads, *, keep_graph, create_graph, targets=None, captures=None,
             accumulate=True, observe=False):
    """Generator running the backward pass; returns the captured gradients.

    Yields a ``BackwardStep`` after each node when ``observe`` is true.
    For each node, in PyTorch's order (see Note [Hook order]): tensor hooks and
    retain_grad, then capture (for ``grad``/``inputs=``), then, if the node must run,
    its pre-hooks, its backward, its post-hooks.
    """
    root = GraphRoot(edges, grads)
    deps = _count_dependencies(root)
    needed = None if targets is None else _needed_nodes(root, targets)
    captured = [None] * sum(len(v) for v in captures.values()) if captures else []
    buffers: dict = {}  # node -> the gradients summed so far, one slot per output
    ready: list = []  # heap of (key, node) for nodes with every gradient in
    step_index = 0
    outer_mode = state.enabled
    state.enabled = create_graph
    gc_was_on = gc.isenabled()
    gc.disable()  # Note [No garbage collection during backward]
    try:
        _route(root, root.apply(()), buffers, deps, ready, needed, targets)
        while ready:
            node = heappop(ready)[1]
            grad_outputs = buffers.pop(node)
            if (node._tensor_pre_hooks is not None or node._retains_grad is not None
                    or (type(node) is AccumulateGrad and node.variable._hooks)):
                grad_outputs = _run_tensor_pre_hooks(node, grad_outputs)
            if captures is not None and node in captures:
                for nr, index in captures[node]:
                    captured[index] = grad_outputs[nr]
            if needed is not None and not needed[node] and not (
                accumulate and type(node) is AccumulateGrad and node in targets
            ):
                continue
            if node._pre_hooks is not None:
                grad_outputs = _run_node_pre_hooks(node, grad_outputs)
            grad_inputs = _apply(node, grad_outputs, keep_graph, create_graph)
            if observe:  # the caller's code runs between steps: give it its own settings
                state.enabled = outer_mode
                if gc_was_on:
                    gc.enable()
                yield _make_step(step_index, node, grad_outputs, grad_inputs)
                gc.disable()
                state.enabled = create_graph
                step_index += 1
            _route(node, grad_inputs, buffers, deps, ready, needed, targets)
            grad_inputs = None  # keep no gradient alive: Note [Stealing the first gradient]
    finally:
        state.enabled = outer_mode
        if gc_was_on:
            gc.enable()
    return captured


# Note [No garbage collection during backward]
# A backward pass allocates a few objects per node (gradients, buffers, heap entries) and
# creates no reference cycles: the graph is freed by reference counting alone (saved
# outputs hold no reference back to their node). Python's cyclic collector would still
# wake up every few hundred allocations and walk every tracked object, the whole graph
# included, which makes deep graphs slower per node the deeper they get. So the engine
# pauses it for the length of a pass and restores the caller's setting afterwards.


def _apply(node: Node, grad_outputs, keep_graph: bool, recording: bool) -> tuple:
    """Run one node: its backward, then its post-hooks; free its saved values."""
    # (a first gradient, the common case, settles it in one check)
    if grad_outputs[0] is None and node._skip_if_no_grad and _all_none(grad_outputs):
        grad_inputs = (None,) * len(node.next_functions)  # no gradient reached this node
    elif anomaly_mode._enabled:
        grad_inputs = _apply_with_anomaly_checks(node, grad_outputs)
    elif recording:
        grad_inputs = node.apply(grad_outputs)
    else:
        grad_inputs = node._apply_unrecorded(grad_outputs)
    if node._post_hooks is not None:
        for hook in tuple(node._post_hooks.values()):
            result = hook(tuple(grad_inputs), tuple(grad_outputs))
            if result is not None:
                grad_inputs = _hook_result(result, len(grad_inputs), hook, node)
    if not keep_graph and not node._saves_nothing:
        node._release_variables()
    return grad_inputs


def _apply_with_anomaly_checks(node: Node, grad_outputs) -> tuple:
    """``node.apply`` with anomaly mode's extras: the forward traceback on error, nan checks."""
    try:
        grad_inputs = node.apply(grad_outputs)
    except Exception as err:
        err.add_note(f"Error detected in {node.name()}. {_forward_trace(node)}")
        raise
    if anomaly_mode._check_nan:
        _check_nan(node, grad_inputs)
    return grad_inputs


def _all_none(grads) -> bool:
    for g in grads:
        if g is not None:
            return False
    return True


def _route(node, grad_inputs, buffers, deps, ready, needed, targets) -> None:
    """Send each gradient along its edge, summing into the next node's input buffer."""
    given = len(grad_inputs)  # may be fewer than the edges: ``x + 2`` has an empty second edge
    for i, (fn, nr) in enumerate(node.next_functions):
        if fn is None or (needed is not None and not (needed[fn] or fn in targets)):
            continue
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * len(fn._output_meta)
        g = grad_inputs[i] if i < given else None
        if g is not None:
            shape, dtype = fn._output_meta[nr]
            data = g._data if type(g) is Tensor else None
            if data is None or data.shape != shape or data.dtype is not dtype:
                g = _validate_grad(g, fn, nr, node, i)  # reduce a broadcast, cast, or explain
            old = buf[nr]
            buf[nr] = g if old is None else old + g
        count = deps[fn] - 1
        deps[fn] = count
        if count == 0:
            key = next(_ACCUMULATE_KEYS) if type(fn) is AccumulateGrad else -fn._sequence_nr
            heappush(ready, (key, fn))


def _validate_grad(g, fn: Node, nr: int, producer: Node, index: int):
    """Bring a gradient to the shape and dtype of the tensor it belongs to.

    A broadcast input receives a gradient of the broadcast shape; it is summed back
    here, once, for every op (PyTorch does the same in its engine).
    """
    if not isinstance(g, Tensor):
        raise TypeError(
            f"Function {producer.name()} returned a {type(g).__name__} as gradient {index}; "
            "expected a Tensor or None."
        )
    shape, dtype = fn._output_meta[nr]
    data = g._data
    if data.shape == shape and data.dtype is dtype:
        return g  # the common case
    if data.shape != shape:
        if not expands_to(shape, data.shape):
            raise RuntimeError(
                f"Function {producer.name()} returned an invalid gradient at index {index} - got "
                f"{list(data.shape)} but expected shape compatible with {list(shape)}"
            )
        g = g.sum_to_size(shape)
    if g._data.dtype != dtype:
        g = g.to(dtype)
    return g


# Note [Hook order]
# As in PyTorch: when a node's gradients are complete, the hooks of the tensors it made
# run first (per output, in registration order, each seeing the previous one's result),
# then retain_grad stores the (hooked) gradient, then grad()/inputs= capture it. Only if
# the node runs do its own pre-hooks, its backward and its post-hooks run. A leaf's
# tensor hooks belong to its AccumulateGrad node, so they run even under grad().
def _run_tensor_pre_hooks(node: Node, grad_outputs) -> list:
    """Tensor hooks (per output), then retain_grad."""
    grad_outputs = list(grad_outputs)
    for nr in range(len(grad_outputs)):
        hooks = node._tensor_hooks_for(nr)
        if hooks:
            for hook in tuple(hooks.values()):
                g = grad_outputs[nr]
                new = hook(g)  # None for an output no gradient reached, as in PyTorch
                if new is not None:
                    shape = node._output_meta[nr][0]
                    if not isinstance(new, Tensor) or new.shape != shape:
                        got = list(new.shape) if isinstance(new, Tensor) else type(new).__name__
                        raise RuntimeError(
                            f"hook '{getattr(hook, '__name__', hook)}' on output {nr} of "
                            f"{node.name()} returned {got}; a tensor hook must return None or "
                            f"a Tensor of shape {list(shape)}"
                        )
                    grad_outputs[nr] = new
    if node._retains_grad is not None:
        for nr, ref in node._retains_grad.items():
            tensor, g = ref(), grad_outputs[nr]
            if tensor is not None and g is not None:
                if tensor._grad is None:
                    # A copy, as PyTorch: .grad must never alias a gradient that flows on.
                    tensor._grad = g.clone() if state.enabled else Tensor(g._data.copy())
                else:
                    tensor._grad = tensor._grad + g
    return grad_outputs


def _run_node_pre_hooks(node: Node, grad_outputs) -> list:
    """``node.register_prehook`` hooks: each may replace the whole grad_outputs."""
    for hook in tuple(node._pre_hooks.values()):
        result = hook(tuple(grad_outputs))
        if result is not None:
            grad_outputs = list(_hook_result(result, len(grad_outputs), hook, node))
    return grad_outputs


def _hook_result(result, expected: int, hook, node: Node) -> tuple:
    result = tuple(result)
    if len(result) != expected:
        raise RuntimeError(
            f"hook '{getattr(hook, '__name__', hook)}' on {node.name()} has returned an incorrect "
            f"number of values (got {len(result)}, but expected {expected})"
        )
    return result


def _check_nan(node: Node, grad_inputs: Sequence) -> None:
    for i, g in enumerate(grad_inputs):
        if g is not None and np.isnan(g._data).any():
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                + _forward_trace(node)
            )


def _forward_trace(node: Node) -> str:
    trace = node._anomaly_trace
    if trace is None:
        return "(no forward traceback: the node was made outside detect_anomaly)\n"
    return f"Traceback of forward call that created {node.name()}:\n{trace}"


def _make_step(index: int, node: Node, grad_outputs, grad_inputs) -> BackwardStep:
    var_grad = None
    if type(node) is AccumulateGrad and node.variable._grad is not None:
        # A snapshot: a later backward accumulates into .grad in place.
        var_grad = Tensor(node.variable._grad._data.copy())
    return BackwardStep(index, node, tuple(grad_outputs), tuple(grad_inputs), var_grad)
