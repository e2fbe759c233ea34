"""Big graphs in ``al.viz``: ``max_nodes`` folding, deep chains, and a 5,000-node drawing.

The folds must say what they hide (a note per fold, counts that add up to the graph's
nodes), never draw more boxes than ``max_nodes``, and leave no fold unconnected. Speed
is measured in benchmarks/, not here: the 5,000-node test prints its time and only
checks that the drawing is built, laid out and rendered.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest

import autograd_lab as al
from autograd_lab.viz import draw_graph, graph_text

NODE_KINDS = ("op", "custom", "copyslices", "leaf")


def all_nodes(*roots) -> dict:
    """``{id(node): node}`` for every node behind ``roots``, found here (not by viz)."""
    found, stack = {}, [r.grad_fn for r in roots]
    while stack:
        node = stack.pop()
        if id(node) not in found:
            found[id(node)] = node
            stack += [fn for fn, _ in node.next_functions if fn is not None]
    return found


def chain(n: int):
    h = al.tensor([1.0], requires_grad=True)
    for _ in range(n):
        h = h * 1.0001
    return h


def skip_graph(n: int):
    """``h = h * 1.001`` n times, with ``h = h + earlier`` every 50 steps."""
    x = al.tensor([1.0, 2.0], requires_grad=True)
    h, earlier = x, x
    for i in range(1, n):
        h = h * 1.001
        if i % 50 == 0:
            h = h + earlier
            earlier = h
    return h


def drawn(d) -> list:
    return [b for b in d.model.boxes.values() if b.kind in NODE_KINDS]


def folds(d) -> list:
    return [b for b in d.model.boxes.values() if b.kind == "fold"]


def test_a_10000_deep_chain_is_walked_without_recursion_and_folded():
    h = chain(10_000)
    text = graph_text(h)  # max_nodes=150: the middle of the chain is one box
    assert text.splitlines()[:5] == [
        "backward graph: 1 output, 7 nodes drawn + 9,994 folded, 0 saved values",
        "o0 output: f32[1] -> n0",
        "n0 MulBackward0 -> n1",
        "n1 MulBackward0 -> n2",
        "n2 MulBackward0 -> f0"]  # one arrow into the fold, not one per kind of link
    assert "f0 ⋯: 9,994 nodes: MulBackward0 × 9994 -> n3" in text.splitlines()
    assert text.splitlines()[-1] == "note: f0 folds 9,994 nodes: MulBackward0 × 9994"
    full = graph_text(h, max_nodes=None)
    assert full.splitlines()[0] == "backward graph: 1 output, 10,001 nodes, 0 saved values"
    assert full.splitlines()[-1] == "n10000 leaf: f32[1]"
    assert 'id="al_f0"' in draw_graph(h).svg()


@pytest.mark.parametrize("max_nodes", [1, 2, 3, 20, 60, 150, None])
def test_drawn_and_folded_nodes_add_up_and_no_fold_floats(max_nodes):
    h = skip_graph(500)
    total = len(all_nodes(h))
    d = draw_graph(h, max_nodes=max_nodes)
    nodes, fold_boxes = drawn(d), folds(d)
    assert len(nodes) + d.model.folded == total
    if max_nodes is None or total <= max_nodes:
        assert not fold_boxes and d.model.folded == 0 and not d.model.notes
        assert d.text.splitlines()[0] == f"backward graph: 1 output, {total} nodes, " \
                                         "0 saved values"
        return
    assert len(nodes) + len(fold_boxes) <= max_nodes
    assert d.text.splitlines()[0] == (f"backward graph: 1 output, {len(nodes)} node"
                                      f"{'s' if len(nodes) != 1 else ''} drawn + "
                                      f"{d.model.folded:,} folded, 0 saved values")
    # one note per fold, and their counts are what was folded
    assert [note.split()[0] for note in d.model.notes] == [f.id for f in fold_boxes]
    counts = [int(re.match(r"f\d+ folds ([\d,]+) ", note)[1].replace(",", ""))
              for note in d.model.notes]
    assert sum(counts) == d.model.folded
    for note in d.model.notes:
        assert f"note: {note}" in d.text.splitlines()
    for fold in fold_boxes:  # every fold is reached by an arrow
        assert any(lk.head == fold.id for lk in d.model.links), (fold.id, d.text)
    assert [f.id for f in fold_boxes] == [f"f{i}" for i in range(len(fold_boxes))]
    assert 'id="al_n0"' in d.svg() or not nodes


def test_the_rest_fold_names_what_it_holds():
    xs = [al.tensor([float(i)], requires_grad=True) for i in range(30)]
    y = xs[0] * xs[0]
    for x in xs[1:]:
        y = y + x * x  # no chains to fold: a wide tree
    d = draw_graph(y, max_nodes=20)
    nodes = all_nodes(y)
    hidden = Counter(n.name() for key, n in nodes.items() if key not in d.model.node_ids)
    assert sum(hidden.values()) == d.model.folded == len(nodes) - len(drawn(d)) == 70
    (fold,) = folds(d)
    words = ", ".join(f"{c} {name}" for name, c in sorted(hidden.items(),
                                                          key=lambda kv: (-kv[1], kv[0])))
    assert fold.lines == [f"70 more nodes not drawn (max_nodes=20): {words}"]
    assert d.model.notes == [f"f0 folds {fold.lines[0]}"]
    assert "dashed" in [s for s in d.digraph.body if s.startswith("\tf0 [")][0]


def test_a_repeated_pattern_is_named_and_leaves_only_it_uses_go_with_it():
    h = al.tensor([1.0], requires_grad=True)
    for _ in range(40):
        h = h * al.tensor([1.01], requires_grad=True) + 0.5  # a leaf per step
    d = draw_graph(h, max_nodes=30)
    nodes = all_nodes(h)
    assert len(drawn(d)) + d.model.folded == len(nodes) == 121
    assert len(drawn(d)) + 1 <= 30
    assert d.model.folded == 111  # 74 ops and the 37 leaves only they use
    assert d.model.notes == [
        "f0 folds 111 nodes: (MulBackward0 → AddBackward0) × 37 and 37 leaves"]
    hidden = Counter(n.name() for key, n in nodes.items() if key not in d.model.node_ids)
    assert hidden == {"MulBackward0": 37, "AddBackward0": 37, "AccumulateGrad": 37}


def test_highlight_and_steps_on_a_folded_graph():
    h = chain(100)
    inside = h.grad_fn
    for _ in range(50):
        inside = inside.next_functions[0][0]
    d = draw_graph(h, max_nodes=20, highlight=[inside, h.grad_fn])
    (fold,) = folds(d)
    assert fold.marks == {"highlight"} and "holds the highlighted MulBackward0" in fold.lines
    assert "highlight" in d.model.box_of(h.grad_fn).marks
    steps = list(al.autograd.backward_steps(h))
    d = draw_graph(h, max_nodes=20, steps=steps)
    assert all("done" in b.marks or "current" in b.marks for b in drawn(d))
    into_fold = [lk for lk in d.model.links if lk.head == "f0"]
    assert [d.model.boxes[lk.tail].id for lk in into_fold] == ["n2"]
    assert [lk.label for lk in into_fold] == [f"f32[1] ‖g‖={1.0001 ** 3:.3g}"]  # n0..n2


def test_a_few_hundred_nodes_are_laid_out_by_dot_with_limits():
    h = skip_graph(400)
    d = draw_graph(h, max_nodes=None)
    assert not d.prelaid and "nslimit=1" in d.source and d.digraph.engine == "dot"
    assert 'id="al_n0"' in d.svg()


def test_a_5000_node_graph_with_skips_is_built_and_drawn():
    h = skip_graph(4951)
    total = len(all_nodes(h))
    assert total == 5050
    start = time.perf_counter()
    d = draw_graph(h, max_nodes=None)
    built = time.perf_counter() - start
    svg = d.svg()
    elapsed = time.perf_counter() - start
    print(f"\n5,000-node drawing: model + layout {built:.2f} s, with the SVG {elapsed:.2f} s")
    assert len(drawn(d)) == total and not folds(d)
    assert d.prelaid and d.digraph.engine == "neato"  # positions computed in Python
    assert 'id="al_n0"' in svg and f'id="al_n{total - 1}"' in svg
    # every arrow points down the page: a box sits below every box with an arrow to it
    pos = {}
    for s in d.digraph.body:
        m = re.match(r'\t"?([\w.]+)"? \[.*\bpos="(-?[\d.]+),(-?[\d.]+)!"', s, re.S)
        if m:
            pos[m[1]] = float(m[3])
    assert len(pos) == len(d.model.boxes)
    grads = [lk for lk in d.model.links if lk.kind == "grad"]
    assert len(grads) > total and all(pos[lk.head] < pos[lk.tail] for lk in grads)
