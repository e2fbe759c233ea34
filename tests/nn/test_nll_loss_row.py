"""nll_loss as one row (``NllLossBackward0``) and cross_entropy as log_softmax + nll_loss.

Against PyTorch where it is installed (values, gradients, node names); the rest holds
without it: the graph's shape, float32 kept in backward, the weight as a constant or as
a differentiable input, and gradients that a later in-place change cannot alter.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_close, backward_gradient_dtypes

import autograd_lab as al

F = al.nn.functional
RNG = np.random.default_rng(7)
LOGITS = RNG.standard_normal((6, 4)) * 2
TARGET = np.array([0, 3, 1, -100, 2, 3])
WEIGHT = RNG.uniform(0.5, 2.0, 4)
SPATIAL = RNG.standard_normal((2, 4, 3, 2))
SPATIAL_TARGET = RNG.integers(0, 4, (2, 3, 2))
SPATIAL_TARGET[0, 1, 1] = -100


def _names(t):
    return t.grad_fn.name(), [fn.name() if fn is not None else None
                              for fn, _ in t.grad_fn.next_functions]


# --- the graph -------------------------------------------------------------------------------
def test_cross_entropy_is_log_softmax_then_nll_loss():
    x = al.tensor(LOGITS, requires_grad=True)
    loss = F.cross_entropy(x, al.tensor(TARGET))
    assert _names(loss) == ("NllLossBackward0", ["LogSoftmaxBackward0"])
    assert loss.grad_fn.next_functions[0][0].next_functions[0][0].name() == "AccumulateGrad"


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_names_its_node_as_pytorch(reduction):
    x = al.tensor(LOGITS, requires_grad=True)
    assert _names(F.nll_loss(x, al.tensor(TARGET), reduction=reduction)) == (
        "NllLossBackward0", ["AccumulateGrad"])
    s = al.tensor(SPATIAL, requires_grad=True)
    assert F.nll_loss(s, al.tensor(SPATIAL_TARGET), reduction=reduction).grad_fn.name() == \
        "NllLoss2DBackward0"
    u = al.tensor(LOGITS[0], requires_grad=True)
    assert F.nll_loss(u, al.tensor(2), reduction=reduction).grad_fn.name() == "NllLossBackward0"


def test_a_constant_weight_is_kept_on_the_node_and_a_learned_one_is_an_input():
    x = al.tensor(LOGITS, requires_grad=True)
    w = al.tensor(WEIGHT)
    loss = F.nll_loss(x, al.tensor(TARGET), weight=w)
    assert len(loss.grad_fn.next_functions) == 1  # as PyTorch: self only
    node = loss.grad_fn
    assert node._saved_weight is w and node._saved_reduction == "mean"
    assert node._saved_ignore_index == -100
    assert_close(node._saved_total_weight.numpy(), WEIGHT[TARGET[TARGET != -100]].sum())
    assert_close(node._saved_self.detach().numpy(), LOGITS)
    learned = al.tensor(WEIGHT, requires_grad=True)
    loss = F.nll_loss(x, al.tensor(TARGET), weight=learned)
    assert [fn.name() for fn, _ in loss.grad_fn.next_functions] == ["AccumulateGrad"] * 2
    loss.backward()
    assert learned.grad is not None and learned.grad.shape == (4,)


def test_changing_target_or_weight_in_place_after_forward_does_not_change_the_gradient():
    x = al.tensor(LOGITS, requires_grad=True)
    target, weight = al.tensor(TARGET.copy()), al.tensor(WEIGHT.copy())
    expected = al.autograd.grad(F.nll_loss(x, target, weight=weight), x)[0].numpy()
    loss = F.nll_loss(x, target, weight=weight)
    target._data[:] = 0
    weight._data[:] = 5.0
    assert_close(al.autograd.grad(loss, x)[0].numpy(), expected, atol=1e-15)


@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.2},
    {"weight": "w"}, {"weight": "w", "reduction": "none"}, {"weight": "learned"},
])
def test_float32_backward_stays_float32(kwargs):
    kwargs = dict(kwargs)
    if kwargs.get("weight") == "w":
        kwargs["weight"] = al.tensor(WEIGHT.astype(np.float32))
    elif kwargs.get("weight") == "learned":
        kwargs["weight"] = al.tensor(WEIGHT.astype(np.float32), requires_grad=True)
    x = al.tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, al.tensor(TARGET), **kwargs)
    assert loss.dtype == al.float32
    seen = backward_gradient_dtypes(loss)
    assert seen and set(seen) == {al.float32}
    assert x.grad.dtype == al.float32


def test_all_targets_ignored_gives_nan_as_pytorch():
    x = al.tensor(LOGITS[:2], requires_grad=True)
    loss = F.nll_loss(x, al.tensor([-100, -100]))
    assert math.isnan(loss.item())
    assert F.nll_loss(x, al.tensor([-100, -100]), reduction="sum").item() == 0.0


def test_second_derivative_through_cross_entropy():
    # d/dx of (d loss / dx) . v: the Hessian of log-softmax's nll, here against the closed
    # form for one sample: H = diag(p) - p p^T (mean over N samples divides by N).
    x = al.tensor(LOGITS[:3], requires_grad=True)
    target = al.tensor(TARGET[:3])
    (g,) = al.autograd.grad(F.cross_entropy(x, target), x, create_graph=True)
    v = RNG.standard_normal(g.shape)
    (hv,) = al.autograd.grad((g * al.tensor(v)).sum(), x)
    p = np.exp(LOGITS[:3] - np.log(np.exp(LOGITS[:3]).sum(1, keepdims=True)))
    expected = (p * v - p * (p * v).sum(1, keepdims=True)) / 3
    assert_close(hv.numpy(), expected, atol=1e-12)


# --- against PyTorch -----------------------------------------------------------------------
CASES = [
    ("mean", LOGITS, TARGET, {}),
    ("sum", LOGITS, TARGET, {"reduction": "sum"}),
    ("none", LOGITS, TARGET, {"reduction": "none"}),
    ("weight_mean", LOGITS, TARGET, {"weight": WEIGHT}),
    ("weight_none", LOGITS, TARGET, {"weight": WEIGHT, "reduction": "none"}),
    ("ignore_index", LOGITS, np.where(TARGET == -100, 1, TARGET), {"ignore_index": 1}),
    ("spatial_weight_mean", SPATIAL, SPATIAL_TARGET, {"weight": WEIGHT}),
    ("spatial_sum", SPATIAL, SPATIAL_TARGET, {"reduction": "sum"}),
    ("spatial_none", SPATIAL, SPATIAL_TARGET, {"reduction": "none"}),
    ("unbatched", LOGITS[1], np.array(3), {}),
    ("unbatched_weight_sum", LOGITS[1], np.array(3), {"weight": WEIGHT, "reduction": "sum"}),
]


def _call(lib, fn_name, x, target, kwargs, dtype):
    mod = al if lib == "al" else pytest.importorskip("torch")
    functional = F if lib == "al" else mod.nn.functional
    kw = dict(kwargs)
    if "weight" in kw:
        kw["weight"] = mod.tensor(kw["weight"].astype(dtype))
    inp = mod.tensor(x.astype(dtype), requires_grad=True)
    out = getattr(functional, fn_name)(inp, mod.tensor(target), **kw)
    return inp, out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn_name", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize(("name", "x", "target", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch(name, x, target, kwargs, fn_name, dtype):
    torch = pytest.importorskip("torch")
    if fn_name == "nll_loss":
        x = x - np.log(np.exp(x).sum(1 if x.ndim >= 2 else 0, keepdims=True))  # log-probs
    ours_in, ours = _call("al", fn_name, x, target, kwargs, dtype)
    theirs_in, theirs = _call("torch", fn_name, x, target, kwargs, dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert ours.dtype == (al.float64 if dtype == np.float64 else al.float32)
    assert_close(ours.detach().numpy(), theirs.detach().numpy(), atol=tol, rtol=tol)
    seed = np.random.default_rng(3).standard_normal(ours.shape).astype(dtype)
    ours.backward(al.tensor(seed))
    theirs.backward(torch.tensor(seed))
    assert_close(ours_in.grad.numpy(), theirs_in.grad.numpy(), atol=tol, rtol=tol)
    # PyTorch wraps 3-D and 5-D "none" losses in a view: compare where it does not
    if ours.ndim == theirs.ndim and theirs.grad_fn.name() != "ViewBackward0":
        assert ours.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("kwargs", [{"label_smoothing": 0.3},
                                    {"label_smoothing": 0.1, "weight": WEIGHT},
                                    {"label_smoothing": 0.2, "reduction": "sum"}])
def test_label_smoothing_and_probability_targets_match_pytorch(kwargs):
    pytest.importorskip("torch")
    probs = RNG.dirichlet(np.ones(4), 6)
    for target in (TARGET, probs):
        ours_in, ours = _call("al", "cross_entropy", LOGITS, target, kwargs, np.float64)
        theirs_in, theirs = _call("torch", "cross_entropy", LOGITS, target, kwargs, np.float64)
        assert_close(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
        ours.sum().backward()
        theirs.sum().backward()
        assert_close(ours_in.grad.numpy(), theirs_in.grad.numpy(), atol=1e-12)
