"""The ``_version`` of gradients made by formulas that write their result in place, as
PyTorch's (Note [Formulas that write their result in place] in autograd_lab/_ops/_table.py).

PyTorch's maximum/minimum formula writes zeros into ``where(...)`` with ``masked_fill_``,
max()/min() writes the share into zeros with ``masked_fill_``, and max(dim)/min(dim)
scatters into ``at::zeros`` (empty memory, then ``zero_``): the gradients autograd.grad
returns have version 1 or 2. mean's gradient is new memory, so the engine sums a second
gradient into it in place (version 1). index's formula adds the gradient into new zeros
with ``index_put_(..., accumulate=True)`` (version 1; IndexPutImplBackward0 under
create_graph), and mean's divides by the count as a number (DivBackward1). Each case
runs with the NumPy formulas and with the definitions alone (``fast_formulas(False)``),
with hand-written versions and values, and against PyTorch when it is installed.
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


def _index_repeated(L, x, y):  # index's zeros, grad added in place at [0, 0, 1]
    return x[L.tensor([0, 0, 1])].sum()


def _index_times_y(L, x, y):  # two index gradients: the second added into the first
    return (x[L.tensor([0, 1]), L.tensor([2, 2])] * y[L.tensor([0, 1])]).sum()


def _index_after_sum(L, x, y):  # sum's gradient (a view) comes first: a new sum
    return x.sum() + x[L.tensor([1])].sum()


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
    "x[[0, 0, 1]]": (_index_repeated, "x", (1,), ([[2, 2, 2], [1, 1, 1]],)),
    "x[i, j] * y[k]": (_index_times_y, "xy", (1, 1),
                       ([[0, 0, 3], [0, 0, 3]], [3, 6, 0])),
    "sum + x[[1]]": (_index_after_sum, "x", (2,), ([[1, 1, 1], [2, 2, 2]],)),
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


# name -> (program on x (2, 3), the graph its gradient records under create_graph, and
# its version)
GRAPHS = {
    "maximum": (lambda L, x: L.maximum(x, L.tensor(Y)),
                "MaskedFillBackward0(WhereBackward0(DivBackward1(AccumulateGrad), "
                "AccumulateGrad))", 1),
    "max()": (lambda L, x: x.max(),
              "MaskedFillBackward1(None, DivBackward0(AccumulateGrad, None))", 1),
    "max(0)": (lambda L, x: x.max(0)[0],
               "ScatterBackward0(None, UnsqueezeBackward0(AccumulateGrad))", 2),
    "min(1, keepdim)": (lambda L, x: x.min(1, keepdim=True)[0],
                        "ScatterBackward0(None, AccumulateGrad)", 2),
    "x[[0, 0, 1]]": (lambda L, x: x[L.tensor([0, 0, 1])],
                     "IndexPutImplBackward0(None, AccumulateGrad)", 1),
    "x[i, j]": (lambda L, x: x[L.tensor([0, 1]), L.tensor([2, 2])],
                "IndexPutImplBackward0(None, AccumulateGrad)", 1),
    "x[0]": (lambda L, x: x[0], "SelectBackwardBackward0(AccumulateGrad)", 0),
    "x[:, -1]": (lambda L, x: x[:, -1], "SelectBackwardBackward0(AccumulateGrad)", 0),
    "x.select(1, 2)": (lambda L, x: x.select(1, 2), "SelectBackwardBackward0(AccumulateGrad)", 0),
    "x[1:]": (lambda L, x: x[1:], "SliceBackwardBackward0(AccumulateGrad)", 0),
    "x[:, ::2]": (lambda L, x: x[:, ::2], "SliceBackwardBackward0(AccumulateGrad)", 0),
    "x.narrow(1, 1, 2)": (lambda L, x: x.narrow(1, 1, 2),
                          "SliceBackwardBackward0(AccumulateGrad)", 0),
    "x[1, 0]": (lambda L, x: x[1, 0],
                "SelectBackwardBackward0(SelectBackwardBackward0(AccumulateGrad))", 0),
    "x[:, 1:][0]": (lambda L, x: x[:, 1:][0],
                    "SliceBackwardBackward0(SelectBackwardBackward0(AccumulateGrad))", 0),
    "x.chunk(3, 1)[1]": (lambda L, x: x.chunk(3, 1)[1],
                         "CatBackward0(None, AccumulateGrad, None)", 0),
    "x.unbind()[1]": (lambda L, x: x.unbind()[1], "StackBackward0(None, AccumulateGrad)", 0),
    "mean()": (lambda L, x: x.mean(), "DivBackward1(ExpandBackward0(AccumulateGrad))", 0),
    "mean(1)": (lambda L, x: x.mean(1),
                "DivBackward1(ExpandBackward0(UnsqueezeBackward0(AccumulateGrad)))", 0),
}


def _create_graph(L, program):
    x = L.tensor(X, requires_grad=True)
    out = program(L, x)
    v = L.ones_like(out).requires_grad_()
    (g,) = L.autograd.grad(out, [x], grad_outputs=v, create_graph=True)
    return g


@pytest.mark.parametrize("name", GRAPHS)
def test_create_graph_records_pytorchs_formula(name):
    program, want, version = GRAPHS[name]
    for fast in (True, False):  # the Tensor formula runs either way under create_graph
        with al.autograd.fast_formulas(fast):
            g = _create_graph(al, program)
        assert _chain(g.grad_fn) == want
        assert g._version == version


@pytest.mark.parametrize("name", GRAPHS)
def test_create_graph_records_pytorchs_formula_as_pytorch(name):
    torch = pytest.importorskip("torch")
    program, want, _ = GRAPHS[name]
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


def test_the_index_formulas_gradient_of_gradient():
    """IndexPutImplBackward0 sends the second-order gradient back through ``grad[index]``:
    d/dv of sum(w * index_backward(v)) is w picked at the index (repeats picked twice)."""
    x = al.tensor(X, requires_grad=True)
    v = al.tensor([[1.0, 2.0, 3.0]] * 3, requires_grad=True)
    (g,) = al.autograd.grad(x[al.tensor([0, 0, 1])], [x], grad_outputs=v, create_graph=True)
    w = al.tensor([[1.0, 10.0, 100.0], [2.0, 20.0, 200.0]])
    (gv,) = al.autograd.grad((g * w).sum(), [v])
    np.testing.assert_allclose(gv.numpy(), [[1, 10, 100], [1, 10, 100], [2, 20, 200]])
    np.testing.assert_allclose(g.detach().numpy(), [[2, 4, 6], [1, 2, 3]])


# --- Tensor.index_put_, which index's formula uses ------------------------------------
def _index_put(L, accumulate):
    x = L.zeros(3, 4, requires_grad=True).clone()
    v = L.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    x.index_put_((L.tensor([0, 0, 2]),), v, accumulate=accumulate)
    return x, v


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_writes_or_adds_in_place(accumulate):
    x, v = _index_put(al, accumulate)
    row = [2.0, 4.0, 6.0, 8.0] if accumulate else [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_allclose(x.detach().numpy(), [row, [0] * 4, [1.0, 2.0, 3.0, 4.0]])
    assert x._version == 1
    # a user's index_put_ is IndexPutBackward0 either way, as PyTorch's (index's formula
    # calls the accumulating write itself: IndexPutImplBackward0)
    assert x.grad_fn.name() == "IndexPutBackward0"
    x.backward(al.ones(3, 4))
    np.testing.assert_allclose(v.grad.numpy(), [3.0] * 4)  # grad[indices], summed over rows


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_values_as_pytorch(accumulate):
    torch = pytest.importorskip("torch")
    (x, v), (tx, tv) = _index_put(al, accumulate), _index_put(torch, accumulate)
    np.testing.assert_allclose(x.detach().numpy(), tx.detach().numpy())
    assert x._version == tx._version
    assert x.grad_fn.name() == tx.grad_fn.name()
    x.backward(al.ones(3, 4) * 2)
    tx.backward(torch.ones(3, 4) * 2)
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy())


BAD_INDEX_PUT = {
    "indices not a tuple": lambda L: L.zeros(3, 4).index_put_(L.tensor([0]), L.ones(4)),
    "values a number": lambda L: L.zeros(3, 4).index_put_((L.tensor([0]),), 1.0),
    "None in indices": lambda L: L.zeros(3, 4).index_put_((None, L.tensor([0])), L.ones(3)),
    "float index": lambda L: L.zeros(3, 4).index_put_((L.tensor([0.0]),), L.ones(4)),
    "other dtype": lambda L: L.zeros(3, 4).index_put_((L.tensor([0]),), L.ones(4).double()),
    "too many indices": lambda L: L.zeros(3, 4).index_put_(
        (L.tensor([0]), L.tensor([0]), L.tensor([0])), L.ones(1)),
    "shape mismatch": lambda L: L.zeros(3, 4).index_put_((L.tensor([0]),), L.ones(3)),
    "shape mismatch, accumulate": lambda L: L.zeros(3, 4).index_put_(
        (L.tensor([0]),), L.ones(3), accumulate=True),
}


def _error(program, L):
    with pytest.raises(Exception) as info:
        program(L)
    return info.type, str(info.value)


@pytest.mark.parametrize("name", BAD_INDEX_PUT)
def test_index_put_refuses_bad_input_as_pytorch(name):
    kind, message = _error(BAD_INDEX_PUT[name], al)
    assert kind in (TypeError, IndexError, RuntimeError)
    torch = pytest.importorskip("torch")
    assert (kind, message) == _error(BAD_INDEX_PUT[name], torch)


# program on x (2, 3) -> the gradient of gradient of sum(w * g) with respect to v, by hand
SECOND_ORDER = {
    "x[1]": (lambda x: x[1], [4.0, 5.0, 6.0]),
    "x[:, 1:]": (lambda x: x[:, 1:], [[2.0, 3.0], [5.0, 6.0]]),
    "x[:, ::2]": (lambda x: x[:, ::2], [[1.0, 3.0], [4.0, 6.0]]),
    "x.select(1, -1)": (lambda x: x.select(1, -1), [3.0, 6.0]),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_select_and_slice_backward_send_back_what_they_placed(name):
    """SelectBackwardBackward0 / SliceBackwardBackward0 pick out again the elements their
    formula placed: d/dv sum(w * select_backward(v)) = w.select(...)."""
    pick, want = SECOND_ORDER[name]
    x = al.tensor(X, requires_grad=True)
    w = al.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    v = al.ones_like(pick(x)).requires_grad_()
    (g,) = al.autograd.grad(pick(x), [x], grad_outputs=v, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), _placed(pick))  # v is ones
    (gv,) = al.autograd.grad((g * w).sum(), [v])
    np.testing.assert_allclose(gv.numpy(), want)


def _placed(pick):
    """Ones where ``pick`` reads x (2, 3), zeros elsewhere."""
    marks = al.zeros(2, 3)
    pick(marks).fill_(1.0)
    return marks.numpy()
