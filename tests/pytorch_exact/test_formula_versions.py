"""The ``_version`` of gradients made by formulas that write their result in place, as
PyTorch's (Note [Formulas that write their result in place] in autograd_lab/_ops/_table.py).

PyTorch's maximum/minimum formula writes zeros into ``where(...)`` with ``masked_fill_``,
max()/min() writes the share into zeros with ``masked_fill_``, and max(dim)/min(dim)
scatters into ``at::zeros`` (empty memory, then ``zero_``): the gradients autograd.grad
returns have version 1 or 2. mean's gradient is new memory, so the engine sums a second
gradient into it in place (version 1). Each case runs with the NumPy formulas and with
the definitions alone (``fast_formulas(False)``), with hand-written versions and values,
and against PyTorch when it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al

X = [[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]
Y = [3.0, 3.0, 3.0]


def _maximum(L, x, y):
    return L.maximum(x, y).sum()


def _minimum(L, x, y):
    return L.minimum(x, y).sum()


def _maximum_self(L, x, y):  # two gradients of version 1, the second added in place
    return L.maximum(x, x).sum()


def _max_all(L, x, y):
    return x.max()


def _min_all(L, x, y):
    return x.min()


def _max_dim(L, x, y):
    return x.max(0)[0].sum()


def _min_dim_keepdim(L, x, y):
    return x.min(1, keepdim=True)[0].sum()


def _max_dim_times_two(L, x, y):  # max's formula runs last: its result is the gradient
    return (x.max(1)[0] * 2).sum()


def _mean_then_sum(L, x, y):  # sum's gradient (a view) is added into mean's (new memory)
    return x.sum() + x.mean()


def _mean_dim_then_sum(L, x, y):
    return x.sum() + x.mean(0).sum()


# name -> (program, inputs, expected versions, expected gradients)
CASES = {
    "maximum": (_maximum, "xy", (1, 0),
                ([[0, 1, 0.5], [1, 0, 1]], [1, 1, 0.5])),
    "minimum": (_minimum, "xy", (1, 0),
                ([[1, 0, 0.5], [0, 1, 0]], [1, 1, 1.5])),
    "maximum(x, x)": (_maximum_self, "x", (2,), ([[1, 1, 1], [1, 1, 1]],)),
    "max()": (_max_all, "x", (1,), ([[0, 0, 0], [0, 0, 1]],)),
    "min()": (_min_all, "x", (1,), ([[1, 0, 0], [0, 0, 0]],)),
    "max(0)": (_max_dim, "x", (2,), ([[0, 1, 0], [1, 0, 1]],)),
    "min(1, keepdim)": (_min_dim_keepdim, "x", (2,), ([[1, 0, 0], [0, 1, 0]],)),
    "max(1) * 2": (_max_dim_times_two, "x", (2,), ([[0, 2, 0], [0, 0, 2]],)),
    "sum + mean": (_mean_then_sum, "x", (1,), ([[7 / 6] * 3] * 2,)),
    "sum + mean(0)": (_mean_dim_then_sum, "x", (1,), ([[1.5] * 3] * 2,)),
}


def _grads(L, case):
    program, names, _, _ = case
    x = L.tensor(X, requires_grad=True)
    y = L.tensor(Y, requires_grad=True)
    inputs = [{"x": x, "y": y}[n] for n in names]
    return L.autograd.grad(program(L, x, y), inputs)


@pytest.mark.parametrize("fast", [True, False], ids=["numpy-formulas", "definitions"])
@pytest.mark.parametrize("name", CASES)
def test_gradient_versions_and_values(name, fast):
    case = CASES[name]
    with al.autograd.fast_formulas(fast):
        grads = _grads(al, case)
    assert tuple(g._version for g in grads) == case[2]
    for g, want in zip(grads, case[3], strict=True):
        np.testing.assert_allclose(g.numpy(), np.asarray(want), rtol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_gradient_versions_as_pytorch(name):
    torch = pytest.importorskip("torch")
    case = CASES[name]
    theirs = _grads(torch, case)
    ours = _grads(al, case)
    assert tuple(g._version for g in ours) == tuple(g._version for g in theirs)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-6)


def test_a_view_of_a_written_gradient_shares_its_version():
    """sum's expand of max(dim)'s gradient, through a view op: the view shares the
    version counter of the gradient it views (Note [Views of a gradient summed in place])."""
    for fast in (True, False):
        with al.autograd.fast_formulas(fast):
            x = al.tensor(X, requires_grad=True)
            (g,) = al.autograd.grad(L_max_view(al, x), [x])
        assert g._version == 2, fast


def L_max_view(L, x):  # noqa: N802 - the library is an argument, as above
    return x.reshape(6).max(0)[0]


def test_a_view_of_a_written_gradient_as_pytorch():
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, requires_grad=True)
    (g,) = torch.autograd.grad(L_max_view(torch, x), [x])
    assert g._version == 2


def _chain(fn) -> str:
    if fn is None:
        return "None"
    name = fn.name().removeprefix("torch::autograd::")
    nexts = [_chain(f) for f, _ in fn.next_functions]
    return f"{name}({', '.join(nexts)})" if nexts else name


# name -> (program on x (2, 3), the graph its gradient records under create_graph)
GRAPHS = {
    "maximum": (lambda L, x: L.maximum(x, L.tensor(Y)),
                "MaskedFillBackward0(WhereBackward0(DivBackward1(AccumulateGrad), "
                "AccumulateGrad))"),
    "max()": (lambda L, x: x.max(),
              "MaskedFillBackward1(None, DivBackward0(AccumulateGrad, None))"),
    "max(0)": (lambda L, x: x.max(0)[0],
               "ScatterBackward0(None, UnsqueezeBackward0(AccumulateGrad))"),
    "min(1, keepdim)": (lambda L, x: x.min(1, keepdim=True)[0],
                        "ScatterBackward0(None, AccumulateGrad)"),
}


def _create_graph(L, program):
    x = L.tensor(X, requires_grad=True)
    out = program(L, x)
    v = L.ones_like(out).requires_grad_()
    (g,) = L.autograd.grad(out, [x], grad_outputs=v, create_graph=True)
    return g


@pytest.mark.parametrize("name", GRAPHS)
def test_create_graph_records_pytorchs_formula(name):
    program, want = GRAPHS[name]
    g = _create_graph(al, program)
    assert _chain(g.grad_fn) == want
    assert g._version == CASES[name][2][0]


@pytest.mark.parametrize("name", GRAPHS)
def test_create_graph_records_pytorchs_formula_as_pytorch(name):
    torch = pytest.importorskip("torch")
    program, want = GRAPHS[name]
    g = _create_graph(torch, program)
    assert _chain(g.grad_fn) == want
    assert g._version == _create_graph(al, program)._version


def test_the_engine_never_writes_into_a_gradient_the_caller_gave():
    """mean's gradient is new memory the engine may sum into; the caller's seed is not."""
    x = al.tensor(X, requires_grad=True)
    seed = al.tensor(1.0)
    (g,) = al.autograd.grad(x.mean() + x.sum(), [x], grad_outputs=seed)
    assert seed.item() == 1.0 and seed._version == 0
    np.testing.assert_allclose(g.numpy(), np.full((2, 3), 7 / 6))
