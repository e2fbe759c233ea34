"""capture_backward: the backward as a program, checked against backward() itself."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab.trace import HookNotCapturableError, capture_backward


def grads_by_backward(build):
    loss, params = build()
    loss.backward()
    return {n: p.grad.numpy().copy() for n, p in params.items()}


def check_against_backward(build, **kwargs):
    """Capture, run with the captured values, compare with a fresh backward()."""
    loss, params = build()
    program = capture_backward(loss, params=params, **kwargs)
    got = program()
    assert all(p.grad is None for p in params.values()), "capturing wrote a .grad"
    expected = grads_by_backward(build)
    assert len(got) == len(params)
    for (name, _), g in zip(params.items(), got, strict=True):
        np.testing.assert_allclose(g.detach().numpy(), expected[name], rtol=1e-5, atol=1e-6)
    ns = program.namespace()
    exec(program.code, ns)  # noqa: S102 - the program's own source, run as written
    from_code = ns["forward"](program, *[program.defaults[n.name] for n in program.placeholders])
    for a, b in zip(from_code, got, strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    return loss, params, program


def mlp():
    al.manual_seed(0)
    model = al.nn.Sequential(al.nn.Linear(4, 8), al.nn.ReLU(), al.nn.Linear(8, 3))
    x = al.randn(5, 4)
    loss = al.nn.functional.log_softmax(model(x), -1).mean()
    return loss, dict(model.named_parameters())


def conv_net():
    al.manual_seed(1)
    conv = al.nn.Conv2d(1, 2, 3)
    x = al.randn(2, 1, 6, 6)
    loss = al.nn.functional.max_pool2d(conv(x).relu(), 2).pow(2).mean()
    return loss, dict(conv.named_parameters())


def views_and_inplace():
    a = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = a * 1.0
    b[0].mul_(3.0)
    v = b.t()
    return (v * b).sum(), {"a": a}


def broadcast():
    x = al.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    b = al.tensor([0.5], requires_grad=True)
    return ((x + b) * x).sum(), {"x": x, "b": b}


class Cube(al.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


def custom_function():
    x = al.tensor([1.0, -2.0, 0.5], requires_grad=True)
    return (Cube.apply(x) * x).sum(), {"x": x}


def hooked():
    x = al.tensor([0.5, 0.5], requires_grad=True)
    y = al.tensor([0.5, 0.5], requires_grad=True)
    x.register_hook(lambda g: g * g)
    h = x * y
    h.register_hook(lambda g: g + 1.0)
    return (h * 2.0).sum(), {"x": x, "y": y}


@pytest.mark.parametrize("build", [mlp, conv_net, views_and_inplace, broadcast,
                                   custom_function, hooked])
def test_program_gives_backwards_gradients_and_writes_no_grad(build):
    check_against_backward(build)


def test_graph_stays_usable_for_backward():
    loss, params = broadcast()
    capture_backward(loss, params=params)
    loss.backward()  # would raise if capturing had freed the saved values
    np.testing.assert_allclose(params["b"].grad.numpy(), grads_by_backward(broadcast)["b"])


def test_program_runs_on_new_values():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    w = al.tensor([3.0, 4.0], requires_grad=True)
    program = capture_backward((x * w).sum(), params={"x": x, "w": w})
    assert [n.name for n in program.placeholders] == ["tangents_1", "w", "x"]
    gx, gw = program(al.tensor(2.0), al.tensor([10.0, 20.0]), al.tensor([5.0, 6.0]))
    np.testing.assert_array_equal(gx.numpy(), [20.0, 40.0])  # tangent * w
    np.testing.assert_array_equal(gw.numpy(), [10.0, 12.0])  # tangent * x


def test_printed_program_reads_in_engine_order():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    w = al.tensor([3.0, 4.0], requires_grad=True)
    text = capture_backward((x * w).sum(), params={"x": x, "w": w}).print_readable(False)
    assert text.splitlines() == [
        "class backward(al.nn.Module):",
        '    def forward(self, tangents_1: "f32[]", w: "f32[2]", x: "f32[2]"):',
        "        # SumBackward0",
        '        expand: "f32[2]" = ops.expand(tangents_1, size=(2,), self_sym_sizes=());  '
        "tangents_1 = None",
        "        # MulBackward0",
        '        mul: "f32[2]" = ops.mul(expand, w);  w = None',
        '        mul_1: "f32[2]" = ops.mul(expand, x);  expand = x = None',
        "        # AccumulateGrad (x)",
        "        x_grad: \"f32[2]\" = accumulate_grad('x', mul);  mul = None",
        "        # AccumulateGrad (w)",
        "        w_grad: \"f32[2]\" = accumulate_grad('w', mul_1);  mul_1 = None",
        "        return (x_grad, w_grad)",
    ]


def test_groups_follow_the_engine_and_hooks_are_marked():
    loss, params = hooked()
    program = capture_backward(loss, params=params)
    groups = [n.meta.get("group") for n in program.graph if n.op == "call_function"]
    order = [g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g]
    steps = [s.node.name() for s in al.autograd.backward_steps(hooked()[0])]
    nodes = [g for g in order if g.endswith("Backward0") and " " not in g]
    assert nodes == [s for s in steps if s.endswith("Backward0")]  # the engine's order
    # a hook's ops come where the engine runs it: x*y's output hook before MulBackward0
    hook = order.index("tensor hook <lambda> on output 0 of MulBackward0")
    assert order[hook - 1:hook + 2] == ["MulBackward0", order[hook], "MulBackward0"]
    assert order.index("tensor hook <lambda> of x") == order.index("AccumulateGrad (x)") - 1


def test_retain_grad_is_not_written():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h.retain_grad()
    program = capture_backward((h * h).sum(), params={"x": x})
    assert h.grad is None and x.grad is None
    np.testing.assert_allclose(program()[0].numpy(), 8 * x.detach().numpy())
    (h * h).sum().backward()
    assert h.grad is not None  # retain_grad still works afterwards


def test_inputs_and_a_seed_for_a_non_scalar_loss():
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    program = capture_backward(y, inputs=[x], gradient=al.tensor([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(program()[0].numpy(), [2.0, 0.0, 12.0])
    with pytest.raises(RuntimeError, match="implicit only for a scalar loss"):
        capture_backward(y)


def test_hook_that_changes_python_state_cannot_be_captured():
    class Counter:
        def __init__(self) -> None:
            self.counter = 0

    def count_and_square(grad, obj):
        obj.counter = obj.counter + 1
        return grad * grad

    obj = Counter()
    x = al.tensor([0.5, 0.5], requires_grad=True)
    x.register_hook(functools.partial(count_and_square, obj=obj))
    with pytest.raises(HookNotCapturableError,
                       match=r"count_and_square .* changes Python state "
                             r"\(Counter.counter went from 0 to 1\)"):
        capture_backward((x + 1.0).sum())
    assert x.grad is None


def test_hook_that_prints_cannot_be_captured(capsys):
    def noisy(grad):
        print("Boo!")
        return grad * grad

    x = al.tensor([0.5, 0.5], requires_grad=True)
    x.register_hook(noisy)
    with pytest.raises(HookNotCapturableError, match=r"hook noisy of a leaf prints \('Boo!'\)"):
        capture_backward((x + 1.0).sum())
    assert capsys.readouterr().out == ""  # the print was caught, not shown
    (x + 1.0).sum().backward()  # the hook itself is left as it was
    assert capsys.readouterr().out == "Boo!\n"


def test_errors():
    with pytest.raises(TypeError, match="loss must be a Tensor"):
        capture_backward([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        capture_backward(al.ones(2).sum())
    x = al.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by an earlier backward"):
        capture_backward(loss)
