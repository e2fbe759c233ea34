"""ForwardStepper: the tape as the recording hook reports it, each frame frozen when made."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab.widgets import ForwardStepper


def program(x, w):
    h = x * w
    y = h.sin()
    y.mul_(2.0)
    return (y * x).sum()


def make():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    w = al.tensor([3.0, 4.0], requires_grad=True)
    return x, w


def test_one_frame_per_op_the_program_called_in_order_with_fx_names():
    x, w = make()
    s = ForwardStepper(program, x, w)
    assert [f.line for f in s.frames] == [
        "mul = mul(x, w)", "sin = sin(mul)", "sin = mul_scalar(sin, other=2.0)",
        "mul_1 = mul(sin, x)", "sum = sum(mul_1, dim=(0,), keepdim=False, self_sym_sizes=(2,))",
    ]
    assert [f.record.kind for f in s.frames] == ["op", "op", "inplace", "op", "op"]
    np.testing.assert_allclose(s.result.item(), float((2 * np.sin([3.0, 8.0]) * [1, 2]).sum()),
                               rtol=1e-6)


def test_the_node_each_op_made_is_the_node_of_its_result():
    x, w = make()
    s = ForwardStepper(program, x, w)
    assert s.frames[-1].record.node is s.result.grad_fn
    assert [f.record.node.name() for f in s.frames] == [
        "MulBackward0", "SinBackward0", "MulBackward0", "MulBackward0", "SumBackward0"]


def test_each_frame_shows_the_graph_as_it_was_then():
    x, w = make()
    s = ForwardStepper(program, x, w)
    before_inplace = s.frames[1].drawing.text
    assert "SinBackward0  [highlighted]" in before_inplace
    assert "MulBackward0 -> " in before_inplace  # x * w under it
    # the in-place op changed sin's history afterwards; frame 1 still shows it as it was
    assert before_inplace.splitlines()[1].startswith("o0 output")
    assert "SinBackward0" in s.frames[1].details[0]
    after = s.frames[2].drawing.text
    assert "n0 MulBackward0  [highlighted]" in after


def test_stepping_and_state_text():
    x, w = make()
    s = ForwardStepper(program, x, w)
    assert s.state_text().startswith("op 0/5: nothing recorded yet")
    s.next_button.click()
    text = s.state_text()
    assert text.startswith("op 1/5: mul = mul(x, w)")
    assert "node made: MulBackward0" in text
    assert "out mul: f32[2], requires grad, grad_fn MulBackward0 = tensor([3., 8.])" in text
    s.slider.value = 5
    assert s.state_text().startswith("op 5/5: sum = sum(")
    assert s.next_button.disabled
    s.back_button.click()
    assert s.position == 4
    assert "al-graph" in s.graph_view.value and "<svg" in s.graph_view.value
    assert s._repr_mimebundle_()["text/plain"] == s.state_text()


def test_a_function_is_one_op_of_the_tape():
    class Double(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0 + 0.0

        @staticmethod
        def backward(ctx, g):
            return g * 2.0

    x, _ = make()
    s = ForwardStepper(lambda x: Double.apply(x).sum(), x)
    assert [f.record.name for f in s.frames] == ["Function:Double", "sum"]
    assert s.frames[0].record.node.name() == "DoubleBackward"


def test_no_grad_ops_make_no_node():
    x, _ = make()

    def f(x):
        with al.no_grad():
            return x.exp()

    s = ForwardStepper(f, x)
    s.next()
    assert "node made: no node" in s.state_text()
    assert s.frames[0].drawing is None


def test_bad_fn():
    with pytest.raises(TypeError, match="fn must be callable"):
        ForwardStepper(3, al.ones(2))
