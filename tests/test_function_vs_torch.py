"""``Function.apply`` against PyTorch: what each output is, what happens to the inputs, and
the gradients, for forwards that return their inputs (as is, twice, marked
non-differentiable, marked dirty) or new tensors, with inputs of every kind, with grad
mode on and off. tests/test_function.py states the main cases by hand.

Left out, because they differ for reasons outside ``Function``:
- a view made inside forward: a view made under no_grad of a tensor that requires grad
  requires grad in PyTorch and not here;
- ``mark_dirty`` on a view that is not the first input: PyTorch's CopySlices assumes the
  modified view is input 0 (autograd/inplace.py, ``rebase_history``).
"""

from __future__ import annotations

import pytest

import autograd_lab as al

torch = pytest.importorskip("torch")


def _double_in_place(x) -> None:
    data = x.detach().numpy()  # not an op: bumps no version, in either library
    data *= 2


# Each forward, written once for both libraries; every backward is ``_backward``.
FORWARDS = {
    "as_is": lambda ctx, x, y: x,
    "non_differentiable": lambda ctx, x, y: (ctx.mark_non_differentiable(x), x)[1],
    "twice": lambda ctx, x, y: (x, x),
    "input_and_new": lambda ctx, x, y: (x, x * 2),
    "non_differentiable_input_and_new": (
        lambda ctx, x, y: (ctx.mark_non_differentiable(x), (x, x * 2))[1]),
    "new_non_differentiable_and_input": (
        lambda ctx, x, y: (lambda z: (ctx.mark_non_differentiable(z), (z, x))[1])(x * 2)),
    "second_input": lambda ctx, x, y: y,
    "bool_and_new": lambda ctx, x, y: (x > 0, x * 1),
    "dirty": lambda ctx, x, y: (_double_in_place(x), ctx.mark_dirty(x), x)[2],
    "dirty_non_differentiable": (
        lambda ctx, x, y: (_double_in_place(x), ctx.mark_dirty(x),
                           ctx.mark_non_differentiable(x), x)[3]),
    "dirty_second_input": lambda ctx, x, y: (_double_in_place(y), ctx.mark_dirty(y), y)[2],
    "saves_what_it_returns": lambda ctx, x, y: (ctx.save_for_backward(x, y), (x, y))[1],
}


def _backward(ctx, *grads):
    """Distinct factors per output and per input, so that a gradient shows its path."""
    total = sum(g * factor for g, factor in zip(grads, (3, 5), strict=False)
                if g.is_floating_point())  # a bool output's (zero) gradient is left out
    if ctx.saved_tensors:
        x, y = ctx.saved_tensors
        total = total * x * y
    return total * 2, total * 7


def _function(lib, name):
    return type(name, (lib.autograd.Function,),
                {"forward": staticmethod(FORWARDS[name]), "backward": staticmethod(_backward)})


def _make(lib, kind, leaf):
    """An input of the given kind, made from ``leaf`` (a leaf that requires grad)."""
    return {"leaf": leaf, "non_leaf": leaf * 2, "plain": lib.tensor([1.0, 2.0]),
            "made_under_no_grad": leaf.detach() * 2}[kind]


def _grad_fn_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def _observe(lib, name, x_kind, y_kind, grad_mode):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([3.0, 4.0], requires_grad=True)
    x, y = _make(lib, x_kind, a), _make(lib, y_kind, c)
    versions = (x._version, y._version)
    try:
        with lib.set_grad_enabled(grad_mode):
            result = _function(lib, name).apply(x, y)
    except RuntimeError as error:
        return {"error": "leaf Variable" in str(error)}  # the wording differs a little
    outputs = result if isinstance(result, tuple) else (result,)
    is_view = (lambda t: t._is_view()) if lib is torch else (lambda t: t.is_view())
    seen = {}
    for i, out in enumerate(outputs):
        base = None if out._base is None else {id(x): "x", id(y): "y"}.get(id(out._base), "?")
        seen[f"output {i}"] = dict(
            requires_grad=out.requires_grad, grad_fn=_grad_fn_name(out), is_leaf=out.is_leaf,
            is_view=is_view(out), base=base, is_input=out is x or out is y,
            values=out.tolist())
    for n, t, v in (("x", x, versions[0]), ("y", y, versions[1])):
        seen[n] = dict(requires_grad=t.requires_grad, grad_fn=_grad_fn_name(t),
                       versions_bumped=t._version - v)
    with_grad = [out for out in outputs if out.requires_grad]
    if with_grad:
        sum((out * (i + 2)).sum() for i, out in enumerate(with_grad)).backward()
    seen["gradients"] = [None if t.grad is None else t.grad.tolist() for t in (a, c)]
    return seen


KINDS = ["leaf", "non_leaf", "plain", "made_under_no_grad"]


@pytest.mark.parametrize("grad_mode", [True, False], ids=["grad_mode", "no_grad"])
@pytest.mark.parametrize("y_kind", KINDS)
@pytest.mark.parametrize("x_kind", KINDS)
@pytest.mark.parametrize("name", FORWARDS)
def test_function_apply_matches_pytorch(name, x_kind, y_kind, grad_mode):
    expected = _observe(torch, name, x_kind, y_kind, grad_mode)
    assert _observe(al, name, x_kind, y_kind, grad_mode) == expected


@pytest.mark.parametrize("b_first", [True, False])
@pytest.mark.parametrize("grad_mode", [True, False])
def test_operand_order_case_matches_pytorch(grad_mode, b_first):
    """The review's case (§3.3): the input's history survives, in both libraries."""
    seen = {}
    for lib in (al, torch):
        a = lib.tensor([1.0], requires_grad=True)
        b = a * 2
        with lib.set_grad_enabled(grad_mode):
            out = _function(lib, "non_differentiable").apply(b, lib.tensor([0.0]))
        e = lib.tensor([1.0], requires_grad=True)
        ((b * e) if b_first else (e * b)).sum().backward()
        seen[lib] = (out is b, out.requires_grad, out.is_leaf, out._base is None,
                     b.requires_grad, _grad_fn_name(b), a.grad.tolist())
    assert seen[al] == seen[torch] == (False, False, True, True, True, "MulBackward0", [2.0])
