"""Issue 14: the graph ``autograd.grad(..., create_graph=True)`` records is PyTorch's.

Under create_graph a derivative formula runs as recorded ops, so the gradient's graph shows
how the formula is written. var, std, norm, prod, erf and erfinv are written as PyTorch's
derivatives.yaml / FunctionsManual formulas, op for op; softmax, log_softmax, gelu,
softplus and mse_loss call their backward as one op (one ...BackwardBackward0 node).
Each case has a hand-written name chain (from PyTorch 2.13, checked against torch when it
is installed) and second-order values checked by finite differences; prod with one and
two zeros takes PyTorch's zeros branch (two cumprods), exact."""
import numpy as np
import pytest
from helpers import check_gradgrad

import autograd_lab as al

X = [[1.0, 2.0, -3.0], [0.5, -1.5, 2.5]]
X_ONE_ZERO = [[1.0, 0.0, -3.0], [0.5, -1.5, 2.5]]
X_TWO_ZEROS = [[1.0, 0.0, -3.0], [0.0, -1.5, 2.5]]

def _F(x):
    """``nn.functional`` of the library ``x`` comes from."""
    if isinstance(x, al.Tensor):
        return al.nn.functional
    import torch

    return torch.nn.functional


# name: (f, input, the grad_fn names of the create_graph gradient of f(x).sum(), breadth
# first from its grad_fn, each node once)
CASES = {
    # var_backward: (2 / dof) * grad * (self - self.mean()); a constant grad is not recorded
    "var": (lambda x: x.var(), X,
            ["MulBackward0", "SubBackward0", "AccumulateGrad", "MeanBackward0"]),
    "var_dim": (lambda x: x.var(1), X,
                ["MulBackward0", "SubBackward0", "AccumulateGrad", "MeanBackward1"]),
    "var_keepdim": (lambda x: x.var(0, keepdim=True), X,
                    ["MulBackward0", "SubBackward0", "AccumulateGrad", "MeanBackward1"]),
    # std_backward: var_backward((grad / (result * 2)).masked_fill_(result == 0, 0), ...)
    "std": (lambda x: x.std(), X,
            ["MulBackward0", "MulBackward1", "SubBackward0", "MaskedFillBackward0",
             "AccumulateGrad", "MeanBackward0", "DivBackward0", "MulBackward1", "StdBackward0"]),
    "std_dim": (lambda x: x.std(1), X,
                ["MulBackward0", "MulBackward1", "SubBackward0", "UnsqueezeBackward0",
                 "AccumulateGrad", "MeanBackward1", "MaskedFillBackward0", "DivBackward0",
                 "MulBackward1", "StdBackward0"]),
    # norm_backward, p = 2: grad * (self / norm).masked_fill_(norm == 0, 0)
    "norm": (lambda x: x.norm(), X,
             ["MulBackward0", "MaskedFillBackward0", "DivBackward0", "AccumulateGrad",
              "LinalgVectorNormBackward0"]),
    "norm_dim": (lambda x: x.norm(dim=1), X,
                 ["MulBackward0", "MaskedFillBackward0", "DivBackward0", "AccumulateGrad",
                  "UnsqueezeBackward0", "LinalgVectorNormBackward0"]),
    # p > 2: self * |self|^(p-2) * (grad / norm^(p-1)).masked_fill_(norm == 0, 0)
    "norm_p3": (lambda x: x.norm(3), X,
                ["MulBackward0", "MulBackward0", "MaskedFillBackward0", "AccumulateGrad",
                 "PowBackward0", "DivBackward0", "AbsBackward0", "PowBackward0",
                 "LinalgVectorNormBackward0"]),
    # prod_backward without zeros: grad * (result / self)
    "prod": (lambda x: x.prod(), X,
             ["MulBackward0", "DivBackward0", "ProdBackward0", "AccumulateGrad"]),
    "prod_dim": (lambda x: x.prod(1), X,
                 ["MulBackward0", "DivBackward0", "UnsqueezeBackward0", "AccumulateGrad",
                  "ProdBackward1"]),
    # with zeros: grad * (cumprod(cat(1, x[:-1])) * flip(cumprod(cat(1, flip(x[1:])))))
    "prod_one_zero": (lambda x: x.prod(), X_ONE_ZERO,
                      ["ViewBackward0", "MulBackward0", "MulBackward0", "CumprodBackward0",
                       "FlipBackward0", "CatBackward0", "CumprodBackward0", "SliceBackward0",
                       "CatBackward0", "ViewBackward0", "FlipBackward0", "AccumulateGrad",
                       "SliceBackward0"]),
    "prod_dim_one_zero": (lambda x: x.prod(1), X_ONE_ZERO,
                          ["MulBackward0", "MulBackward0", "CumprodBackward0", "FlipBackward0",
                           "CatBackward0", "CumprodBackward0", "SliceBackward0", "CatBackward0",
                           "AccumulateGrad", "FlipBackward0", "SliceBackward0"]),
    "prod_two_zeros": (lambda x: x.prod(), X_TWO_ZEROS,
                       ["ViewBackward0", "MulBackward0", "MulBackward0", "CumprodBackward0",
                        "FlipBackward0", "CatBackward0", "CumprodBackward0", "SliceBackward0",
                        "CatBackward0", "ViewBackward0", "FlipBackward0", "AccumulateGrad",
                        "SliceBackward0"]),
    # 2 / sqrt(pi) * exp(-self.pow(2)) * grad
    "erf": (lambda x: x.erf(), X,
            ["MulBackward0", "MulBackward1", "ExpBackward0", "NegBackward0", "PowBackward0",
             "AccumulateGrad"]),
    # 0.5 * sqrt(pi) * exp(self.erfinv().pow(2)) * grad (x * 0.2 is the input's MulBackward0)
    "erfinv": (lambda x: (x * 0.2).erfinv(), X,
               ["MulBackward0", "MulBackward0", "MulBackward1", "ExpBackward0", "PowBackward0",
                "ErfinvBackward0", "MulBackward0", "AccumulateGrad"]),
    # one op, as PyTorch's (its backward is the row's own double-backward formula)
    "softmax": (lambda x: x.softmax(1), X,
                ["SoftmaxBackwardDataBackward0", "SoftmaxBackward0", "AccumulateGrad"]),
    "log_softmax": (lambda x: x.log_softmax(0), X,
                    ["LogSoftmaxBackwardDataBackward0", "LogSoftmaxBackward0", "AccumulateGrad"]),
    "gelu": (lambda x: _F(x).gelu(x), X, ["GeluBackwardBackward0", "AccumulateGrad"]),
    "gelu_tanh": (lambda x: _F(x).gelu(x, approximate="tanh"), X,
                  ["GeluBackwardBackward0", "AccumulateGrad"]),
    "softplus": (lambda x: _F(x).softplus(x, beta=2.0, threshold=3.0), X,
                 ["SoftplusBackwardBackward0", "AccumulateGrad"]),
    "mse_loss": (lambda x: _F(x).mse_loss(x, x.detach() * 0.0 + 0.25), X,
                 ["MseLossBackwardBackward0", "AccumulateGrad"]),
    "mse_loss_none": (lambda x: _F(x).mse_loss(x, x.detach() * 0.0 + 0.25, reduction="none"), X,
                      ["MseLossBackwardBackward0", "AccumulateGrad"]),
}


def _names(t, name=lambda node: node.name()):
    """grad_fn names reachable from ``t``, breadth first, each node once."""
    out, seen, queue = [], set(), [t.grad_fn]
    while queue:
        node = queue.pop(0)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        out.append(name(node))
        queue.extend(fn for fn, _ in node.next_functions)
    return out


def _gradients(L, f, data):
    """The create_graph gradient of f(x).sum() and the gradient of its sum of squares."""
    x = L.tensor(data, dtype=L.float64, requires_grad=True)
    (g,) = L.autograd.grad(f(x).sum(), x, create_graph=True)
    (h,) = L.autograd.grad((g * g).sum(), x)
    return g, h


@pytest.mark.parametrize("case", list(CASES))
def test_the_gradient_records_pytorchs_formula(case):
    f, data, names = CASES[case]
    g, _ = _gradients(al, f, data)
    assert _names(g) == names


@pytest.mark.parametrize("case", list(CASES))
def test_second_order_values_match_finite_differences(case):
    f, data, _ = CASES[case]
    check_gradgrad(f, [al.tensor(data, dtype=al.float64, requires_grad=True)])


@pytest.mark.parametrize("data", [X_ONE_ZERO, X_TWO_ZEROS, [[0.0, 0.0, 0.0], [2.0, 0.0, 3.0]]])
def test_prod_gradient_is_the_product_of_the_others_with_zeros(data):
    a = np.array(data)
    x = al.tensor(data, dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(x.prod(), x)
    flat = a.reshape(-1)
    others = [np.prod(np.delete(flat, i)) for i in range(flat.size)]
    assert g.numpy().reshape(-1).tolist() == others
    (g,) = al.autograd.grad(x.prod(1).sum(), x)
    assert g.tolist() == [[np.prod(np.delete(row, i)) for i in range(3)] for row in a]


@pytest.mark.parametrize("case", list(CASES))
def test_as_pytorch(case):
    torch = pytest.importorskip("torch")
    f, data, names = CASES[case]
    g, h = _gradients(al, f, data)
    tg, th = _gradients(torch, f, data)
    assert _names(tg, lambda node: type(node).__name__) == names
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12, atol=1e-12)


def test_second_order_at_a_zero_norm_and_std_is_pytorchs_nan():
    """masked_fill zeroes the first derivative where norm (std) is 0, and the division's own
    derivative there is 0/0: nan, as in PyTorch."""
    x = al.zeros(3, dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(x.norm(), x, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0]
    (h,) = al.autograd.grad(g.sum(), x)
    assert np.isnan(h.numpy()).all()
    x = al.ones(2, 3, dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(x.std(1).sum(), x, create_graph=True)
    assert g.tolist() == [[0.0] * 3] * 2
    (h,) = al.autograd.grad(g.sum(), x)
    assert h.tolist() == [[0.0] * 3] * 2  # (no path through the masked division here)


def _double_backward_graph(L, fn, data):
    """Second derivatives through each one-op gradient, everything requiring grad: the
    gradients w.r.t. x and w.r.t. the incoming gradient v, and their node chains."""
    x = L.tensor(data, dtype=L.float64, requires_grad=True)
    y = fn(x)
    v = L.tensor(np.linspace(0.5, 2.0, y.numel()).reshape(tuple(y.shape)), dtype=L.float64,
                 requires_grad=True)
    (g,) = L.autograd.grad(y, x, v, create_graph=True)
    w = L.tensor([[0.3, 0.1, -0.2], [0.5, 0.7, 0.11]], dtype=L.float64)
    hx, hv = L.autograd.grad(g, (x, v), w, create_graph=True)
    return hx, hv


ONE_OP = ["softmax", "log_softmax", "gelu", "gelu_tanh", "softplus", "mse_loss",
          "mse_loss_none"]


@pytest.mark.parametrize("case", ONE_OP)
def test_one_op_double_backward_as_pytorch(case):
    torch = pytest.importorskip("torch")
    f, data, _ = CASES[case]
    ours = _double_backward_graph(al, f, data)
    theirs = _double_backward_graph(torch, f, data)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
    if case != "gelu_tanh":  # its second derivative is written out here, not as PyTorch's
        assert _names(ours[0]) == _names(theirs[0], lambda node: type(node).__name__)
    if not case.startswith("mse_loss"):  # (the engine sums mse's 0-d grad_output its own way)
        assert _names(ours[1]) == _names(theirs[1], lambda node: type(node).__name__)


@pytest.mark.parametrize("data, dim", [([0.0], None), ([0.0], 0), ([[0.0], [2.0]], 1)])
def test_prod_over_one_element_with_a_zero_passes_grad_through(data, dim):
    """PyTorch's prod_safe_zeros_backward returns grad as it is for a slice of one element:
    nothing is recorded (the gradient does not require grad), as in PyTorch."""
    x = al.tensor(data, dtype=al.float64, requires_grad=True)
    y = x.prod() if dim is None else x.prod(dim)
    (g,) = al.autograd.grad(y.sum(), x, create_graph=True)
    assert np.array(g.tolist()).reshape(-1).tolist() == [1.0] * x.numel()
    assert not g.requires_grad
