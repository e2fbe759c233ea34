"""Issue 14: formulas written as PyTorch's, operand order included, so the graphs
``create_graph=True`` records (and the ones a second ``create_graph`` records on top of
them) have PyTorch's nodes in PyTorch's places. Found by scanning every op of the fuzzer
at first and second order against PyTorch 2.13; the expected chains are written out here
and compared with torch too when it is installed."""

import numpy as np
import pytest

import autograd_lab as al


def chain(fn, depth=6):
    """``grad_fn`` as nested (name, next chains); a node without next functions is a name."""
    if fn is None:
        return None
    name = type(fn).__name__ if not hasattr(fn, "name") else fn.name()
    name = name.removeprefix("torch::autograd::")
    if depth == 0 or not fn.next_functions:
        return name
    return (name, tuple(chain(f, depth - 1) for f, _ in fn.next_functions))


def _leaves(L, *arrays):
    return [L.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]


ACC = "AccumulateGrad"


def _mv_grads(L):
    a, v = _leaves(L, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [0.5, -1.0, 2.0])
    return L.autograd.grad((a @ v).sum(), [a, v], create_graph=True)


def _mm_grads(L):
    a, b = _leaves(L, [[1.0, 2.0], [3.0, 4.0]], [[0.5, -1.0], [2.0, 1.5]])
    return L.autograd.grad((a @ b).sum(), [a, b], create_graph=True)


def _div_other_grad(L):
    x, y = _leaves(L, [1.0, 2.0], [0.5, 4.0])
    return L.autograd.grad((x / y).sum(), [y], create_graph=True)


def _tanh_second(L):
    (x,) = _leaves(L, [0.3, -1.2])
    (g,) = L.autograd.grad(x.tanh().sum(), [x], create_graph=True)
    return L.autograd.grad(g.sum(), [x], create_graph=True)


def _mul_by_0d(L):
    x, c = _leaves(L, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], 0.5)
    return L.autograd.grad((x * c).sum(), [c], create_graph=True)


def _var_no_dof(L):
    (x,) = _leaves(L, [1.0, 2.0])
    return L.autograd.grad(x.var(correction=2), [x], create_graph=True)


def _where_grad(L):
    x, y = _leaves(L, [1.0, -2.0, 3.0], [0.5, 0.5, 0.5])
    u = L.where(x > y, x, y)
    return L.autograd.grad((u * u).sum(), [x], create_graph=True)


CASES = {
    # where: grad_self = where(condition, grad, 0), the 0 a number (no edge), not grad * 0
    "where": (_where_grad, [("WhereBackward0", (("AddBackward0", (
        ("MulBackward0", (None, ("WhereBackward0", (ACC, ACC)))),
        ("MulBackward0", (None, ("WhereBackward0", (ACC, ACC)))))), None))]),
    # a gradient summed back to a 0-d input: PyTorch's sum_to is a plain sum() then
    "mul_by_0d": (_mul_by_0d, [("SumBackward0", (("MulBackward0", (None, ACC)),))]),
    # N - correction <= 0 over all dims: grad * where(self == mean, nan, inf), nothing recorded
    "var_no_dof": (_var_no_dof, [None]),
    # mv: grad_self = grad.unsqueeze(-1) * vec (the vector as it is), grad_vec = self.t() @ grad
    "mv": (_mv_grads, [("MulBackward0", (None, ACC)),
                       ("MvBackward0", (("TBackward0", (ACC,)), None))]),
    # mm: grad @ mat2.t() and self.t() @ grad (TBackward0 for a matrix)
    "mm": (_mm_grads, [("MmBackward0", (None, ("TBackward0", (ACC,)))),
                       ("MmBackward0", (("TBackward0", (ACC,)), None))]),
    # div: grad_other = -grad * ((self / other) / other)
    "div_other": (_div_other_grad,
                  [("MulBackward0", (None, ("DivBackward0", (("DivBackward0", (ACC, ACC)),
                                                               ACC))))]),
    # tanh_backward's own backward: grad_output = grad * (-2 * output * grad_output)
    "tanh_second": (_tanh_second,
                    [("TanhBackwardBackward0",
                      (("MulBackward0", (None, ("MulBackward0", (("MulBackward1", (
                          ("TanhBackward0", (ACC,)),)), None)))),
                       ("TanhBackward0", (ACC,))))]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_formula_records_pytorchs_ops(name):
    make, expected = CASES[name]
    assert [chain(g.grad_fn) for g in make(al)] == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_formula_matches_torch(name):
    torch = pytest.importorskip("torch")
    make, expected = CASES[name]
    ours, theirs = make(al), make(torch)
    assert [chain(g.grad_fn) for g in theirs] == expected
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


def test_var_without_degrees_of_freedom_is_inf_or_nan_as_pytorch():
    """2 / (N - correction) is inf: every element's gradient is inf (not -inf below the
    mean), nan where an element is the mean; in both formula settings."""
    for fast in (True, False):
        with al.autograd.fast_formulas(fast):
            x = al.tensor([1.0, 2.0, 1.5], dtype=al.float64, requires_grad=True)
            with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):  # as PyTorch
                x.var(correction=3).backward()
            assert x.grad.tolist()[:2] == [float("inf")] * 2 and np.isnan(x.grad.tolist()[2])
