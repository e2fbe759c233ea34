"""What ``backward_steps`` reports after each node: the engine's algorithm, made visible.

The engine (``engine.py``) runs the same loop for ``backward`` and ``backward_steps``; when
steps are observed it hands its state to a ``StepRecorder`` after each node, which turns it
into a ``BackwardStep``: what flowed in and out, which nodes are ready and which are still
waiting for gradients ("needs 2 gradients, has 1"), which hooks ran, where a broadcast
gradient was summed back, and every leaf's ``.grad`` so far. All arrays in a step are
snapshots, so a step stays as it was whatever runs later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._tensor import Tensor
from .graph import AccumulateGrad, Node

__all__ = ["BackwardStep", "StepRecorder", "summed_dims", "hooks_at"]


@dataclass
class BackwardStep:
    """One executed node, as ``backward_steps`` reports it (after its gradients were routed).

    ``grad_outputs``: gradients that flowed into the node (one per forward output);
    ``grad_inputs``: what it produced (one per ``next_functions`` edge);
    ``variable_grad``: for an ``AccumulateGrad``, the leaf's ``.grad`` just after accumulating;
    ``accumulated_grads``: ``(leaf, grad)`` for every leaf whose ``.grad`` this pass has
    written so far, in the order they were first written;
    ``ready``: the nodes whose gradients are all in, in the order the engine will run them;
    ``waiting``: ``(node, needs, has)`` for each node that has some of its gradients;
    ``hooks``: the hooks that ran at this node, described in words;
    ``summed``: ``(edge, dims)`` for each gradient the engine summed back over broadcast
    dimensions before handing it on along ``next_functions[edge]``;
    ``captured``: True for a step of ``grad_steps`` that catches an input's gradient
    (``grad_outputs``) instead of running ``node``.
    """

    index: int
    node: Node
    grad_outputs: tuple
    grad_inputs: tuple
    variable_grad: Tensor | None = None
    accumulated_grads: tuple = ()
    ready: tuple = ()
    waiting: tuple = ()
    hooks: tuple = ()
    summed: tuple = field(default_factory=tuple)
    captured: bool = False  # grad_steps: this step is an input's gradient being caught


def summed_dims(grad_shape: tuple, input_shape: tuple) -> tuple:
    """The dimensions of ``grad_shape`` that summing back to ``input_shape`` adds up:
    the extra leading ones, and those where the input had size 1 (``_validate_grad``)."""
    lead = len(grad_shape) - len(input_shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(input_shape)
        if size == 1 and grad_shape[lead + i] != 1)


def _copy(g):
    return None if g is None else Tensor(np.array(g._data))


def _hook_name(hook) -> str:
    return getattr(hook, "__name__", type(hook).__name__)


def hooks_at(node: Node) -> tuple:
    """Every hook that runs when ``node`` runs, in words (Note [Hook order] in engine.py):
    what a step reports, and what a drawing marks on the node."""
    found = []
    for nr in range(len(node._output_meta)):
        for hook in (node._tensor_hooks_for(nr) or {}).values():
            found.append(f"tensor hook {_hook_name(hook)} on output {nr}")
    for nr in (node._retains_grad or {}):
        found.append(f"retain_grad on output {nr}")
    found += [f"pre-hook {_hook_name(h)}" for h in (node._pre_hooks or {}).values()]
    found += [f"post-hook {_hook_name(h)}" for h in (node._post_hooks or {}).values()]
    if type(node) is AccumulateGrad:
        found += [f"post-accumulate-grad hook {_hook_name(h)}"
                  for h in (node.variable._post_acc_hooks or {}).values()]
    return tuple(found)


class StepRecorder:
    """Turns the engine's state after each node into a ``BackwardStep``."""

    def __init__(self, deps: dict) -> None:
        self.totals = dict(deps)  # how many gradients each node waits for in all
        self.leaf_grads: dict = {}  # id(leaf) -> (leaf, snapshot of its .grad)
        self.index = 0

    def record(self, node: Node, grad_outputs, grad_inputs, ready: list, deps: dict,
               buffers: dict, captured: bool = False) -> BackwardStep:
        var_grad = None
        if type(node) is AccumulateGrad and node.variable._grad is not None and not captured:
            var_grad = _copy(node.variable._grad)  # .grad is added into in place later
            self.leaf_grads[id(node.variable)] = (node.variable, var_grad)
        summed = []
        for i, (fn, nr) in enumerate(node.next_functions):
            g = grad_inputs[i] if i < len(grad_inputs) else None
            if fn is not None and isinstance(g, Tensor):
                shape = fn._output_meta[nr][0]
                if g._data.shape != shape:
                    summed.append((i, summed_dims(g._data.shape, shape)))
        waiting = tuple((fn, self.totals[fn], self.totals[fn] - deps[fn])
                        for fn in buffers if deps.get(fn, 0) > 0)
        # The gradients themselves: nothing writes into them once a step is shown (the
        # engine owns no gradient while steps are observed: Note [Owned gradients]).
        step = BackwardStep(
            self.index, node, tuple(grad_outputs), tuple(grad_inputs), var_grad,
            accumulated_grads=tuple(self.leaf_grads.values()),
            ready=tuple(fn for _, fn in sorted(ready, key=lambda entry: entry[0])),
            waiting=waiting, hooks=hooks_at(node), summed=tuple(summed), captured=captured)
        self.index += 1
        return step
