"""What a drawing shows, as plain data: boxes and links, built from the public graph.

``build_model`` walks the recorded graph from the given outputs (breadth first, with a
queue: no recursion limit) and gives every node a sequential id in the order it was
found (``n0`` is the output's node), so the same program draws the same way on every
run. The graphviz picture (``_dot.py``) and the text form (``_text.py``) are both made
from this model, which is why they always agree.

It reads only what a learner can read: ``grad_fn``, ``next_functions``, ``name()``, the
``_raw_saved_*`` slots (a saved value's versions without unpacking it), a tensor's
``_base`` and version, the hooks registered on nodes and tensors.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._tensor import Tensor
from ..autograd.function import BackwardCFunction
from ..autograd.graph import AccumulateGrad, Node
from ..autograd.inplace import CopySlices
from ..autograd.steps import BackwardStep, hooks_at
from ._fold import fold_plan
from ._labels import grad_summary, is_finite, size_in_bytes, type_shape

if TYPE_CHECKING:  # the trace package imports viz: named here for type checkers only
    from ..trace.graph_module import GraphModule

__all__ = ["Box", "Link", "GraphModel", "build_model"]


@dataclass
class Box:
    """One thing drawn: a backward node, a leaf, an output, a saved value, a folded run."""

    id: str  # "n3" for node 3; "n3.self" for what it saved; "o0" an output; "t0" a tensor
    kind: str  # op, custom, copyslices, leaf, output, saved, tensor, fold
    title: str
    lines: list = field(default_factory=list)
    marks: set = field(default_factory=set)  # stale, done, current, waiting, highlight, ...
    node: object = None


@dataclass
class Link:
    """An arrow: ``grad`` (the way a gradient flows), ``saved``, ``view`` or ``fold``."""

    tail: str
    head: str
    kind: str
    label: str = ""
    marks: set = field(default_factory=set)  # carried, bad
    edge: int | None = None  # for a grad link: the index in the tail's next_functions


@dataclass
class GraphModel:
    boxes: dict  # id -> Box, in drawing order
    links: list
    notes: list  # what the picture says in words: what was folded, which step it shows
    node_ids: dict  # id(node) -> box id, for the nodes drawn
    folded: int = 0  # how many nodes the folds hide (drawn + folded = the graph's nodes)
    fold_of: dict = field(default_factory=dict)  # id(hidden node) -> the fold box holding it
    program: GraphModule | None = None  # the program drawn, for a traced one (``_program.py``)
    # What the drawing refers to by id() (the nodes walked, and what the boxes read), kept
    # alive with it so that no id is reused for another object while the model exists.
    _keep_alive: tuple = field(default=(), init=False, repr=False, compare=False)

    def box_of(self, node) -> Box | None:
        key = self.node_ids.get(id(node))
        return None if key is None else self.boxes[key]


def start_nodes(roots) -> tuple[list, list]:
    """The nodes the walk starts from, and the output boxes for tensor roots."""
    if not roots:
        raise TypeError("draw_graph: pass the tensors whose graph you want to see, e.g. "
                        "draw_graph(loss)")
    starts, outputs = [], []
    for i, root in enumerate(roots):
        if isinstance(root, Node):
            starts.append(root)
        elif isinstance(root, Tensor):
            outputs.append((i, root))
            if root.grad_fn is not None:
                starts.append(root.grad_fn)
        else:
            raise TypeError(
                f"draw_graph: argument {i} is a {type(root).__name__}; pass tensors (the "
                "outputs whose graph you want to see) or backward nodes (``y.grad_fn``).")
    return starts, outputs


def walk(starts: list) -> list:
    """Every node reachable from ``starts``, in breadth-first order (an explicit queue)."""
    order, seen = [], set()
    queue = deque(starts)
    while queue:
        node = queue.popleft()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        for fn, _ in node.next_functions:
            if fn is not None and id(fn) not in seen:
                queue.append(fn)
    return order


class _Builder:
    def __init__(self, params, show_saved: bool, show_versions: bool) -> None:
        self.names = {}
        if params is not None and not hasattr(params, "items"):
            raise TypeError(
                f"draw_graph: params= is a {type(params).__name__}; pass a dict of names to "
                "tensors, e.g. params=dict(model.named_parameters()) or {'x': x, ...}.")
        for name, tensor in (params or {}).items():
            if not isinstance(tensor, Tensor):
                raise TypeError(
                    f"draw_graph: params[{name!r}] is a {type(tensor).__name__}, not a Tensor; "
                    "pass params=dict(model.named_parameters()) or {'x': x, ...}.")
            self.names[id(tensor)] = name
        self.show_saved = show_saved
        self.show_versions = show_versions
        self.boxes: dict = {}
        self.links: list = []
        self.node_ids: dict = {}
        self.tensor_ids: dict = {}  # id(tensor) -> box id of a box that *is* that tensor
        self.counter_users: dict = {}  # id(version counter) -> [(box id, tensor key)]
        self.keep_alive: list = []

    # -- tensors ----------------------------------------------------------------------
    def version_line(self, tensor: Tensor, box_id: str) -> str | None:
        vc = tensor._vc
        if not self.show_versions or vc is None:
            return None
        self.note_counter(vc, box_id, _tensor_key(tensor))
        return f"version {vc.value}"

    def note_counter(self, vc, box_id: str, tensor_key: tuple) -> None:
        """Remember who shows counter ``vc``, to name the ones that distinct tensors (a
        base and its views) share, once the whole graph is known."""
        self.keep_alive.append(vc)
        self.counter_users.setdefault(id(vc), []).append((box_id, tensor_key))

    def tensor_box(self, tensor: Tensor) -> str:
        """The id of a box that is ``tensor``: its leaf box or output box if drawn, else
        a new small tensor box (for a view's base that is drawn nowhere else)."""
        key = self.tensor_ids.get(id(tensor))
        if key is not None:
            return key
        key = f"t{sum(1 for b in self.boxes.values() if b.kind == 'tensor')}"
        title = self.names.get(id(tensor), "base" if tensor._base is None else "view")
        box = Box(key, "tensor", title, [type_shape(tensor._data.dtype, tensor._data.shape)])
        self.boxes[key] = box
        self.tensor_ids[id(tensor)] = key
        self.keep_alive.append(tensor)
        if tensor._grad_fn is not None and id(tensor._grad_fn) in self.node_ids:
            box.lines.append(f"output of {self.node_ids[id(tensor._grad_fn)]}")
        self.add_tensor_details(box, tensor)
        return key

    def add_tensor_details(self, box: Box, tensor: Tensor) -> None:
        line = self.version_line(tensor, box.id)
        if line:
            box.lines.append(line)
        if tensor._base is not None:
            base = self.tensor_box(tensor._base)
            self.links.append(Link(box.id, base, "view", "view of"))

    # -- nodes ------------------------------------------------------------------------
    def node_box(self, node: Node, key: str) -> Box:
        if isinstance(node, AccumulateGrad):
            var = node.variable
            title = self.names.get(id(var), "leaf")
            box = Box(key, "leaf", title, [type_shape(var._data.dtype, var._data.shape)],
                      node=node)
            if var._grad is not None:
                box.lines.append(f".grad {type_shape(var._grad._data.dtype, var._grad.shape)}")
            self.add_tensor_details(box, var)
        elif isinstance(node, BackwardCFunction):
            box = Box(key, "custom", node.name(), ["custom Function"], node=node)
        elif isinstance(node, CopySlices):
            box = Box(key, "copyslices", node.name(), [f"wraps {node.fn.name()}"], node=node)
        else:
            box = Box(key, "op", node.name(), [], node=node)
        hooks = hooks_at(node)
        if hooks:
            box.marks.add("hooks")
            box.lines += [f"⚑ {h}" for h in hooks]
        return box

    def saved_boxes(self, node: Node, key: str) -> None:
        """One small box per saved value, linked to its node (and to what it is)."""
        owner = node.fn if isinstance(node, CopySlices) else node
        try:
            slots = saved_slots(owner)
        except RuntimeError:  # freed by a backward without retain_graph
            if _has_saved(owner):
                self.boxes[key].lines.append("saved values freed by backward")
                self.boxes[key].marks.add("freed")
            return
        for slot, saved in slots:
            if saved is None:
                continue
            box = Box(f"{key}.{slot}", "saved", slot)
            if saved.shape is None:
                box.lines.append("packed by saved_tensors_hooks")
            else:
                box.lines.append(f"{type_shape(saved.dtype, saved.shape)} · "
                                 f"{size_in_bytes(saved.nbytes)}")
            if saved.has_hooks and saved.shape is not None:
                box.lines.append("packed by saved_tensors_hooks")
            tensor = saved.input_tensor
            if tensor is not None:
                self.keep_alive.append(tensor)
                what = self.tensor_ids.get(id(tensor))
                if what is not None:  # a leaf or an output drawn elsewhere
                    box.lines.append(f"is {self.boxes[what].title} ({what})")
                elif tensor.grad_fn is not None and id(tensor.grad_fn) in self.node_ids:
                    box.lines.append(f"output of {self.node_ids[id(tensor.grad_fn)]}")
            if self.show_versions and not saved.has_hooks:
                now = saved.current_version
                if now != saved.saved_version:
                    box.lines.append(f"saved at version {saved.saved_version}, now {now}")
                    box.lines.append("backward will raise")
                    box.marks.add("stale")
                else:
                    box.lines.append(f"version {now}")
                vc = tensor._vc if tensor is not None else saved._vc
                if vc is not None:
                    self.note_counter(vc, box.id, _tensor_key(tensor) if tensor is not None
                                      else ("node", id(owner), saved._output_nr))
            self.boxes[box.id] = box
            self.links.append(Link(box.id, key, "saved"))
            if tensor is not None:
                if tensor._base is not None:
                    base = self.tensor_box(tensor._base)
                    self.links.append(Link(box.id, base, "view", "view of"))


def _has_saved(node: Node) -> bool:
    return any(name.startswith("_raw_saved_") for name in dir(type(node)))


def saved_slots(node: Node) -> list:
    """``(slot name, SavedTensor or None)`` for each value ``node`` saved, in order."""
    if isinstance(node, BackwardCFunction):
        return [(f"saved_tensors[{i}]", s) for i, s in enumerate(node._raw_saved_tensors)]
    slots = []
    for cls in type(node).__mro__:
        for name in cls.__dict__:
            if name.startswith("_raw_saved_"):
                slots.append((name[len("_raw_saved_"):], getattr(node, name)))
    return slots


def build_model(roots, params=None, show_saved: bool = True, show_versions: bool = True,
                steps=None, highlight=None, max_nodes: int | None = None) -> GraphModel:
    """The boxes and links of the graph behind ``roots`` (see ``draw_graph``), or of a
    traced program given alone (``draw_graph(program)``)."""
    from ._program import is_program, program_model

    if is_program(roots):
        roots = (roots,)
    if any(is_program(root) for root in roots):
        if len(roots) != 1 or steps:
            raise TypeError("draw_graph: draw a traced program on its own, "
                            "draw_graph(program) (no other roots, no steps=)")
        return program_model(roots[0], highlight)
    starts, outputs = start_nodes(roots)
    order = walk(starts)
    plan = fold_plan(order, max_nodes)
    b = _Builder(params, show_saved, show_versions)
    for index, node in enumerate(plan.kept):
        b.node_ids[id(node)] = f"n{index}"
        if isinstance(node, AccumulateGrad):  # so an output that is a view of it links here
            b.tensor_ids[id(node.variable)] = f"n{index}"
    for i, tensor in outputs:
        key = f"o{len([o for o in b.boxes if o.startswith('o')])}"
        title = b.names.get(id(tensor), "output" if len(outputs) == 1 else f"output {i}")
        box = Box(key, "output", title, [type_shape(tensor._data.dtype, tensor.shape)])
        b.boxes[key] = box
        b.tensor_ids.setdefault(id(tensor), key)
        b.add_tensor_details(box, tensor)
        if tensor.grad_fn is not None:
            head = b.node_ids.get(id(tensor.grad_fn)) or plan.fold_of[id(tensor.grad_fn)]
            b.links.append(Link(key, head, "grad"))
        elif tensor.requires_grad:
            box.lines.append("a leaf: no graph behind it")
        else:
            box.lines.append("does not require grad: nothing was recorded")
        if tensor._retains_grad:
            box.lines.append("⚑ retain_grad")
            box.marks.add("hooks")
    for node in plan.kept:
        key = b.node_ids[id(node)]
        b.boxes[key] = b.node_box(node, key)
    if show_saved:
        for node in plan.kept:
            b.saved_boxes(node, b.node_ids[id(node)])
    for node in plan.kept:
        tail = b.node_ids[id(node)]
        for edge, (fn, _) in enumerate(node.next_functions):
            if fn is None:
                continue
            head = b.node_ids.get(id(fn)) or plan.fold_of.get(id(fn))
            if head is not None:
                b.links.append(Link(tail, head, "grad", edge=edge))
    notes = []
    for fold in plan.folds:
        b.boxes[fold.id] = Box(fold.id, "fold", "⋯", [fold.label])
        notes.append(f"{fold.id} folds {fold.label}")
        heads = (b.node_ids.get(id(node)) or plan.fold_of[id(node)] for node in fold.exits)
        b.links += [Link(fold.id, head, "fold") for head in dict.fromkeys(heads)]
    model = GraphModel(b.boxes, b.links, notes, b.node_ids,
                       sum(len(fold.members) for fold in plan.folds), plan.fold_of)
    model._keep_alive = (order, b.keep_alive)
    _shared_counters(b)
    steps = list(steps or ())
    if steps:
        if not all(isinstance(step, BackwardStep) for step in steps):
            raise TypeError("draw_graph: steps= takes the events of "
                            "al.autograd.backward_steps(loss), e.g. steps=list(events)")
        _apply_steps(model, steps, outputs)
    for target in _as_list(highlight):
        _highlight(model, target, b)
    return model


def _tensor_key(tensor: Tensor) -> tuple:
    """Who a tensor is, for telling a base from its views: a non-leaf by its node and
    output number (a saved result and the tensor it was are the same), a leaf by itself."""
    if tensor._grad_fn is not None:
        return ("node", id(tensor._grad_fn), tensor._output_nr)
    return ("tensor", id(tensor))


def _shared_counters(b: _Builder) -> None:
    """Name the version counters that distinct tensors share (a base and its views): an
    in-place change through any of them bumps the version all of them show."""
    shared = 0
    for users in b.counter_users.values():
        if len({tensor_key for _, tensor_key in users}) < 2:
            continue
        name = f"c{shared}"
        shared += 1
        for key, tensor_key in users:
            others = ", ".join(dict.fromkeys(k for k, t in users if t != tensor_key))
            b.boxes[key].lines.append(f"shares version counter {name} with {others}")


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def _highlight(model: GraphModel, target, b: _Builder) -> None:
    what = target
    if isinstance(target, Tensor):  # its own box (a leaf, an output), else its node
        key = b.tensor_ids.get(id(target))
        target = target.grad_fn if key is None and target.grad_fn is not None else key
    if isinstance(target, Node):
        box = model.box_of(target)
        fold = model.fold_of.get(id(target))
        if box is None and fold is not None:  # max_nodes folded it: mark its fold
            box = model.boxes[fold]
            box.lines.append(f"holds the highlighted {target.name()}")
    elif isinstance(target, str) or target is None:
        box = model.boxes.get(target)
    else:
        raise TypeError(f"draw_graph: highlight= takes nodes, tensors or box ids, "
                        f"not {type(target).__name__}")
    if box is None:
        raise ValueError(f"draw_graph: cannot highlight {what!r}: it is not in this graph "
                         "(draw the tensor whose backward reaches it)")
    box.marks.add("highlight")


def _apply_steps(model: GraphModel, steps: list, outputs: list) -> None:
    """Mark the nodes ``steps`` ran (the last one current) and label the gradients."""
    last = steps[-1]
    for step in steps:
        box = model.box_of(step.node)
        if box is None:
            continue
        box.marks.add("done")
        box.lines.append(f"ran at step {step.index}")
        _label_edges(model, step, box.id)
    current = model.box_of(last.node)
    if current is not None:
        current.marks.discard("done")
        current.marks.add("current")
    for node, needs, has in last.waiting:
        box = model.box_of(node)
        if box is not None:
            box.marks.add("waiting")
            box.lines.append(f"needs {needs} gradients, has {has}")
    first = steps[0]
    if first.grad_outputs and first.grad_outputs[0] is not None:  # the seed
        for link in model.links:
            if link.kind == "grad" and model.boxes[link.tail].kind == "output" and \
                    model.boxes[link.head].node is first.node:
                _carry(link, first.grad_outputs[0]._data)


def _label_edges(model: GraphModel, step, key: str) -> None:
    summed = dict(step.summed)
    for link in model.links:
        if link.tail != key or link.kind != "grad":
            continue
        edge = link.edge
        if edge is None or edge >= len(step.grad_inputs):
            continue
        g = step.grad_inputs[edge]
        if g is None:
            continue
        _carry(link, g._data)
        if edge in summed:  # what the next node receives: summed back to its input's shape
            dims = summed[edge]
            fn, nr = step.node.next_functions[edge]
            back = g._data.sum(axis=dims).reshape(fn._output_meta[nr][0])
            link.label += (f"\nsummed over dim{'s' if len(dims) > 1 else ''} "
                           f"{', '.join(str(d) for d in dims)} → {grad_summary(back)}")


def _carry(link: Link, array) -> None:
    link.marks.add("carried")
    link.label = grad_summary(array)
    if not is_finite(array):
        link.marks.add("bad")
