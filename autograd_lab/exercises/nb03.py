"""Exercises of notebook 03 (the graph and the engine: order, accumulation, retain_graph)."""

from __future__ import annotations

import numpy as np

from ..viz._model import walk
from ._compare import compare
from ._registry import Wrong, exercise


def _rng(exercise_id: str) -> np.random.Generator:
    """Seeded per exercise: the same graphs on every run, different from the notebook's."""
    return np.random.default_rng(sum(map(ord, exercise_id)))


def _random_program(rng: np.random.Generator, n_leaves: int = 3, n_ops: int = 7):
    """A random program over float64 leaves that reuses tensors (``b + b``, diamonds).

    Returns ``(loss, leaves)``; every leaf is used, so every leaf is in the graph."""
    import autograd_lab as al

    leaves = [al.tensor(rng.uniform(-1.0, 1.0, 3), dtype=al.float64, requires_grad=True)
              for _ in range(n_leaves)]
    values = list(leaves)
    for k in range(n_ops):
        x = values[k] if k < n_leaves else values[int(rng.integers(len(values)))]
        y = values[int(rng.integers(len(values)))]
        op = int(rng.integers(5))
        if op == 0:
            values.append(x + y)
        elif op == 1:
            values.append(x * y)
        elif op == 2:
            values.append(x.sin())
        elif op == 3:
            values.append(x * 0.5 + x)
        else:
            values.append(x.tanh() * y)
    loss = values[-1].sum() + values[-2].sum() * values[-3].sum()
    for k in range(n_leaves):       # the first ops read each leaf: keep them in the graph
        loss = loss + values[n_leaves + k].mean()
    return loss, leaves


@exercise("03.1", "a topological order of the backward graph")
def check_topo_order(topo_order) -> str:
    """``topo_order(root) -> list of nodes``: every node reachable from ``root`` once, each
    before every node it sends a gradient to (its ``next_functions``)."""
    rng = _rng("03.1")
    n_graphs = 6
    for g in range(1, n_graphs + 1):
        loss, _ = _random_program(rng)
        order = topo_order(loss.grad_fn)
        if not isinstance(order, list | tuple):
            raise Wrong(f"graph {g}: topo_order should return a list of nodes, got "
                        f"{type(order).__name__}")
        order = list(order)
        nodes = walk([loss.grad_fn])  # every node reachable, as the drawings find them
        ids = [id(n) for n in order]
        if len(set(ids)) != len(ids):
            dup = next(n for k, n in enumerate(order) if id(n) in ids[:k])
            raise Wrong(f"graph {g}: {dup.name()} appears twice in your order: keep a set of "
                        "the nodes already visited (a node reached by two paths, like the "
                        "AddBackward0 of b = a + a, must still be listed once)")
        missing = [n for n in nodes if id(n) not in set(ids)]
        if missing:
            raise Wrong(f"graph {g}: your order has {len(order)} nodes, the graph has "
                        f"{len(nodes)}; {missing[0].name()} is missing (AccumulateGrad nodes "
                        "count too; skip only the None edges)")
        extra = [n for n in order if id(n) not in {id(m) for m in nodes}]
        if extra:
            raise Wrong(f"graph {g}: {extra[0]!r} is not a node of this graph")
        position = {id(n): k for k, n in enumerate(order)}
        for node in order:
            for child, _ in node.next_functions:
                if child is not None and position[id(child)] < position[id(node)]:
                    raise Wrong(
                        f"graph {g}: {child.name()} (position {position[id(child)]}) comes "
                        f"before {node.name()} (position {position[id(node)]}), which sends "
                        "it a gradient: a node may run only when every node that feeds it "
                        "has run (a depth-first preorder is not enough: reverse a postorder, "
                        "or count dependencies)")
    return f"your order is topological on {n_graphs} random graphs with shared tensors"


@exercise("03.2", "predict .grad after two backward calls")
def check_predict_grad(predict_grad) -> str:
    """``predict_grad(values) -> array``: ``a.grad`` after the notebook's program
    (``b = a + a; (b * a).sum().backward(); (a * 3).sum().backward()``)."""
    import autograd_lab as al

    rng = _rng("03.2")
    for _ in range(3):
        values = rng.uniform(-2.0, 2.0, 4)
        a = al.tensor(values, dtype=al.float64, requires_grad=True)
        b = a + a
        (b * a).sum().backward()
        (a * 3.0).sum().backward()
        got = predict_grad(values.copy())
        if got is None:
            raise NotImplementedError
        compare(got, a.grad.numpy(), f"a = {np.round(values, 3).tolist()}: a.grad",
                mistakes=[
                    (4 * values, "the second backward() adds to a.grad; it does not "
                                 "replace it"),
                    (np.full(4, 3.0), "the second backward() adds to a.grad; it does not "
                                      "replace it"),
                    (2 * values + 3, "b depends on a too: a reaches b * a through both "
                                     "factors"),
                    (6 * values + 3, "b * a = 2 a**2, whose derivative is 4 a")])
    return "right: the first backward leaves 4a in a.grad, the second adds 3"


@exercise("03.3", "fix the engine that runs a node too early")
def check_engine(run_backward) -> str:
    """``run_backward(loss, leaves) -> list of gradients``, one per leaf, by calling the
    nodes (``node(grad)``) in an order where each node has all of its gradient."""
    import autograd_lab as al

    rng = _rng("03.3")
    n_graphs = 6
    for g in range(1, n_graphs + 1):
        loss, leaves = _random_program(rng)
        expected = al.autograd.grad(loss, leaves, retain_graph=True)
        early = _visited_engine(loss, leaves)
        got = run_backward(loss, leaves)
        if not isinstance(got, list | tuple) or len(got) != len(leaves):
            raise Wrong(f"graph {g}: run_backward should return a list of {len(leaves)} "
                        f"gradients, one per leaf, got {got!r:.60}")
        for i, (grad, want, bad) in enumerate(zip(got, expected, early, strict=True)):
            if grad is None:
                raise Wrong(f"graph {g}: the gradient of leaf {i} is None, but the leaf is "
                            "in the graph")
            compare(grad, want.numpy(), f"graph {g}: leaf {i}'s gradient", mistakes=[
                (bad, "a node ran on the first gradient that reached it and the later "
                      "ones were lost: count each node's incoming edges first, and run it "
                      "only when the count reaches 0")])
    return f"your engine agrees with autograd_lab's on {n_graphs} random graphs"


def _visited_engine(loss, leaves) -> list:
    """The broken engine of the notebook: each node runs once, on the first gradient."""
    import autograd_lab as al

    grads = {id(x): np.zeros(x.shape) for x in leaves}
    seen = set()

    def visit(node, grad):
        if id(node) in seen:
            return
        seen.add(id(node))
        if type(node).__name__ == "AccumulateGrad":
            grads[id(node.variable)] = grads[id(node.variable)] + grad.numpy()
            return
        with al.no_grad():
            outs = node(grad)
            if not isinstance(outs, tuple):  # one edge: the gradient itself (PyTorch's)
                outs = (outs,)
        for (child, _), g in zip(node.next_functions, outs, strict=True):
            if child is not None and g is not None:
                visit(child, g)

    visit(loss.grad_fn, al.ones_like(loss))
    return [grads[id(x)] for x in leaves]
