"""The graphviz picture of a ``GraphModel``: colours, shapes, ids, and the layout settings.

Every box gets an SVG id ``al_<box id>`` (``al_n3``; underscores, since Graphviz escapes
hyphens) and a class ``al_<kind>``, so a stepper can lay the graph out once and restyle
it per step with CSS. Arrows point the way gradients flow: from the output down to the
leaves.
"""

from __future__ import annotations

import graphviz

from ._layout import LIMITED_ABOVE, PRELAID_ABOVE, layered_positions
from ._model import GraphModel

__all__ = ["model_digraph", "svg_id", "CURRENT", "DONE"]

FILL = {"op": "#e0e0e0", "custom": "#d1c4e9", "copyslices": "#ffe0b2", "leaf": "#bbdefb",
        "output": "#c8e6c9", "saved": "#fff3e0", "tensor": "#f5f5f5", "fold": "#ffffff",
        # a traced program (_program.py): inputs green, captured tensors blue, calls grey
        "input": "#c8e6c9", "param": "#bbdefb", "call": "#e0e0e0"}
CURRENT = "#ffd54f"  # the node a step is at (gold)
DONE = "#a5d6a7"  # nodes that already ran (green)
STALE = "#ef9a9a"  # a saved value changed in place since it was saved (red)
BAD = "#c62828"  # NaN or inf


def svg_id(key: str) -> str:
    """The SVG id of box ``key`` (``n3`` -> ``al_n3``, ``n3.self`` -> ``al_n3_self``)."""
    return "al_" + "".join(c if c.isalnum() else "_" for c in key)


def _label(box) -> str:
    """The box's words; a node also shows its id (``n3``), which the text form and the
    saved values' lines ("output of n3") use."""
    title = f"{box.id}  {box.title}" if box.kind in _NODE_KINDS else box.title
    return "\n".join([title, *box.lines])


_NODE_KINDS = ("op", "custom", "copyslices", "leaf")


def _node_attrs(box) -> dict:
    attrs = {"id": svg_id(box.id), "class": f"al_{box.kind}", "fillcolor": FILL[box.kind]}
    if box.kind == "saved":
        attrs.update(fontsize="9", margin="0.05,0.02", height="0.3")
    if box.kind == "fold":
        attrs.update(style="dashed", shape="note")
    if box.kind == "leaf" or box.kind == "output":
        attrs["shape"] = "box"
        attrs["peripheries"] = "2" if box.kind == "output" else "1"
    marks = box.marks
    if "stale" in marks:
        attrs.update(fillcolor=STALE, color=BAD, fontcolor="#b71c1c", penwidth="2")
    if "done" in marks:
        attrs.update(fillcolor=DONE)
    if "current" in marks:
        attrs.update(fillcolor=CURRENT, penwidth="3", color="#ff8f00")
    if "waiting" in marks:
        attrs.update(color="#1565c0", penwidth="2")
    if "highlight" in marks:
        attrs.update(color="#d81b60", penwidth="3")
    return attrs


def model_digraph(model: GraphModel) -> tuple[graphviz.Digraph, bool]:
    """The Digraph, and whether its positions were computed here (draw with ``neato -n2``)."""
    dot = graphviz.Digraph("autograd_graph", strict=False)
    dot.attr("graph", rankdir="TB", nodesep="0.25", ranksep="0.4")
    dot.attr("node", shape="box", style="filled", fontname="Helvetica", fontsize="10",
             height="0.35")
    dot.attr("edge", fontname="Helvetica", fontsize="9", color="#616161")
    n = len(model.boxes)
    prelaid = n > PRELAID_ABOVE
    positions = {}
    if prelaid:
        edges = [(lk.tail, lk.head) if lk.kind != "saved" else (lk.head, lk.tail)
                 for lk in model.links if lk.kind != "view"]
        labels = {k: _label(b).split("\n") for k, b in model.boxes.items()}
        positions = layered_positions(list(model.boxes), labels, edges)
        dot.engine = "neato"
        dot.attr("graph", splines="false", overlap="true")
    elif n > LIMITED_ABOVE:  # measured: 122 s -> 4.6 s for 2,000 nodes with skips
        dot.attr("graph", nslimit="1", nslimit1="1", mclimit="0.1", splines="line")
    for key, box in model.boxes.items():
        attrs = _node_attrs(box)
        if prelaid:
            x, y = positions[key]
            attrs["pos"] = f"{x:.1f},{y:.1f}!"
        dot.node(key, _label(box), **attrs)
    for i, link in enumerate(model.links):
        attrs = {"id": f"al_e{i}"}
        tail, head = link.tail, link.head
        if link.kind == "saved":  # drawn under its node, no arrow
            tail, head = head, tail
            attrs.update(style="dotted", dir="none", color="#ef6c00")
        elif link.kind == "view":
            attrs.update(style="dashed", constraint="false", color="#2e7d32")
        elif link.kind == "fold":
            attrs.update(style="dashed")
        if link.label:
            attrs["label"] = link.label
        if "carried" in link.marks:
            attrs.update(color="#2e7d32", penwidth="1.6")
        if "bad" in link.marks:
            attrs.update(color=BAD, fontcolor=BAD, penwidth="2")
        dot.edge(tail, head, **attrs)
    return dot, prelaid
