"""``al.viz.draw_graph(program)``: a traced program drawn, box for node, in program order.

The text form (exact, deterministic), the model behind the picture (one box per node of
``program.graph``, ids the node names, links the way data flows), the dot source's
colours and SVG ids, and the errors.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab.trace import make_fx
from autograd_lab.viz import draw_graph, graph_text
from autograd_lab.viz._model import build_model

GREEN, BLUE, GREY = "#c8e6c9", "#bbdefb", "#e0e0e0"


def mul_mul_sum():
    def f(x, w):
        y = x * w
        return (y * x).sum()

    return make_fx(f)(al.ones(3), al.ones(3))


def linear_split():
    al.manual_seed(0)
    lin = al.nn.Linear(2, 2)

    def head(x):
        return lin(x[1:, ::2]).split(1, dim=1)

    return make_fx(head, params={"weight": lin.weight, "bias": lin.bias})(al.ones(4, 3))


def test_text_form_mul_mul_sum():
    assert graph_text(mul_mul_sum()) == """\
program f: 2 inputs, 0 attributes, 3 calls
x_1 input: f32[3] -> mul, mul_1
w_1 input: f32[3] -> mul
mul = ops.mul(x_1, w_1): f32[3] -> mul_1
mul_1 = ops.mul(mul, x_1): f32[3] -> sum_1
sum_1 = ops.sum(mul_1): f32[]; dim=(0,), keepdim=False, self_sym_sizes=(3,) -> output
output: return sum_1"""


def test_text_form_parameters_and_several_outputs():
    assert graph_text(linear_split()) == """\
program head: 1 input, 2 attributes, 7 calls
x_1 input: f32[4, 3] -> narrow
narrow = ops.narrow(x_1): f32[3, 3]; dim=0, start=1, end=4, step=1, self_sym_sizes=(4, 3) \
-> narrow_1
narrow_1 = ops.narrow(narrow): f32[3, 2]; dim=1, start=0, end=3, step=2, \
self_sym_sizes=(3, 3) -> addmm
weight self.weight: f32[2, 2] -> t
t = ops.t(weight): f32[2, 2] -> addmm
bias self.bias: f32[2] -> addmm
addmm = ops.addmm(bias, narrow_1, t): f32[3, 2] -> split
split = ops.split(addmm): f32[3, 1], f32[3, 1]; split_size=1, dim=1, self_sym_sizes=(3, 2) \
-> getitem, getitem_1
getitem = split[0]: f32[3, 1] -> output
getitem_1 = split[1]: f32[3, 1] -> output
output: return (getitem, getitem_1)"""


def test_boxes_are_the_graph_nodes_in_order_and_links_follow_the_data():
    al.manual_seed(0)
    mlp = al.nn.Sequential(al.nn.Linear(3, 4), al.nn.ReLU(), al.nn.Linear(4, 2))
    program = make_fx(mlp)(al.ones(5, 3))
    model = build_model(program)  # a program alone, not in a tuple, works too
    nodes = list(program.graph)
    assert list(model.boxes) == [n.name for n in nodes]
    kind = {"placeholder": "input", "get_attr": "param", "call_function": "call",
            "output": "output"}
    for node, box in zip(nodes, model.boxes.values(), strict=True):
        assert box.kind == kind[node.op] and box.node is node
        assert model.box_of(node) is box
    assert model.boxes["_0_weight"].title == "self._0_weight"
    assert model.boxes["_0_weight"].lines == ["f32[4, 3]"]
    assert model.boxes["relu"].title == "relu = ops.relu(addmm)"
    assert model.boxes["relu"].lines == ["f32[5, 4]"]
    # one link from each value to each node that reads it, nothing else
    expected = sorted((src.name, n.name) for n in nodes for src in dict.fromkeys(
        a for a in (*n.args, *n.kwargs.values()) if isinstance(a, al.trace.Node)))
    assert sorted((lk.tail, lk.head) for lk in model.links) == expected
    assert {lk.kind for lk in model.links} == {"data"}
    assert model.program is program and model.folded == 0


def test_a_tensor_read_as_indices_is_linked_too():
    program = make_fx(lambda x, i: x[i] * 2.0)(al.ones(4), al.tensor([0, 2]))
    model = build_model(program)
    assert ("i_1", "index") in [(lk.tail, lk.head) for lk in model.links]
    assert model.boxes["index"].lines == ["f32[2]", "index=(i_1,), self_sym_sizes=(4,)"]


def test_dot_source_colours_and_svg_ids():
    program = linear_split()
    drawing = draw_graph(program)
    source = drawing.source

    def statement(key):
        found = [s for s in drawing.digraph.body if s.startswith(f"\t{key} [")]
        assert len(found) == 1
        return found[0]

    assert f'fillcolor="{GREEN}"' in statement("x_1") and "class=al_input" in statement("x_1")
    assert f'fillcolor="{BLUE}"' in statement("weight")
    assert "class=al_param" in statement("bias")
    assert f'fillcolor="{GREY}"' in statement("addmm")
    assert "addmm = ops.addmm(bias, narrow_1, t)\nf32[3, 2]" in statement("addmm")
    assert "peripheries=2" in statement("output")
    assert "x_1 -> narrow" in source and "getitem_1 -> output" in source
    assert drawing.svg_id("addmm") == "al_addmm"
    node = next(n for n in program.graph if n.name == "getitem_1")
    assert drawing.svg_id(node) == "al_getitem_1"
    svg = drawing.svg()
    ids = set(re.findall(r'<g id="(al_[^"]+)" class="node', svg))
    assert ids == {f"al_{n.name}" for n in program.graph}
    edges = re.findall(r'<g id="(al_e\d+)" class="edge"', svg)
    assert len(edges) == len(drawing.model.links)
    assert drawing._repr_mimebundle_()["text/plain"] == graph_text(program) == repr(drawing)


def test_the_same_program_draws_the_same_way_every_time():
    texts = {graph_text(mul_mul_sum()) for _ in range(3)}
    sources = {draw_graph(mul_mul_sum()).source for _ in range(3)}
    assert len(texts) == len(sources) == 1


def test_highlight_by_node_name_or_node():
    program = mul_mul_sum()
    drawing = draw_graph(program, highlight="mul_1")
    assert drawing.model.boxes["mul_1"].marks == {"highlight"}
    assert "mul_1 = ops.mul(mul, x_1): f32[3]  [highlighted] -> sum_1" in drawing.text
    assert 'color="#d81b60"' in [s for s in drawing.digraph.body
                                 if s.startswith("\tmul_1 [")][0]
    node = next(n for n in program.graph if n.name == "x_1")
    assert build_model(program, highlight=[node]).boxes["x_1"].marks == {"highlight"}
    with pytest.raises(ValueError, match="no such node"):
        graph_text(program, highlight="nope")


def test_a_custom_function_kept_whole_is_one_box():
    class Twice(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    program = make_fx(lambda x: Twice.apply(x).exp(), inline_functions=False)(al.ones(2))
    text = graph_text(program)
    assert "twice = self.Twice.apply(x_1): f32[2] -> exp" in text
    assert "mul" not in text


def test_a_program_is_drawn_alone():
    program = mul_mul_sum()
    y = (al.ones(2, requires_grad=True) * 2).sum()
    with pytest.raises(TypeError, match=r"draw a traced program on its own"):
        graph_text(program, y)
    steps = list(al.autograd.backward_steps(y))
    with pytest.raises(TypeError, match=r"no other roots, no steps="):
        graph_text(program, steps=steps)


def test_a_backward_graph_still_draws_as_before():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    assert graph_text((x * x).sum(), params={"x": x}).splitlines()[0] == (
        "backward graph: 1 output, 3 nodes, 2 saved values")
    program = make_fx(lambda x: (x * x).sum())(x)
    np.testing.assert_array_equal(program(x).detach().numpy(), 5.0)
    assert graph_text(program).splitlines()[0] == "program <lambda>: 1 input, 0 attributes, 2 calls"


def test_a_constant_the_program_keeps_is_noted():
    """A NumPy array used as an index is no tensor of the program: kept as an attribute,
    and the text form says so."""
    program = make_fx(lambda x: x[np.array([0, 2])] * 2)(al.ones(4))
    assert graph_text(program).splitlines()[-1] == "note: constants kept as attributes: _constant_0"
