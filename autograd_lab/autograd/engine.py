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

import heapq
import itertools
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from .._tensor import Tensor
from . import anomaly_mode
from .grad_mode import state
from .graph import AccumulateGrad, GraphRoot, Node, gradient_edge

__all__ = ["backward", "grad", "backward_steps", "BackwardStep"]


@dataclass
class BackwardStep:
    """One executed node, as ``backward_steps`` reports it.

    ``grad_outputs``: gradients that flowed into the node (one per forward output);
    ``grad_inputs``: what it produced (one per ``next_functions`` edge);
    ``variable_grad``: for an ``AccumulateGrad``, the leaf's ``.grad`` after accumulating.
    """

    index: int
    node: Node
    grad_outputs: tuple
    grad_inputs: tuple
    variable_grad: Tensor | None = None


# ---------------------------------------------------------------------------------------
# public entry points
def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None) -> None:
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
    run = _execute(edges, grads, keep_graph=keep_graph, create_graph=create_graph,
                   targets=targets, captures=captures, accumulate=True)
    captured = _drain(run)
    if inputs is not None:
        _accumulate_non_leaf_inputs(inputs, captured, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False) -> tuple:
    """Return d(outputs)/d(inputs) without touching any ``.grad``.

    >>> import autograd_lab as al
    >>> x = al.tensor(3.0, requires_grad=True)
    >>> al.autograd.grad(x * x, x)
    (tensor(6.),)
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
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
    for index, (tensor, g) in enumerate(zip(inputs, captured)):
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
        targets, captures = _capture_plan(inputs, "backward")
    run = _execute(edges, grads, keep_graph=keep_graph, create_graph=create_graph,
                   targets=targets, captures=captures, accumulate=True, observe=True)
    try:
        while True:
            yield next(run)
    except StopIteration as done:
        if inputs is not None:
            _accumulate_non_leaf_inputs(inputs, done.value, create_graph)


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
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected a Tensor at position {i} of tensors, got {type(t).__name__}")
        if not t._requires_grad:
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
            raise TypeError(f"inputs to {api}() must be Tensors; got {type(t).__name__} at index {index}")
        if not t._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors does not require grad (index {index})")
        node, nr = gradient_edge(t)
        targets.add(node)
        captures.setdefault(node, []).append((nr, index))
    return targets, captures


def _accumulate_non_leaf_inputs(inputs: tuple, captured: list, create_graph: bool) -> None:
    """backward(inputs=[non_leaf]) fills that tensor's .grad as if it were a leaf."""
    for t, g in zip(inputs, captured):
        if t._grad_fn is None or g is None:
            continue
        if not create_graph:
            g = Tensor(g._data)
        t._grad = g if t._grad is None else t._grad + g


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
        node = stack.pop()
        for fn, _ in node.next_functions:
            if fn is None:
                continue
            count = deps.get(fn)
            if count is None:
                deps[fn] = 1
                stack.append(fn)
            else:
                deps[fn] = count + 1
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
_tiebreak = itertools.count()
_FIRST = float("-inf")


def _execute(edges, grads, *, keep_graph, create_graph, targets=None, captures=None,
             accumulate=True, observe=False):
    """Generator running the backward pass; returns the captured gradients.

    Yields a ``BackwardStep`` after each node when ``observe`` is true.
    """
    root = GraphRoot(edges, grads)
    deps = _count_dependencies(root)
    needed = None if targets is None else _needed_nodes(root, targets)
    captured = [None] * sum(len(v) for v in captures.values()) if captures else []
    buffers: dict = {}
    ready = [(0, 0, root)]
    step_index = 0
    outer_mode = state.enabled
    state.enabled = create_graph
    try:
        while ready:
            node = heapq.heappop(ready)[2]
            grad_outputs = buffers.pop(node, None) if node is not root else []
            if node is not root and (node._pre_hooks is not None or node._retains_grad is not None
                                     or node._tensor_pre_hooks is not None
                                     or type(node) is AccumulateGrad):
                grad_outputs = _run_pre_hooks(node, grad_outputs)
            if captures is not None and node in captures:
                for nr, index in captures[node]:
                    captured[index] = grad_outputs[nr]
            if needed is not None and not needed[node] and not (
                accumulate and type(node) is AccumulateGrad and node in targets
            ):
                continue
            grad_inputs = _apply(node, grad_outputs, keep_graph)
            if observe:
                state.enabled = outer_mode
                yield _make_step(step_index, node, grad_outputs, grad_inputs)
                state.enabled = create_graph
                step_index += 1
            _route(node, grad_inputs, buffers, deps, ready, needed, targets)
    finally:
        state.enabled = outer_mode
    return captured


def _apply(node: Node, grad_outputs, keep_graph: bool) -> tuple:
    """Run one node: its backward, then its post-hooks; free its saved values."""
    if node._output_meta and all(g is None for g in grad_outputs):
        grad_inputs = (None,) * len(node.next_functions)  # no gradient reached this node
    else:
        grad_inputs = node.apply(grad_outputs)
        if anomaly_mode._enabled:
            _check_nan(node, grad_inputs)
    if node._post_hooks is not None:
        for hook in tuple(node._post_hooks.values()):
            result = hook(tuple(grad_inputs), tuple(grad_outputs))
            if result is not None:
                grad_inputs = tuple(result)
    if not keep_graph:
        node._release_variables()
    return grad_inputs


def _route(node, grad_inputs, buffers, deps, ready, needed, targets) -> None:
    """Send each gradient along its edge, summing into the next node's input buffer."""
    for i, (fn, nr) in enumerate(node.next_functions):
        if fn is None:
            continue
        if needed is not None and not (needed[fn] or fn in targets):
            continue
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * len(fn._output_meta)
        g = grad_inputs[i] if i < len(grad_inputs) else None
        if g is not None:
            g = _validate_grad(g, fn, nr, node, i)
            old = buf[nr]
            buf[nr] = g if old is None else old + g
        count = deps[fn] - 1
        deps[fn] = count
        if count == 0:
            # Latest-created first; AccumulateGrad as soon as it is ready (as PyTorch).
            priority = _FIRST if type(fn) is AccumulateGrad else -fn._sequence_nr
            heapq.heappush(ready, (priority, next(_tiebreak), fn))


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
    if data.shape != shape:
        try:
            ok = np.broadcast_shapes(shape, data.shape) == data.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(
                f"Function {producer.name()} returned an invalid gradient at index {index} - got "
                f"{list(data.shape)} but expected shape compatible with {list(shape)}"
            )
        g = g.sum_to_size(shape)
    if g._data.dtype != dtype:
        g = g.to(dtype)
    return g


def _run_pre_hooks(node: Node, grad_outputs) -> list:
    """Tensor hooks (per output), then retain_grad, then the node's own pre-hooks."""
    grad_outputs = list(grad_outputs)
    for nr in range(len(grad_outputs)):
        hooks = node._tensor_hooks_for(nr)
        if hooks:
            for hook in tuple(hooks.values()):
                g = grad_outputs[nr]
                if g is None:
                    break
                new = hook(g)
                if new is not None:
                    if not isinstance(new, Tensor) or new.shape != g.shape:
                        got = list(new.shape) if isinstance(new, Tensor) else type(new).__name__
                        raise RuntimeError(
                            f"a hook on output {nr} of {node.name()} returned {got}; a tensor "
                            f"hook must return None or a Tensor of shape {list(g.shape)}"
                        )
                    grad_outputs[nr] = new
    if node._retains_grad is not None:
        for nr, ref in node._retains_grad.items():
            tensor, g = ref(), grad_outputs[nr]
            if tensor is not None and g is not None:
                if not state.enabled:
                    g = Tensor(g._data)
                tensor._grad = g if tensor._grad is None else tensor._grad + g
    if node._pre_hooks is not None:
        for hook in tuple(node._pre_hooks.values()):
            result = hook(tuple(grad_outputs))
            if result is not None:
                grad_outputs = list(result)
    return grad_outputs


def _check_nan(node: Node, grad_inputs: Sequence) -> None:
    for i, g in enumerate(grad_inputs):
        if g is not None and np.isnan(g._data).any():
            trace = node._anomaly_trace or "(no forward trace: the node was made outside detect_anomaly)\n"
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                f"The forward call that created {node.name()}:\n{trace}"
            )


def _make_step(index: int, node: Node, grad_outputs, grad_inputs) -> BackwardStep:
    var_grad = node.variable._grad if type(node) is AccumulateGrad else None
    return BackwardStep(index, node, tuple(grad_outputs), tuple(grad_inputs), var_grad)
