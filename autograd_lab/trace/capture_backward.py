"""``capture_backward(loss)``: the backward that ``loss.backward()`` would run, as a program.

The engine runs the pass for real, one node at a time (``grad_steps``: the same loop as
``backward``, writing no ``.grad``), with the derivative table's Tensor formulas (fast
formulas off) and the recording hook on. Every op a formula, a hook or the engine's own
bookkeeping (a sum where paths meet, a broadcast summed back) applies is recorded, and
the steps tell which node each op belongs to, so the program reads in engine order with
a comment per backward node (``# MulBackward0``). Its inputs are the seed gradient
(``tangents_1``, AOTAutograd's name) and the saved values the formulas read; where a
leaf's gradient is complete, ``accumulate_grad("w", g)`` marks the hand-over, and the
program returns the leaves' gradients.

Called with no arguments, the program uses the values captured from the graph (saved
values and the seed), and returns what ``backward()`` would add to each ``.grad``;
called with new values, it computes the same formulas on them. Neither capturing nor
running it writes a ``.grad``, and the graph stays usable (it is kept, as with
``retain_graph=True``). A hook whose work cannot be a program (it prints, or changes
Python state) stops the capture with an error that names it and says why.
"""

from __future__ import annotations

import contextlib
import functools
import io

from .._tensor import Tensor
from ..autograd.engine import grad_steps
from ..autograd.fast_mode import fast_formulas
from ..autograd.graph import AccumulateGrad
from ..autograd.recording import record_ops
from ..viz._model import saved_slots, start_nodes, walk
from .graph_module import GraphModule
from .make_fx import Tracer, _meta, program_records
from .targets import accumulate_grad

__all__ = ["capture_backward", "HookNotCapturableError"]


class HookNotCapturableError(RuntimeError):
    """A hook did something a program cannot hold (it printed, it changed Python state)."""


def capture_backward(loss: Tensor, inputs=None, params: dict | None = None,
                     gradient: Tensor | None = None) -> GraphModule:
    """The backward of ``loss`` as a ``GraphModule`` (see the module docstring).

    ``inputs``: the tensors whose gradients the program returns (default: every leaf
    behind ``loss``, in the order the drawing numbers them); ``params``: names for
    them (``dict(model.named_parameters())``); ``gradient``: the seed, for a non-scalar
    ``loss``.

    >>> import autograd_lab as al
    >>> x = al.tensor([1.0, 2.0], requires_grad=True)
    >>> w = al.tensor([3.0, 4.0], requires_grad=True)
    >>> program = al.trace.capture_backward((x * w).sum(), params={"x": x, "w": w})
    >>> print(program.code)
    def forward(self, tangents_1, w, x):
        # SumBackward0
        expand = ops.expand(tangents_1, size=(2,), self_sym_sizes=());  tangents_1 = None
        # MulBackward0
        mul = ops.mul(expand, w);  w = None
        mul_1 = ops.mul(expand, x);  expand = x = None
        # AccumulateGrad (x)
        x_grad = accumulate_grad('x', mul);  mul = None
        # AccumulateGrad (w)
        w_grad = accumulate_grad('w', mul_1);  mul_1 = None
        return (x_grad, w_grad)
    <BLANKLINE>
    >>> program()                       # the captured values: backward()'s gradients
    (tensor([3., 4.]), tensor([1., 2.]))
    >>> x.grad is None                  # and no .grad was written
    True
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"capture_backward: loss must be a Tensor, got {type(loss).__name__}")
    if not loss.requires_grad:
        raise RuntimeError("capture_backward: loss does not require grad, so it has no "
                           "backward to capture (did you compute it under no_grad?)")
    starts, _ = start_nodes((loss,))
    nodes = walk(starts)
    names = {id(t): n for n, t in (params or {}).items()}
    if inputs is None:  # the named leaves in params' order, then the others
        leaves = [n.variable for n in nodes if type(n) is AccumulateGrad]
        reached = {id(t) for t in leaves}
        named = [t for t in (params or {}).values() if id(t) in reached]
        inputs = named + [t for t in leaves if id(t) not in names]
    inputs = list(inputs)
    input_names = [names.get(id(t), f"input_{i}") for i, t in enumerate(inputs)]
    seed = gradient if gradient is not None else Tensor(_ones_like(loss))

    tracer = Tracer()
    tracer.placeholder(seed, "tangents_1")
    defaults = {"tangents_1": seed}
    saved = _saved_values(nodes, names, inputs, input_names)
    marks: list = []  # (first, last) record positions of each hook's run, and what ran
    steps = []
    with fast_formulas(False), record_ops() as records, _no_retain_grad(nodes), \
            _hooks_checked(nodes, names, lambda: len(records), marks):
        for step in grad_steps(loss, inputs, seed, retain_graph=True):
            steps.append((step, len(records)))
    start = 0
    results: dict = {}
    for step, end in steps:
        kept = {id(r) for r in program_records(records[start:end])}
        for position in range(start, end):
            record = records[position]
            if id(record) in kept:
                group = next((what for first, last, what in marks if first <= position < last),
                             step.node.name())
                for value in (*record.inputs, *record.attrs):
                    if isinstance(value, Tensor):
                        _value(tracer, value, saved, defaults)
                tracer.add(record, group=group)
        if step.captured:
            for i, t in enumerate(inputs):
                if _edge_node(t) is step.node:
                    g = step.grad_outputs[0]
                    label = f"AccumulateGrad ({input_names[i]})"
                    if g is None:
                        continue
                    value = _value(tracer, g, saved, defaults)
                    node = tracer.graph.call_function(
                        accumulate_grad, (input_names[i], value),
                        meta={**_meta(g), "group": label}, name=f"{input_names[i]}_grad")
                    results[i] = node
        start = end
    tracer.graph.output(tuple(results.get(i) for i in range(len(inputs))))
    return GraphModule(tracer.graph, tracer.attributes, class_name="backward",
                       defaults=defaults)


def _ones_like(t: Tensor):
    import numpy as np

    if t._data.size != 1:
        raise RuntimeError(
            "capture_backward: the seed gradient can be implicit only for a scalar loss; "
            f"pass gradient= of shape {list(t.shape)}.")
    return np.ones_like(t._data)


def _edge_node(t: Tensor):
    from ..autograd.graph import gradient_edge

    return gradient_edge(t)[0]


def _saved_values(nodes: list, names: dict, inputs: list, input_names: list) -> dict:
    """``{id(array): (placeholder name, value)}`` for every value the graph saved (a
    formula reads a saved result as a new Tensor around the same array each time, so
    the array is the key). A value saved as some node's result is named after that node
    (``relu_result``), one saved as an input after the leaf it is (``w``) or the node
    that saved it (``mm_self``). Values are detached: the program's defaults."""
    named_inputs = {id(t): n for t, n in zip(inputs, input_names, strict=True)}
    results, others = [], []
    for node in nodes:
        owner = getattr(node, "fn", node)  # CopySlices: the saved values of what it wraps
        try:
            slots = saved_slots(owner)
        except RuntimeError:
            raise RuntimeError(
                "capture_backward: the graph's saved values were freed by an earlier "
                "backward; capture before calling backward(), or pass retain_graph=True "
                "to it") from None
        short = owner.name().replace("Backward0", "").replace("Backward1", "").lower()
        for slot, s in slots:
            if s is None or s.shape is None:
                continue
            tensor = s.input_tensor
            if tensor is None:
                results.append((id(s._data), f"{short}_{slot}", Tensor(s._data)))
            else:
                name = named_inputs.get(id(tensor)) or names.get(id(tensor)) or f"{short}_{slot}"
                others.append((id(tensor._data), name, Tensor(tensor._data)))
    found: dict = {}
    for key, name, value in results + others:
        found.setdefault(key, (name, value))
    return found


def _value(tracer: Tracer, value, saved: dict, defaults: dict):
    """The program's value for ``value``: a saved value becomes an input on first use."""
    if isinstance(value, Tensor):
        known = tracer.by_tensor.get(id(value)) or tracer.by_array.get(id(value._data))
        if known is None and id(value._data) in saved:
            name, tensor = saved[id(value._data)]
            node = tracer.graph.placeholder(name, _meta(tensor))
            tracer.graph.nodes.remove(node)  # inputs come first, in the order first read
            last = max((i for i, n in enumerate(tracer.graph.nodes) if n.op == "placeholder"),
                       default=-1)
            tracer.graph.nodes.insert(last + 1, node)
            tracer.bind(value, node)
            defaults[node.name] = tensor
            return node
    return tracer.value_of(value)


# -- hooks -------------------------------------------------------------------------------
@contextlib.contextmanager
def _no_retain_grad(nodes: list):
    """retain_grad would write a non-leaf's ``.grad``: off while capturing."""
    kept = [(n, n._retains_grad) for n in nodes if n._retains_grad is not None]
    for n, _ in kept:
        n._retains_grad = None
    try:
        yield
    finally:
        for n, value in kept:
            n._retains_grad = value


@contextlib.contextmanager
def _hooks_checked(nodes: list, names: dict, count, marks: list):
    """Every hook the pass may run, wrapped so that one that prints or changes Python
    state stops the capture, and so that the ops it applies are marked as its own
    (``count()`` is how many ops were recorded so far)."""
    replaced = []

    def wrap(hooks: dict, where: str) -> None:
        for key, hook in list(hooks.items()):
            replaced.append((hooks, key, hook))
            hooks[key] = _checked(hook, f"{where.format(name=_name(hook))}", count, marks)

    for node in nodes:
        for nr, hooks in (node._tensor_pre_hooks or {}).items():
            wrap(hooks, f"tensor hook {{name}} on output {nr} of {node.name()}")
        if node._pre_hooks:
            wrap(node._pre_hooks, f"pre-hook {{name}} of {node.name()}")
        if node._post_hooks:
            wrap(node._post_hooks, f"post-hook {{name}} of {node.name()}")
        if type(node) is AccumulateGrad and node.variable._hooks:
            leaf = names.get(id(node.variable), "a leaf")
            wrap(node.variable._hooks, f"tensor hook {{name}} of {leaf}")
    try:
        yield
    finally:
        for hooks, key, hook in replaced:
            hooks[key] = hook


def _name(hook) -> str:
    while isinstance(hook, functools.partial):
        hook = hook.func
    return getattr(hook, "__name__", type(hook).__name__)


def _checked(hook, description: str, count, marks: list):
    def run(*args):
        first = count()
        before = _state(hook)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            result = hook(*args)
        printed = out.getvalue()
        if printed:
            raise HookNotCapturableError(
                f"cannot capture the backward: the {description} prints ({printed.strip()!r}), "
                "and a program has no place for a print. Remove the print from the hook, or "
                "run loss.backward() instead of capturing it.")
        changed = _changes(before, _state(hook))
        if changed:
            raise HookNotCapturableError(
                f"cannot capture the backward: the {description} changes Python state "
                f"({changed}), which a program cannot do. Keep the hook to tensor maths, or "
                "run loss.backward() instead of capturing it.")
        marks.append((first, count(), description))
        return result

    return run


def _state(hook) -> dict:
    """A shallow snapshot of the Python objects a hook can reach through its closure,
    its ``functools.partial`` arguments and its ``self``."""
    seen: dict = {}
    todo = [hook]
    while todo:
        fn = todo.pop()
        if isinstance(fn, functools.partial):
            todo.append(fn.func)
            objects = list(fn.args) + list(fn.keywords.values())
        else:
            cells = getattr(fn, "__closure__", None) or ()
            objects = [c.cell_contents for c in cells if _has_contents(c)]
            if hasattr(fn, "__self__"):
                objects.append(fn.__self__)
        for obj in objects:
            if callable(obj) and not hasattr(obj, "__dict__") or isinstance(obj, Tensor):
                continue
            if isinstance(obj, functools.partial) or (callable(obj) and hasattr(obj, "__code__")):
                todo.append(obj)
            elif hasattr(obj, "__dict__") and not isinstance(obj, type):
                seen[id(obj)] = (obj, dict(vars(obj)))
            elif isinstance(obj, (list, dict, set)):
                seen[id(obj)] = (obj, obj.copy())
    return seen


def _has_contents(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


def _changes(before: dict, after: dict) -> str:
    for key, (obj, old) in before.items():
        new = after[key][1]
        if isinstance(old, dict) and hasattr(obj, "__dict__") and not isinstance(obj, dict):
            for attr in old.keys() | new.keys():
                if old.get(attr) is not new.get(attr) and old.get(attr) != new.get(attr):
                    return (f"{type(obj).__name__}.{attr} went from {old.get(attr)!r} to "
                            f"{new.get(attr)!r}")
        elif old != new:
            return f"a {type(obj).__name__} it holds changed"
    return ""
