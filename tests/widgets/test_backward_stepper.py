"""BackwardStepper driven from Python: it is the engine, paused, and its text is its state."""

from __future__ import annotations

import logging

import ipywidgets as widgets
import numpy as np
import pytest

import autograd_lab as al
from autograd_lab.viz._dot import CURRENT
from autograd_lab.widgets import BackwardStepper


def make_graph():
    """A small graph with broadcasting (b), fan-in (x used twice) and a hook."""
    x = al.tensor([1.0, 2.0], requires_grad=True)
    w = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = al.tensor([0.5], requires_grad=True)
    h = w * x + b
    h.register_hook(lambda g: g * 1.0)
    loss = (h.relu() * x).sum()
    return loss, {"x": x, "w": w, "b": b}


def reference_grads():
    loss, params = make_graph()
    loss.backward()
    return {name: t.grad.numpy().copy() for name, t in params.items()}


def engine_order():
    loss, _ = make_graph()
    return [s.node.name() for s in al.autograd.backward_steps(loss)]


def test_starts_before_the_first_node_and_writes_no_grad_yet():
    loss, params = make_graph()
    s = BackwardStepper(loss, params=params)
    assert s.position == 0
    assert s.state_text().startswith(f"step 0/{s.n_steps}: not started")
    assert "n0 SumBackward0 receives the seed gradient" in s.state_text()
    assert all(t.grad is None for t in params.values())
    assert s.back_button.disabled and not s.next_button.disabled


def test_n_steps_is_what_the_engine_runs_and_the_order_is_its_own():
    loss, params = make_graph()
    s = BackwardStepper(loss, params=params)
    assert s.n_steps == len(engine_order())
    s.last()
    assert [step.node.name() for step in s.steps] == engine_order()
    assert [step.index for step in s.steps] == list(range(s.n_steps))


def test_next_button_runs_one_node_and_grads_fill_as_the_engine_writes_them():
    loss, params = make_graph()
    s = BackwardStepper(loss, params=params)
    for k in range(1, s.n_steps + 1):
        s.next_button.click()
        assert s.position == k
        assert s.state_text().startswith(f"step {k}/{s.n_steps}: ")
        assert s.slider.value == k
    assert s.next_button.disabled and s.last_button.disabled
    ref = reference_grads()
    for name, t in params.items():
        np.testing.assert_allclose(t.grad.numpy(), ref[name])
    for name, g in s.leaf_grads().items():
        np.testing.assert_allclose(g.numpy(), ref[name])


def test_slider_and_last_reach_the_end_with_backwards_grads():
    loss, params = make_graph()
    s = BackwardStepper(loss, params=params)
    s.slider.value = s.n_steps  # observers run synchronously; their errors propagate
    assert s.position == s.n_steps
    ref = reference_grads()
    for name, t in params.items():
        np.testing.assert_allclose(t.grad.numpy(), ref[name])


def test_stepping_back_shows_the_snapshot_of_that_step():
    loss, params = make_graph()
    s = BackwardStepper(loss, params=params)
    s.goto(5)
    text_at_5, grads_at_5 = s.state_text(), {k: v.numpy().copy() for k, v in s.leaf_grads().items()}
    s.last_button.click()
    s.back_button.click()
    assert s.position == s.n_steps - 1
    s.goto(5)
    assert s.state_text() == text_at_5
    assert {k: v.numpy().tolist() for k, v in s.leaf_grads().items()} == \
        {k: v.tolist() for k, v in grads_at_5.items()}
    s.first_button.click()
    assert s.position == 0 and s.current is None


def test_current_node_is_highlighted_by_id_without_a_new_layout():
    loss, params = make_graph()
    s = BackwardStepper(loss, params=params)
    svg_before = s.drawing.svg()
    s.next_button.click()
    s.next_button.click()
    html = s.svg_source()
    node_id = s.drawing.svg_id(s.current.node)
    assert f'data-current="{node_id}"' in html
    assert f"#{node_id} > polygon" in html and CURRENT in html
    assert svg_before[svg_before.index("<svg"):] in html  # the same layout, restyled
    s.next_button.click()
    assert f'data-current="{node_id}"' not in s.svg_source()


def test_panel_names_the_rule_the_gradients_and_the_algorithm():
    loss, params = make_graph()
    s = BackwardStepper(loss, params=params)
    s.goto(2)  # MulBackward0 of relu(h) * x
    text = s.state_text()
    assert "MulBackward0" in text.splitlines()[0]
    assert text.splitlines()[1] == f"rule: {s.current.node.formula()}"
    assert "gradient in: tensor([[1., 1.], [1., 1.]])" in text
    assert "saved values read: self" in text
    assert "waiting: " in text and "needs 2 gradients, has 1" in text  # x is used twice
    while "AddBackward0" not in s.state_text().splitlines()[0]:
        s.next()
    text = s.state_text()
    assert "summed over dim 0, 1 to [1]" in text  # b's gradient, broadcast from [2, 2]
    assert "hooks that ran: tensor hook <lambda> on output 0" in text


def test_text_plain_is_the_whole_state_text():
    loss, params = make_graph()
    s = BackwardStepper(loss, params=params)
    s.goto(3)
    bundle = s._repr_mimebundle_()
    assert bundle["text/plain"] == s.state_text() == repr(s)
    assert len(bundle["text/plain"]) > 110  # ipywidgets would cut it there
    assert "0x" not in bundle["text/plain"]


def test_same_program_same_text():
    texts = []
    for _ in range(2):
        loss, params = make_graph()
        s = BackwardStepper(loss, params=params)
        s.last()
        texts.append([s.state_text() for s.position in range(s.n_steps + 1)])
    assert texts[0] == texts[1]


def test_play_and_speed_are_linked():
    loss, params = make_graph()
    s = BackwardStepper(loss, params=params)
    assert isinstance(s.play, widgets.Play) and s.play.max == s.n_steps
    s.speed.value = 300
    assert s.play.interval == 300
    s.play.value = 2  # what the browser's Play does each tick
    assert s.position == 2 and s.slider.value == 2


def test_inputs_restricts_the_pass_like_backward_inputs():
    loss, params = make_graph()
    s = BackwardStepper(loss, inputs=[params["w"]], params=params)
    s.last()
    loss2, params2 = make_graph()
    loss2.backward(inputs=[params2["w"]])
    np.testing.assert_allclose(params["w"].grad.numpy(), params2["w"].grad.numpy())
    assert params["x"].grad is None and params["b"].grad is None


def test_custom_function_and_inplace_on_a_view():
    class Cube(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    def build():
        a = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = Cube.apply(a).clone()
        b[1:].mul_(2.0)
        return (b * b).sum(), a

    loss, a = build()
    s = BackwardStepper(loss, params={"a": a})
    names = []
    while s.position < s.n_steps:
        s.next_button.click()
        names.append(s.state_text().splitlines()[0])
    assert any("CopySlices" in n for n in names) and any("CubeBackward" in n for n in names)
    loss2, a2 = build()
    loss2.backward()
    np.testing.assert_allclose(a.grad.numpy(), a2.grad.numpy())


def test_the_fixture_would_catch_a_swallowed_handler_error(caplog):
    button = widgets.Button()
    button.on_click(lambda _: 1 / 0)
    with caplog.at_level(logging.WARNING):
        button.click()  # ipywidgets logs the ZeroDivisionError and carries on
    assert any("Exception in callback" in r.getMessage() for r in caplog.records)
    caplog.clear()  # this test wanted that record; the autouse fixture must not see it


@pytest.mark.parametrize("position", [-3, 10_000])
def test_goto_clamps_to_the_pass(position):
    loss, params = make_graph()
    s = BackwardStepper(loss, params=params)
    s.goto(position)
    assert s.position == (0 if position < 0 else s.n_steps)


def test_predict_mode_checks_then_reveals():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * 3.0).sum()
    s = BackwardStepper(loss, params={"x": x}, predict=True)
    assert s.guess in s.children[1].children and s.check_button.description == "check"
    # step 1: SumBackward0 sends ones([2]) to MulBackward0
    assert s.check("[1, 1]").startswith("✓ right: edge 0 of n0 SumBackward0")
    assert s.position == 1 and "your prediction: ✓" in s.state_text()
    s.guess.value = "[1, 1]"
    s.check_button.click()  # MulBackward0 sends 3 * grad
    assert s.position == 2
    assert s.feedback == "✗ not quite: edge 0 of n1 MulBackward0 (to n2 leaf x) is tensor([3., 3.])"
    assert s.check("3").startswith("✓ right: n2 leaf x's .grad")  # a scalar broadcasts
    assert s.check("1") == "the pass is over: nothing left to predict"
    s.back()
    assert "your prediction" not in s.state_text()


def test_predict_mode_explains_what_it_cannot_read():
    x = al.tensor([[1.0, 2.0]], requires_grad=True)
    s = BackwardStepper((x * 2.0).sum(), predict=True)
    assert s.check("one").startswith("✗ could not read 'one'")
    assert s.position == 1  # the node ran anyway: the prediction is over
    assert s.check("[1, 2, 3]").startswith("✗ shape [3], but edge 0 of n1 MulBackward0")
