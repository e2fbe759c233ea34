"""A traced program (``al.trace.make_fx(fn)(x)``) as boxes and links, for ``draw_graph``.

One box per node of the program's graph, its id the node's name (so the SVG id of
``mul`` is ``al_mul``, and the text form reads like the program): inputs
(placeholders, green), captured tensors (``get_attr``: a parameter or a constant, blue,
titled ``self.weight``), calls titled by their line (``mul = ops.mul(x_1, w_1)``, the
keyword arguments on a line of their own) with their ``f32[3]`` annotation, and the
output. Links go the way data flows: from a value to the calls that read it.

Where the backward drawing walks a graph learners did not write, this one only follows
the program's own order, so the same program draws the same way every time.
"""

from __future__ import annotations

from ..trace.graph import Node, nodes_in
from ..trace.graph_module import AttrRef, _value
from ..trace.targets import RowTarget, code_name, getitem
from ._labels import type_shape
from ._model import Box, GraphModel, Link

__all__ = ["is_program", "program_model", "program_text"]

_KIND = {"placeholder": "input", "get_attr": "param", "call_function": "call",
         "output": "output"}


def is_program(value) -> bool:
    """A ``GraphModule`` (duck-typed: it has a ``graph`` and prints itself)."""
    return hasattr(value, "graph") and hasattr(value, "print_readable")


def _annotation(node: Node) -> str:
    meta = node.meta
    if "dtype" in meta and "shape" in meta:
        return type_shape(meta["dtype"], meta["shape"])
    if "outputs" in meta:  # a call with several results, taken apart by getitem
        return ", ".join(type_shape(d, s) for d, s in meta["outputs"])
    return ""


def _call_box(node: Node) -> Box:
    target = node.target
    if target is getitem:
        title = f"{node.name} = {_value(node.args[0])}[{_value(node.args[1])}]"
    else:
        args = ", ".join(_value(a) for a in node.args)
        title = f"{node.name} = {code_name(target)}({args})"
    lines = [_annotation(node)]
    kwargs = target.shown_attrs(node.kwargs) if isinstance(target, RowTarget) else node.kwargs
    if kwargs:
        lines.append(", ".join(f"{k}={_value(v)}" for k, v in kwargs.items()))
    return Box(node.name, "call", title, lines, node=node)


def program_model(program, highlight=None) -> GraphModel:
    """The boxes and links of ``program``'s graph, in program order."""
    boxes: dict = {}
    links: list = []
    node_ids: dict = {}
    for node in program.graph:
        kind = _KIND[node.op]
        if node.op == "call_function":
            box = _call_box(node)
        elif node.op == "output":
            box = Box(node.name, kind, "output", [f"return {_value(node.args[0])}"], node=node)
        else:
            title = node.name if node.op == "placeholder" else f"self.{node.target}"
            box = Box(node.name, kind, title, [_annotation(node)], node=node)
        boxes[box.id] = box
        node_ids[id(node)] = box.id
        for source in nodes_in((node.args, node.kwargs)):
            links.append(Link(node_ids[id(source)], box.id, "data"))
    constants = sorted({v.name for n in program.graph for v in _attr_refs((n.args, n.kwargs))})
    notes = [f"constants kept as attributes: {', '.join(constants)}"] if constants else []
    model = GraphModel(boxes, links, notes, node_ids, program=program)
    for target in highlight if isinstance(highlight, (list, tuple, set)) else [highlight]:
        if target is None:
            continue
        key = node_ids.get(id(target)) if isinstance(target, Node) else target
        if key not in boxes:
            raise ValueError(f"draw_graph: cannot highlight {target!r}: this program has no "
                             f"such node (its nodes: {', '.join(boxes)})")
        boxes[key].marks.add("highlight")
    return model


def _attr_refs(value) -> list:
    if isinstance(value, AttrRef):
        return [value]
    if isinstance(value, (tuple, list)):
        return [r for v in value for r in _attr_refs(v)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _attr_refs(v)]
    return []


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def program_text(model: GraphModel) -> str:
    """The text form: a heading, then one line per node in program order, each with the
    boxes its value flows to.

    >>> import autograd_lab as al
    >>> program = al.trace.make_fx(lambda x, w: (x * w).relu())(al.ones(3), al.ones(3))
    >>> print(al.viz.graph_text(program))
    program <lambda>: 2 inputs, 0 attributes, 2 calls
    x_1 input: f32[3] -> mul
    w_1 input: f32[3] -> mul
    mul = ops.mul(x_1, w_1): f32[3] -> relu
    relu = ops.relu(mul): f32[3] -> output
    output: return relu
    """
    assert model.program is not None, "program_text is for the model of a traced program"
    boxes = model.boxes.values()
    count = {kind: sum(1 for b in boxes if b.kind == kind) for kind in _KIND.values()}
    lines = [f"program {model.program.class_name}: {_plural(count['input'], 'input')}, "
             f"{_plural(count['param'], 'attribute')}, {_plural(count['call'], 'call')}"]
    heads: dict = {}
    for link in model.links:
        heads.setdefault(link.tail, []).append(link.head)
    for key, box in model.boxes.items():
        if box.kind == "call":
            head = box.title
        elif box.kind == "output":
            head = "output"
        else:
            head = f"{key} {'input' if box.kind == 'input' else box.title}"
        body = "; ".join(line for line in box.lines if line)
        line = head + (f": {body}" if body else "")
        if "highlight" in box.marks:
            line += "  [highlighted]"
        if key in heads:
            line += " -> " + ", ".join(heads[key])
        lines.append(line)
    lines += [f"note: {note}" for note in model.notes]
    return "\n".join(lines)
