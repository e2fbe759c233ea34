"""``al.viz.draw_graph`` and ``al.viz.graph_text``: what a drawing says, and how it says it.

Each test builds a small program, draws it, and checks the three things a learner (or a
notebook diff) sees: the text form, the model behind the picture (``drawing.model``: boxes
with kinds and marks, links), and the picture itself (``drawing.source``, the dot text;
``drawing.svg()``). Folding and big graphs are in ``test_viz_folding.py``.
"""

from __future__ import annotations

import functools
import itertools
import re

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab.viz import GraphvizNotFoundError, draw_graph, graph_text

RED_FILL = 'fillcolor="#ef9a9a"'  # a stale saved value
BAD = 'color="#c62828"'  # NaN or inf, and a stale box's border
CURRENT_FILL = 'fillcolor="#ffd54f"'
DONE_FILL = 'fillcolor="#a5d6a7"'


# -- helpers ------------------------------------------------------------------------------
def line(text: str, start: str) -> str:
    """The one line of ``text`` that starts (after indentation) with ``start``."""
    found = [ln for ln in text.splitlines() if ln.strip().startswith(start)]
    assert len(found) == 1, f"{len(found)} lines start with {start!r} in:\n{text}"
    return found[0]


def box(drawing, title: str, kind: str | None = None):
    found = [b for b in drawing.model.boxes.values()
             if b.title == title and (kind is None or b.kind == kind)]
    assert len(found) == 1, f"{len(found)} boxes titled {title!r}: {drawing.text}"
    return found[0]


def statement(drawing, key: str) -> str:
    """The dot statement that draws box ``key`` (a ``\\tn1 [...]`` line of the source)."""
    found = [s for s in drawing.digraph.body
             if s.startswith((f"\t{key} [", f'\t"{key}" ['))]
    assert len(found) == 1 and found[0] in drawing.source
    return found[0]


def edge_statement(drawing, link) -> str:
    i = drawing.model.links.index(link)
    found = [s for s in drawing.digraph.body if re.search(rf"\bid=al_e{i}\b", s)]
    assert len(found) == 1 and "->" in found[0]
    return found[0]


def state(b) -> set:
    """A box's marks from ``steps=`` (it may also say ``freed``, ``hooks``...)."""
    return b.marks & {"done", "current", "waiting"}


def grad_links(drawing, tail_title: str, head_title: str) -> list:
    boxes = drawing.model.boxes
    return [lk for lk in drawing.model.links if lk.kind == "grad"
            and boxes[lk.tail].title == tail_title and boxes[lk.head].title == head_title]


def norm_label(array) -> str:
    """What an edge that carried ``array`` should say, computed here with NumPy."""
    array = np.asarray(array)
    shape = ", ".join(str(s) for s in array.shape)
    return f"f32[{shape}] ‖g‖={np.linalg.norm(array.astype(np.float64)):.3g}"


def stale_mul():
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = al.tensor([4.0, 5.0, 6.0], requires_grad=True)
    y = (x * w).sum()
    with al.no_grad():
        w.mul_(2)  # after MulBackward0 saved w: its backward would read the new values
    return x, w, y


# -- names, leaves, saved values ----------------------------------------------------------
def test_ops_and_leaves_by_name_with_saved_boxes_and_sequential_ids():
    x = al.tensor([[1.0, 2.0, 3.0, 4.0]] * 3, requires_grad=True)
    w = al.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    d = draw_graph(y, params={"x": x, "w": w})
    assert list(d.model.boxes) == ["o0", "n0", "n1", "n2", "n3", "n1.self", "n1.other"]
    assert [b.kind for b in d.model.boxes.values()] == [
        "output", "op", "op", "leaf", "leaf", "saved", "saved"]
    assert d.text.splitlines()[:4] == [
        "backward graph: 1 output, 4 nodes, 2 saved values",
        "o0 output: f32[] -> n0",
        "n0 SumBackward0 -> n1",
        "n1 MulBackward0 -> n2, n3"]
    assert line(d.text, "n2 leaf") == "n2 leaf x: f32[3, 4]"
    assert line(d.text, "n3 leaf") == "n3 leaf w: f32[4]"
    assert line(d.text, "saved self") == "    saved self: f32[3, 4] · 48 B; is x (n2); version 0"
    assert line(d.text, "saved other") == "    saved other: f32[4] · 16 B; is w (n3); version 0"
    assert [(lk.tail, lk.head) for lk in d.model.links if lk.kind == "saved"] == [
        ("n1.self", "n1"), ("n1.other", "n1")]
    assert 'id=al_n3' in statement(d, "n3") and 'class=al_leaf' in statement(d, "n3")
    assert "n3  w\nf32[4]" in statement(d, "n3")
    assert 'id=al_n1_other' in statement(d, "n1.other")
    # a backward node can be drawn as well as a tensor; unnamed leaves read "leaf"
    assert graph_text(y.grad_fn).splitlines()[1:3] == ["n0 SumBackward0 -> n1",
                                                       "n1 MulBackward0 -> n2, n3"]
    assert line(graph_text(y), "n3") == "n3 leaf: f32[4]"
    # show_saved=False: no saved boxes at all
    plain = draw_graph(y, params={"x": x, "w": w}, show_saved=False)
    assert not [b for b in plain.model.boxes.values() if b.kind == "saved"]
    assert "saved" not in plain.text.split("\n", 1)[1]


def test_a_stale_saved_value_is_red_and_backward_then_raises():
    x, w, y = stale_mul()
    d = draw_graph(y, params={"x": x, "w": w})
    other = d.model.boxes["n1.other"]
    assert other.kind == "saved" and other.marks == {"stale"}
    assert "stale" not in d.model.boxes["n1.self"].marks
    text = line(d.text, "saved other")
    assert "is w (n3); saved at version 0, now 1" in text and "STALE" in text
    assert "backward will raise" in text
    assert line(d.text, "n3 leaf w") == "n3 leaf w: f32[3]; version 1"
    assert RED_FILL in statement(d, "n1.other") and BAD in statement(d, "n1.other")
    assert "saved at version 0, now 1" in statement(d, "n1.other")
    assert RED_FILL not in statement(d, "n1.self")
    # the drawing predicted it: backward really raises the in-place error
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    # show_versions=False leaves versions (and so staleness) out
    quiet = draw_graph(stale_mul()[2], show_versions=False)
    assert "version" not in quiet.text and not quiet.model.boxes["n1.other"].marks


def test_saved_result_goes_stale_too():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    e = x.exp()
    y = e.sum()
    with al.no_grad():
        e.add_(1)
    d = draw_graph(y)
    assert line(d.text, "saved result").startswith(
        "    saved result: f32[2] · 8 B; saved at version 0, now 1")
    assert "stale" in box(d, "result", "saved").marks
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


# -- views --------------------------------------------------------------------------------
def test_a_view_is_joined_to_its_base_and_shares_its_version_counter():
    a = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = a.clone()
    v = b[0]
    y = (v * v).sum()
    d = draw_graph(y, params={"a": a})
    assert line(d.text, "n2") == "n2 SelectBackward0 -> n3"
    assert line(d.text, "n3") == "n3 CloneBackward0 -> n4"
    # the base (b) is drawn nowhere else: a small tensor box, which says who made it
    assert line(d.text, "t0") == (
        "t0 tensor base: f32[2, 2]; output of n3; version 0; "
        "shares version counter c0 with n1.self, n1.other")
    assert line(d.text, "saved self") == (
        "    saved self: f32[2] · 8 B; output of n2; version 0; "
        "shares version counter c0 with t0  (view of t0)")
    views = [lk for lk in d.model.links if lk.kind == "view"]
    assert [(lk.tail, lk.head) for lk in views] == [("n1.self", "t0"), ("n1.other", "t0")]
    for lk in views:
        assert "style=dashed" in edge_statement(d, lk)
    assert "style=dashed" not in edge_statement(d, grad_links(d, "SumBackward0",
                                                              "MulBackward0")[0])
    # an in-place change through another view of b bumps the counter they all show
    b[1].add_(1.0)
    d = draw_graph(y, b, params={"a": a})
    assert line(d.text, "o1") == (
        "o1 output 1: f32[2, 2]; version 1; shares version counter c0 with n2.self, "
        "n2.other -> n1")
    assert "saved at version 0, now 1" in line(d.text, "saved self")
    assert line(d.text, "saved self").endswith("(view of o1)")
    assert {b.id for b in d.model.boxes.values() if "stale" in b.marks} == {
        "n2.self", "n2.other"}
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_an_output_that_is_a_view_of_a_leaf_points_at_the_leaf_box():
    a = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = a[0]
    d = draw_graph(y, params={"a": a})
    assert d.text == "\n".join([
        "backward graph: 1 output, 2 nodes, 0 saved values",
        "o0 output: f32[2]; version 0; shares version counter c0 with n1  (view of n1) -> n0",
        "n0 SelectBackward0 -> n1",
        "n1 leaf a: f32[2, 2]; version 0; shares version counter c0 with o0"])
    assert [b.kind for b in d.model.boxes.values()].count("tensor") == 0


def test_an_in_place_op_on_a_view_draws_copyslices_with_what_it_wraps():
    a = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = al.tensor([2.0, 3.0], requires_grad=True)
    b = a.clone()
    b[0].mul_(w)
    d = draw_graph(b.sum(), params={"a": a, "w": w})
    node = box(d, "CopySlices")
    assert node.kind == "copyslices" and node.lines == ["wraps MulBackward0"]
    assert line(d.text, "n1") == "n1 CopySlices: wraps MulBackward0 -> n2, n3"
    assert line(d.text, "saved other") == "    saved other: f32[2] · 8 B; is w (n3); version 0"
    assert "wraps MulBackward0" in statement(d, "n1") and "class=al_copyslices" in statement(
        d, "n1")
    c = a.clone()
    c[1].add_(1.0)
    assert "n1 CopySlices: wraps AddBackward0" in graph_text(c.sum())


# -- custom Functions, modules ------------------------------------------------------------
class Scale(al.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g * w, g * x


def test_a_custom_function_is_marked_and_its_saved_tensors_are_boxes():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    w = al.tensor([3.0, 4.0], requires_grad=True)
    d = draw_graph(Scale.apply(x, w).sum(), params={"x": x, "w": w})
    node = box(d, "ScaleBackward")
    assert node.kind == "custom" and node.lines == ["custom Function"]
    assert line(d.text, "n1") == "n1 ScaleBackward: custom Function -> n2, n3"
    saved = [b for b in d.model.boxes.values() if b.kind == "saved"]
    assert [b.id for b in saved] == ["n1.saved_tensors[0]", "n1.saved_tensors[1]"]
    assert line(d.text, "saved saved_tensors[0]") == (
        "    saved saved_tensors[0]: f32[2] · 8 B; is x (n2); version 0")
    assert line(d.text, "saved saved_tensors[1]") == (
        "    saved saved_tensors[1]: f32[2] · 8 B; is w (n3); version 0")
    assert 'fillcolor="#d1c4e9"' in statement(d, "n1")
    assert "id=al_n1_saved_tensors_1_" in statement(d, "n1.saved_tensors[1]")


def test_linear_layer_parameters_are_named_from_params():
    model = al.nn.Linear(3, 2)
    loss = model(al.tensor(np.ones((4, 3), dtype=np.float32))).sum()
    d = draw_graph(loss, params=dict(model.named_parameters()))
    weight, bias = box(d, "weight", "leaf"), box(d, "bias", "leaf")
    assert weight.lines[0] == "f32[2, 3]" and bias.lines[0] == "f32[2]"
    assert re.search(r"^n\d leaf weight: f32\[2, 3\]", d.text, re.M)
    assert re.search(r"^n\d leaf bias: f32\[2\]", d.text, re.M)
    assert "weight\nf32[2, 3]" in statement(d, weight.id)
    assert "saved mat1: f32[4, 3] · 48 B" in d.text


# -- hooks --------------------------------------------------------------------------------
def test_every_hook_kind_is_marked_on_its_node():
    def th(g):
        return g

    def xh(g):
        return g

    def pre(grad_outputs):
        return None

    def post(grad_inputs, grad_outputs):
        return None

    def pah(tensor):
        return None

    x = al.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h.register_hook(th)
    h.retain_grad()
    y = (h * h).sum()
    y.grad_fn.register_prehook(pre)
    y.grad_fn.register_hook(post)
    x.register_hook(xh)
    x.register_post_accumulate_grad_hook(pah)
    y.retain_grad()
    d = draw_graph(y, params={"x": x})
    assert line(d.text, "o0") == "o0 output: f32[]; ⚑ retain_grad -> n0"
    assert line(d.text, "n0") == ("n0 SumBackward0: ⚑ retain_grad on output 0; "
                                  "⚑ pre-hook pre; ⚑ post-hook post -> n1")
    assert line(d.text, "n2") == ("n2 MulBackward0: ⚑ tensor hook th on output 0; "
                                  "⚑ retain_grad on output 0 -> n3")
    assert line(d.text, "n3") == ("n3 leaf x: f32[2]; ⚑ tensor hook xh on output 0; "
                                  "⚑ post-accumulate-grad hook pah")
    hooked = {k for k, b in d.model.boxes.items() if "hooks" in b.marks}
    assert hooked == {"o0", "n0", "n2", "n3"}  # n1, the (h * h) node, has none
    assert "⚑ pre-hook pre" in statement(d, "n0")


# -- steps of a backward pass -------------------------------------------------------------
def broadcast_program():
    xa = np.arange(12, dtype=np.float32).reshape(3, 4) / 4 + 0.5
    ba = np.array([0.5, -1.0, 1.5, -2.0], dtype=np.float32)
    x = al.tensor(xa, requires_grad=True)
    b = al.tensor(ba, requires_grad=True)
    return xa, ba, x, b, ((x + b) * x).sum()


def test_steps_partly_consumed_mark_done_current_and_waiting():
    xa, ba, x, b, y = broadcast_program()
    events = al.autograd.backward_steps(y)
    steps = [next(events), next(events)]  # SumBackward0, then MulBackward0
    d = draw_graph(y, params={"x": x, "b": b}, steps=steps)
    assert state(box(d, "SumBackward0")) == {"done"}
    assert state(box(d, "MulBackward0")) == {"current"}
    assert state(box(d, "x")) == {"waiting"}
    assert "needs 2 gradients, has 1" in box(d, "x").lines
    assert not state(box(d, "AddBackward0")) and not state(box(d, "b"))
    assert DONE_FILL in statement(d, "n0") and CURRENT_FILL in statement(d, "n1")
    (seed,) = grad_links(d, "output", "SumBackward0")
    assert seed.label == "f32[] ‖g‖=1"
    (into_mul,) = grad_links(d, "SumBackward0", "MulBackward0")
    assert into_mul.label == norm_label(np.ones((3, 4))) == "f32[3, 4] ‖g‖=3.46"
    (mul_add,) = grad_links(d, "MulBackward0", "AddBackward0")
    (mul_x,) = grad_links(d, "MulBackward0", "x")
    assert mul_add.label == norm_label(xa)  # d(u * x)/du = x
    assert mul_x.label == norm_label(xa + ba)  # d(u * x)/dx = u = x + b
    assert "carried" in mul_x.marks and 'color="#2e7d32"' in edge_statement(d, mul_x)
    assert not any(lk.label for lk in d.model.links if d.model.boxes[lk.tail].title ==
                   "AddBackward0")  # it has not run yet
    assert line(d.text, "n1 MulBackward0").endswith("[current] -> " + ", ".join(
        [f"n2 ({mul_add.label})", f"n3 ({mul_x.label})"]))
    events.close()


def test_steps_fully_consumed_label_every_edge_and_the_summed_broadcast():
    xa, ba, x, b, y = broadcast_program()
    steps = list(al.autograd.backward_steps(y))
    d = draw_graph(y, params={"x": x, "b": b}, steps=steps)
    last = d.model.box_of(steps[-1].node)
    assert state(last) == {"current"}
    for step in steps[:-1]:
        assert state(d.model.box_of(step.node)) == {"done"}
    assert all("carried" in lk.marks for lk in d.model.links if lk.kind == "grad")
    (add_x,) = grad_links(d, "AddBackward0", "x")
    (add_b,) = grad_links(d, "AddBackward0", "b")
    assert add_x.label == norm_label(xa)
    # the gradient AddBackward0 sends b is x (f32[3, 4]); the engine sums it over dim 0
    assert add_b.label == f"{norm_label(xa)}\nsummed over dim 0 → {norm_label(xa.sum(0))}"
    assert f"summed over dim 0 → {norm_label(xa.sum(0))}" in line(d.text, "n2 AddBackward0")
    assert "summed over dim 0" in edge_statement(d, add_b)
    np.testing.assert_allclose(b.grad.numpy(), xa.sum(0))  # what the label said
    assert ".grad f32[4]" in box(d, "b").lines


@pytest.mark.parametrize("make, bad", [
    (lambda z: (z.sqrt() * 0.0).sum(), "nan"),  # 0 / (2 * sqrt(0))
    (lambda z: z.log().sum(), "inf"),  # 1 / 0
])
def test_a_nan_or_inf_gradient_edge_is_red(make, bad):
    z = al.tensor([0.0, 1.0], requires_grad=True)
    y = make(z)
    with np.errstate(all="ignore"):
        steps = list(al.autograd.backward_steps(y))
    d = draw_graph(y, params={"z": z}, steps=steps)
    (into_z,) = [lk for lk in d.model.links
                 if lk.kind == "grad" and d.model.boxes[lk.head].title == "z"]
    assert into_z.label == f"f32[2] has {bad}" and "bad" in into_z.marks
    assert BAD in edge_statement(d, into_z) and 'fontcolor="#c62828"' in edge_statement(
        d, into_z)
    fine = [lk for lk in d.model.links if lk.kind == "grad" and lk is not into_z]
    assert fine and not any("bad" in lk.marks for lk in fine)
    assert not any(BAD in edge_statement(d, lk) for lk in fine)


# -- highlight ----------------------------------------------------------------------------
def test_an_anomaly_error_names_its_node_and_a_learner_can_draw_it():
    z = al.tensor([0.0, 1.0], requires_grad=True)
    with al.autograd.detect_anomaly():
        loss = (z.log() * z).sum()
        with np.errstate(all="ignore"), pytest.raises(RuntimeError, match="LogBackward0") \
                as info:
            loss.backward()
    node = info.value.node
    assert node.name() == "LogBackward0"
    d = draw_graph(loss, highlight=node)
    assert d.model.box_of(node).marks == {"highlight"}
    assert line(d.text, "n2 LogBackward0").startswith("n2 LogBackward0  [highlighted]")
    assert 'color="#d81b60"' in statement(d, "n2")
    assert sum("highlight" in b.marks for b in d.model.boxes.values()) == 1


def test_highlight_marks_nodes_tensors_and_box_ids():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    y = h.exp().sum()
    d = draw_graph(y, highlight=[h, y.grad_fn, x, "n1"])
    marked = {k for k, b in d.model.boxes.items() if "highlight" in b.marks}
    assert marked == {"n0", "n1", "n2", "n3"}
    assert d.model.box_of(h.grad_fn).id == "n2"


# -- the text form, the picture -----------------------------------------------------------
def everything_program():
    """One program with most of what a drawing shows: names, hooks, a view, a stale
    saved value, a custom Function, and the first steps of its backward pass."""
    a = al.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    w = al.tensor([0.5, 2.0], requires_grad=True)
    b = a.clone()
    v = b[0]
    h = Scale.apply(v, w)
    h.register_hook(functools.partial(lambda k, g: g * k, 1.0))
    h.retain_grad()
    u = (h * v).sum() + (b * b).sum()
    b[1].mul_(2.0)  # makes b's saved self stale (and the view's counter too)
    w.register_post_accumulate_grad_hook(type("Logger", (), {"__call__": lambda s, t: None})())
    return u, {"a": a, "w": w}


def test_the_same_program_draws_the_same_text_and_source_every_time():
    u1, p1 = everything_program()
    u2, p2 = everything_program()
    d1, d2 = draw_graph(u1, params=p1), draw_graph(u2, params=p2)
    assert d1.text == d2.text and d1.source == d2.source
    assert graph_text(u1, params=p1) == d1.text == repr(d1)
    for text in (d1.text, d1.source):
        assert not re.search(r"0x[0-9a-fA-F]+", text) and " at 0x" not in text
    assert "⚑ tensor hook partial on output 0" in d1.text
    assert "⚑ post-accumulate-grad hook Logger" in d1.text
    assert "STALE" in d1.text and "ScaleBackward: custom Function" in d1.text
    # and with the steps of a (second, fresh) pass
    u3, p3 = everything_program()
    e2, e3 = (al.autograd.backward_steps(u) for u in (u2, u3))
    s2, s3 = list(itertools.islice(e2, 2)), list(itertools.islice(e3, 2))
    assert s2[-1].index == 1  # (the pass would raise at the stale saved value later on)
    assert graph_text(u2, params=p2, steps=s2) == graph_text(u3, params=p3, steps=s3)
    assert "[current]" in graph_text(u2, params=p2, steps=s2)
    e2.close()
    e3.close()


def test_svg_and_the_notebook_bundle():
    x, w, y = stale_mul()
    d = draw_graph(y, params={"x": x, "w": w})
    svg = d.svg()
    assert svg.lstrip().startswith(("<?xml", "<svg", "<!--"))
    assert 'id="al_n0"' in svg and '<g id="al_n1_other" class="node al_saved"' in svg
    assert 'id="al_e0"' in svg and "saved at version 0, now 1" in svg
    bundle = d._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert bundle["image/svg+xml"] == svg
    assert bundle["text/plain"] == graph_text(y, params={"x": x, "w": w}) == d.text
    assert not re.search(r"0x[0-9a-fA-F]{4,}", bundle["text/plain"])
    assert d.svg_id(y.grad_fn.next_functions[0][0]) == "al_n1"
    assert d.svg_id(y) == "al_n0" and d.svg_id("n1.other") == "al_n1_other"


def test_save_writes_svg_and_png(tmp_path):
    x = al.tensor([1.0, 2.0], requires_grad=True)
    d = draw_graph((x * x).sum())
    assert d.save(tmp_path / "g.svg") == str(tmp_path / "g.svg")
    assert 'id="al_n0"' in (tmp_path / "g.svg").read_text()
    d.save(tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="unknown format 'gif'"):
        d.save(tmp_path / "g.gif")


def test_without_dot_draw_graph_says_how_to_install_it_and_graph_text_still_works(
        tmp_path, monkeypatch):
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    drawn = draw_graph(y)  # made while dot was there; rendered after it is gone
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as info:
        draw_graph(y)
    assert "graph_text" in str(info.value) and "brew install graphviz" in str(info.value)
    assert isinstance(info.value, RuntimeError) and al.viz.GraphvizNotFoundError is \
        GraphvizNotFoundError
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        drawn.svg()
    assert graph_text(y) == drawn.text


# -- arguments ----------------------------------------------------------------------------
def test_bad_arguments_say_what_to_pass():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    elsewhere = al.tensor([1.0], requires_grad=True) * 2.0
    cases = [
        ((3,), {}, TypeError, "argument 0 is a int; pass tensors"),
        ((y, "loss"), {}, TypeError, "argument 1 is a str"),
        ((), {}, TypeError, "pass the tensors whose graph you want to see"),
        ((y,), {"params": {"x": 3.0}}, TypeError, r"params\['x'\] is a float, not a Tensor"),
        ((y,), {"params": [x]}, TypeError, "params= is a list; pass a dict"),
        ((y,), {"max_nodes": 0}, ValueError, "max_nodes must be at least 1"),
        ((y,), {"max_nodes": 2.5}, TypeError, "max_nodes must be an int"),
        ((y,), {"highlight": elsewhere}, ValueError, "it is not in this graph"),
        ((y,), {"highlight": "n9"}, ValueError, "cannot highlight 'n9'"),
        ((y,), {"highlight": 5}, TypeError, "highlight= takes nodes, tensors or box ids"),
        ((y,), {"steps": [1, 2]}, TypeError, "steps= takes the events of"),
    ]
    for args, kwargs, error, message in cases:
        for fn in (draw_graph, graph_text):
            with pytest.raises(error, match=message):
                fn(*args, **kwargs)


def test_outputs_that_have_no_graph_say_so():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    c = al.tensor([1.0, 2.0])
    assert graph_text(x) == ("backward graph: 1 output, 0 nodes, 0 saved values\n"
                             "o0 output: f32[2]; a leaf: no graph behind it")
    assert graph_text(c, params={"c": c}).endswith(
        "o0 c: f32[2]; does not require grad: nothing was recorded")


@pytest.mark.parametrize("n, text", [(12, "12 B"), (999, "999 B"), (1500, "1.5 kB"),
                                     (3_100_000, "3.1 MB"), (2 * 10**9, "2 GB"),
                                     (5 * 10**12, "5 TB"), (2 * 10**15, "2e+03 TB")])
def test_sizes_are_written_in_powers_of_1000(n, text):
    from autograd_lab.viz._labels import size_in_bytes

    assert size_in_bytes(n) == text
