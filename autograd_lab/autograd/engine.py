"""The backward engine: run the recorded graph in reverse, one node at a time.

The whole algorithm, with no recursion (a chain of a million ops runs fine):

1. Put a virtual ``GraphRoot`` in front of the outputs; its "gradients" are the seeds.
2. Count, for every reachable node, how many edges point at it (its dependencies).
3. Pop a ready node (all its dependencies delivered; latest-created first, as PyTorch),
   run its hooks and ``apply`` (the chain rule, one node's share: a vector-Jacobian
   product), and add each resulting gradient into the input buffer of the node it flows
   to. Where paths meet, gradients are summed (the chain rule's sum). A node whose count
   drops to zero becomes ready.
4. Free each node's saved tensors after it runs, unless ``retain_graph``.

The same algorithm on one page, over a flat tape of NumPy arrays and without hooks or
double backward, is ``autograd_lab/tape.py``: read it first.

The engine knows ``Node``s and tensors, never concrete ops. With ``create_graph=True``
the backward formulas run with grad mode on, so they record a graph of their own:
that is all higher-order gradients need. Without it nothing records, and there (unless
``fast_formulas(False)``) the engine may run a node's NumPy formula instead of its
definition, and hand a gradient it owns to a node that can reuse it (``.grad`` without a
copy, relu writing into it: Note [Owned gradients]): the same values, faster.
"""

from __future__ import annotations

import gc
import itertools
import warnings
from collections.abc import Iterator, Sequence
from heapq import heappop, heappush
from typing import cast

import numpy as np

from .._shapes import expands_to
from .._tensor import Tensor
from . import anomaly_mode, fast_mode
from .grad_mode import state
from .graph import AccumulateGrad, GraphRoot, Node, gradient_edge, per_edge
from .inplace import NO_GRAD_MODE, ViewFn
from .steps import BackwardStep, StepRecorder
from .tensor_hooks import retain_grad

__all__ = ["backward", "grad", "backward_steps", "grad_steps", "BackwardStep"]

# The engine's own in-place sums (Note [Summing in place]) give inf and nan silently, as
# the ops do (Note [Floating-point warnings] in _ops/_errors.py): NumPy's RuntimeWarnings
# from this module are ignored, once.
warnings.filterwarnings("ignore", category=RuntimeWarning,
                        module=r"autograd_lab\.autograd\.engine$")


# ---------------------------------------------------------------------------------------
# public entry points
def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             inputs=None) -> None:
    """Accumulate d(tensors)/d(leaf) into ``.grad`` of every leaf (or of ``inputs``)."""
    run = _start("backward", tensors, grad_tensors, inputs, retain_graph, create_graph)
    _drain(run, create_graph)


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
    inputs = _as_tuple(inputs)
    run = _start("grad", outputs, grad_outputs, inputs, retain_graph, create_graph,
                 accumulate=False)
    captured = _drain(run, create_graph)
    seeds = {id(g) for g in _as_tuple(grad_outputs)}
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
        elif id(g) in seeds or g._base is not None or g._data.base is None:
            pass
        elif not g._data.flags.writeable:
            # A read-only broadcast made by a NumPy formula (mean's): the Tensor formula,
            # like PyTorch's, divides an expand and so returns new memory. Copied here, on
            # the way out, so the engine's hot path keeps the cheap broadcast.
            g = Tensor(g._data.copy())  # C order (np.ascontiguousarray would make 0-d 1-d)
        elif not create_graph:  # with create_graph the formulas ran in grad mode: views
            _as_no_grad_view(g)  # made there are ordinary ones, as in PyTorch
        result.append(g)
    return tuple(result)


def _as_no_grad_view(g: Tensor) -> None:
    """Make a gradient that a NumPy formula made as a view of another array (sum's
    broadcast, a transpose) the view it is: one made under no_grad, as the formula's
    definition (its Tensor ops, run by the engine without grad mode) and PyTorch make it.
    So an in-place op on it, or on a view of it, with an input that requires grad is
    refused as PyTorch refuses it ("A view was created in no_grad mode...")."""
    root = g._data
    while isinstance(root.base, np.ndarray):
        root = root.base
    base = Tensor(root)
    base._vc = g._version_counter()
    g._base = base
    g._view_fn = ViewFn((), base._vc.value, NO_GRAD_MODE)


def backward_steps(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
                   inputs=None) -> Iterator[BackwardStep]:
    """Run ``backward`` one node at a time, yielding a ``BackwardStep`` after each node.

    The same engine as ``backward``, paused after every node so that a notebook or a
    widget can show what flowed where. Leaves' ``.grad`` fill up as the steps run.
    Nothing the engine does later changes a step it reported: it owns no gradient here
    (Note [Owned gradients]), so every gradient a step shows stays as it was.
    """
    run = _start("backward", tensors, grad_tensors, inputs, retain_graph, create_graph,
                 observe=True)
    while True:
        # The engine's settings while it runs; the caller's own between steps.
        with _EngineSettings(create_graph):
            step = next(run, None)
        if step is None:
            return
        yield step


def grad_steps(outputs, inputs, grad_outputs=None, retain_graph=None) -> Iterator[BackwardStep]:
    """Run ``grad(outputs, inputs)`` one node at a time (no ``.grad`` is written).

    Like ``backward_steps``, a ``BackwardStep`` after each node that runs; besides, a
    step for each input whose gradient is caught: its ``node`` is the input's edge
    (a leaf's ``AccumulateGrad``, which ``grad`` does not run), ``grad_outputs`` what it
    caught and ``captured`` True. The tracer (``al.trace.capture_backward``) reads a
    backward pass from these steps.
    """
    inputs = _as_tuple(inputs)
    run = _start("grad", outputs, grad_outputs, inputs, retain_graph, False,
                 accumulate=False, observe=True)
    while True:
        with _EngineSettings(False):
            step = next(run, None)
        if step is None:
            return
        yield step


def _start(api: str, tensors, grad_tensors, inputs, retain_graph, create_graph,
           **options) -> Iterator:
    """The prologue the three entry points share: check the arguments, plan the pass."""
    tensors = _as_tuple(tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError(_NO_INPUTS[api])
    edges, grads = _roots(tensors, grad_tensors)
    targets = captures = None
    if inputs is not None:
        targets, captures = _capture_plan(inputs, api)
        if api == "backward":
            _retain_non_leaf_inputs(inputs)
    keep_graph = create_graph if retain_graph is None else retain_graph
    return _execute(edges, grads, keep_graph=keep_graph, create_graph=create_graph,
                    targets=targets, captures=captures, **options)


_NO_INPUTS = {
    "backward": "'inputs' argument to backward() cannot be empty.",
    "grad": "grad requires at least one input; got an empty inputs sequence.",
}


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


def _drain(run, create_graph: bool) -> list:
    """Run a whole pass under the engine's settings; return what it captured."""
    with _EngineSettings(create_graph):
        while True:
            try:
                next(run)
            except StopIteration as done:
                return done.value


class _EngineSettings:
    """What a pass runs under: grad mode on only for create_graph (so that backward
    formulas record only then), and the cyclic garbage collector paused (Note [No garbage
    collection during backward]). The caller's settings come back on exit."""

    __slots__ = ("create_graph", "outer_mode", "gc_was_on")

    def __init__(self, create_graph: bool) -> None:
        self.create_graph = create_graph

    def __enter__(self) -> None:
        self.outer_mode, self.gc_was_on = state.enabled, gc.isenabled()
        state.enabled = self.create_graph
        gc.disable()

    def __exit__(self, *exc) -> None:
        state.enabled = self.outer_mode
        if self.gc_was_on:
            gc.enable()


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

    Yields a ``BackwardStep`` after each node when ``observe`` is true. The caller sets
    grad mode and the collector around it (``_EngineSettings``).
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
    # Read once per pass: may nodes run their NumPy formulas (fast_mode)?
    on_arrays = fast_mode._enabled and not create_graph
    # The nodes (AccumulateGrads, relu's) whose buffered gradient the engine owns; None
    # when it may own none in this pass (Note [Owned gradients]).
    owned: set | None = set() if on_arrays and not observe else None
    # The input-buffer slots ``(node, nr)`` holding a gradient nothing else refers to, which
    # a second gradient may be added into in place; None when no sum may be in place
    # (Note [Summing in place]).
    sole: set | None = set() if not create_graph and not observe else None
    recorder = StepRecorder(deps) if observe else None
    _route(root, (), root.apply([]), buffers, deps, ready, needed, targets, owned, sole)
    while ready:
        node = heappop(ready)[1]
        grad_outputs = buffers.pop(node)
        own = node in owned if owned else False  # Note [Owned gradients]
        if (node._tensor_pre_hooks is not None or node._retains_grad is not None
                or (type(node) is AccumulateGrad and node.variable._hooks)):
            grad_outputs = _run_tensor_pre_hooks(node, grad_outputs)
            own = False  # a hook may have kept it
        if captures is not None and node in captures:
            for nr, index in captures[node]:
                captured[index] = grad_outputs[nr]
            own = False
            if recorder is not None and not accumulate:  # grad_steps: a step of its own
                yield recorder.record(node, grad_outputs, (), ready, deps, buffers,
                                      captured=True)
        if needed is not None and not needed[node] and not (
            accumulate and type(node) is AccumulateGrad and node in targets
        ):
            continue
        if node._pre_hooks is not None:
            grad_outputs = _run_node_pre_hooks(node, grad_outputs)
            own = False
        grad_inputs = _apply(node, grad_outputs, keep_graph, on_arrays,
                             own and node._post_hooks is None)
        if sole is not None and not own:  # Note [Views of a gradient summed in place]
            for go in grad_outputs:
                if go is not None and go._vc is not None and go._vc.value:
                    _share_versions(go, grad_inputs)
        _route(node, grad_outputs, grad_inputs, buffers, deps, ready, needed, targets, owned,
               sole)
        if recorder is not None:  # backward_steps: the state after this node (steps.py)
            yield recorder.record(node, grad_outputs, grad_inputs, ready, deps, buffers)
    return captured


# Note [No garbage collection during backward]
# A backward pass allocates a few objects per node (gradients, buffers, heap entries) and
# creates no reference cycles: the graph is freed by reference counting alone (saved
# outputs hold no reference back to their node). Python's cyclic collector would still
# wake up every few hundred allocations and walk every tracked object, the whole graph
# included, which makes deep graphs slower per node the deeper they get. So the engine
# pauses it for the length of a pass and restores the caller's setting afterwards.


# Note [Owned gradients]
# A leaf's first gradient becomes its ``.grad``. Storing a copy is always right; storing
# the gradient itself saves a pass over memory (and, for a moment, twice the space), but
# only if nothing else can see it, since ``.grad`` is later added into in place. PyTorch
# decides this by a use count (accumulate_grad.h); here the engine decides it by a rule
# you can check by reading. The same rule lets relu's NumPy formula write its result into
# its incoming gradient instead of a new array (one array fewer per relu: W6's peak memory
# 34 -> 26 MB). A gradient routed to a node whose kind can use it (``_takes_owned_grad``:
# AccumulateGrad, relu's node) is *owned* when
#   - the pass may own gradients at all: fast_formulas is on, nothing records (no
#     create_graph), and no step is shown (not backward_steps); and
#   - it was made fresh in this pass, either
#       * by the engine's own sum where paths meet (``old + g`` in ``_route``), or
#       * by a node whose kind promises fresh results (``_fresh_grad_inputs``: built-in
#         op nodes; not user Functions, nor GraphRoot, whose results are the caller's
#         ``gradient=``), that has no post-hooks, and whose result is not the array of any
#         of its grad_outputs nor of another of its grad_inputs; and
#   - its array owns its memory and is writeable (not a view, nor a read-only broadcast);
#   - and at that node nothing else saw it: no tensor hook, retain_grad or node hook ran
#     on it, grad()/inputs= did not capture it, and the node has no post-hooks (they are
#     shown the gradients the node was given).
# The engine then calls ``node._apply_arrays(grad_outputs, owned=True)``; in every other
# case the node must leave its gradient as it is, and ``.grad`` gets a copy.
# tests/test_accumulate_grad.py and tests/test_free_gradient.py check each case.


# Note [Summing in place]
# Where paths meet, a node's input buffer sums their gradients. PyTorch adds a later one
# into the first *in place* (``old.add_(g)``, one more version) when nothing records (no
# create_graph) and the buffer holds the only reference to a plain, dense tensor; otherwise
# it makes ``old + g`` (version 0). So ``autograd.grad((x * x).sum(), x)[0]._version`` is 1
# (MulBackward0's two fresh gradients, the second added into the first), and for
# ``(x + x).sum()`` it is 0 (AddBackward0 passes one gradient to both edges: shared).
# We decide "the only reference" by the rule of Note [Owned gradients]: the first gradient
# was made fresh for that edge by a built-in op's node (or by _validate_grad's reduction)
# and owns its memory; a sum ``old + g`` the engine made is fresh too. Only slots that will
# receive another gradient are looked at (``deps[fn] > 1``), so a chain pays nothing.
# Not while a step is shown (backward_steps): a step's gradients must stay as reported.
# PyTorch's formulas may also write their own results in place (index backward's
# index_put_), which gives its gradients versions of their own: that is the formula's
# business, not the engine's.


# Note [Views of a gradient summed in place]
# A gradient the engine summed in place has a version of its own (Note [Summing in
# place]), and so has one a formula wrote in place (Note [Formulas that write their
# result in place] in _ops/_table.py). A formula whose result is a view of its incoming
# gradient (sum's expand, a reshape) gives, in PyTorch, a tensor that shares that
# gradient's version counter, as every view does: ``autograd.grad(s * s, x)[0]._version``
# is 1 for ``s = x.sum()``. Our NumPy formulas return plain arrays, so the engine links
# such a result to the counter of the gradient it views. Only gradients with a version
# are looked at (one test per incoming gradient), and only when no step is shown and
# nothing records (under create_graph the formulas' views are real views already).


def _share_versions(go: Tensor, grad_inputs) -> None:
    """Give each of ``grad_inputs`` that views ``go``, a gradient with a version, that
    gradient's version counter."""
    for gi in grad_inputs:
        if (gi is not None and gi is not go and gi._vc is None
                and np.may_share_memory(gi._data, go._data)):
            gi._vc = go._vc


def _apply(node: Node, grad_outputs, keep_graph: bool, on_arrays: bool, owned: bool) -> tuple:
    """Run one node: its backward, then its post-hooks; free its saved values."""
    if grad_outputs[0] is None and node._skip_if_no_grad and _all_none(grad_outputs):
        grad_inputs = (None,) * len(node.next_functions)  # no gradient reached this node
    elif anomaly_mode._enabled:
        grad_inputs = _apply_with_anomaly_checks(node, grad_outputs)
    elif owned:  # the node may use the gradient itself: Note [Owned gradients]
        grad_inputs = node._apply_arrays(grad_outputs, owned=True)
    # The chain rule, this node's share: gradients of its outputs in, gradients of its
    # inputs out (a vector-Jacobian product). Both calls give the same values; the NumPy
    # formula is faster, and the definition is what records under create_graph.
    elif on_arrays:
        grad_inputs = node._apply_arrays(grad_outputs)
    else:
        grad_inputs = node.apply(grad_outputs)
    if node._post_hooks is not None:
        grad_inputs = per_edge(node, grad_inputs)  # a hook sees one gradient per edge
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
        _tag_with_node(err, node)
        raise
    if anomaly_mode._check_nan:
        _check_nan(node, grad_inputs)
    return grad_inputs


def _all_none(grads) -> bool:
    for g in grads:
        if g is not None:
            return False
    return True


def _route(node, grad_outputs, grad_inputs, buffers, deps, ready, needed, targets,
           owned, sole) -> None:
    """Send each gradient along its edge, summing into the next node's input buffer."""
    given = len(grad_inputs)  # may be fewer than the edges: ``x + 2`` has an empty second edge
    for i, (fn, nr) in enumerate(node.next_functions):
        if fn is None or (needed is not None and not (needed[fn] or fn in targets)):
            continue
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * len(fn._output_meta)
        g = grad_inputs[i] if i < given else None
        count = deps[fn]  # the gradients still to come into fn, this one included
        if g is not None:
            meta = fn._output_meta[nr]
            data = g._data if type(g) is Tensor else None
            # The one test of a gradient's fit; _validate_grad acts only on what differs.
            if data is None or data.shape != meta[0] or data.dtype is not meta[1]:
                g = _validate_grad(g, meta, node, i)  # reduce a broadcast, cast, or explain
            old = buf[nr]
            # The chain rule's sum: where paths meet, their gradients add up.
            if old is None:
                buf[nr] = g
                if count > 1 and sole is not None and (  # more to come: Note [Summing in place]
                    g is not grad_inputs[i] or _made_fresh(node, i, grad_outputs, grad_inputs)
                ) and _owns_memory(g._data):
                    sole.add((fn, nr))
            elif sole is not None and (fn, nr) in sole:
                np.add(old._data, g._data, out=old._data)  # PyTorch's old.add_(g)
                old._version_counter().bump()
            else:
                buf[nr] = old + g
                if sole is not None:
                    sole.add((fn, nr))
            if owned is not None and fn._takes_owned_grad and (
                old is not None or _made_fresh(node, i, grad_outputs, grad_inputs)
            ) and _owns_memory(buf[nr]._data):
                owned.add(fn)  # Note [Owned gradients]
        deps[fn] = count - 1
        if count == 1:
            key = next(_ACCUMULATE_KEYS) if type(fn) is AccumulateGrad else -fn._sequence_nr
            heappush(ready, (key, fn))


def _made_fresh(node: Node, i: int, grad_outputs, grad_inputs) -> bool:
    """Did ``node`` make ``grad_inputs[i]`` in this pass, for that edge alone?"""
    if not node._fresh_grad_inputs or node._post_hooks is not None:
        return False
    data = grad_inputs[i]._data
    for g in grad_outputs:
        if g is not None and g._data is data:  # passed on as it came (``x + 1``)
            return False
    for j, g in enumerate(grad_inputs):
        if j != i and g is not None and g._data is data:  # one array for two edges
            return False
    return True


def _owns_memory(data: np.ndarray) -> bool:
    """Not a view of another array (nor a read-only broadcast): ``.grad`` may keep it."""
    return data.base is None and data.flags.writeable


def _validate_grad(g, meta: tuple, producer: Node, index: int):
    """Bring a gradient that does not fit to the shape and dtype of its tensor.

    A broadcast input receives a gradient of the broadcast shape; it is summed back
    here, once, for every op (PyTorch does the same in its engine). Called by ``_route``
    when its test of the fit fails; each step below changes only what differs, so there
    is no second test of the fit to drift from the first.
    """
    if not isinstance(g, Tensor):
        raise TypeError(
            f"Function {producer.name()} returned a {type(g).__name__} as gradient {index}; "
            "expected a Tensor or None."
        )
    shape, dtype = meta
    data = g._data
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
    hooks = cast(dict, node._pre_hooks)  # not None: called only for a node with some
    for hook in tuple(hooks.values()):
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
            err = RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                + _forward_trace(node)
            )
            _tag_with_node(err, node)
            raise err


def _tag_with_node(err: Exception, node: Node) -> None:
    """Give ``err`` the node where backward failed, so that
    ``al.viz.draw_graph(loss, highlight=err.node)`` shows where."""
    # Any exception a formula raises gets the field, so no exception class declares it.
    err.node = node  # type: ignore[attr-defined]


def _forward_trace(node: Node) -> str:
    trace = node._anomaly_trace
    if trace is None:
        return "(no forward traceback: the node was made outside detect_anomaly)\n"
    return f"Traceback of forward call that created {node.name()}:\n{trace}"
