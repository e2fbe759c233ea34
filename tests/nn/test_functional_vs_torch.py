"""``al.nn.functional`` against PyTorch itself: values and gradients (skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_close

import autograd_lab as al

torch = pytest.importorskip("torch")
F = al.nn.functional
TF = torch.nn.functional

RNG = np.random.default_rng(0)
X4 = RNG.standard_normal((2, 4, 7, 6))
W4 = RNG.standard_normal((6, 2, 3, 2))
B = RNG.standard_normal(6)
LOGITS = RNG.standard_normal((5, 4)) * 3
TARGET = np.array([0, 3, 1, -100, 2])
WEIGHT = RNG.uniform(0.5, 2.0, 4)
PROBS = RNG.dirichlet(np.ones(4), 5)



class Const:
    """An input that is not differentiated (PyTorch refuses a class weight that requires grad)."""

    def __init__(self, array):
        self.array = array


def _tensors(mod, arrays):
    return [mod.tensor(a.array) if isinstance(a, Const) else
            mod.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]


# (name, function of (F, *tensors), NumPy inputs: float ones are differentiated unless Const)
CASES = [
    ("relu", lambda f, x: f.relu(x), [X4]),
    ("gelu", lambda f, x: f.gelu(x), [X4]),
    ("gelu_tanh", lambda f, x: f.gelu(x, approximate="tanh"), [X4]),
    ("silu", lambda f, x: f.silu(x), [X4]),
    ("softplus", lambda f, x: f.softplus(x, beta=2.0, threshold=3.0), [X4]),
    ("softmax", lambda f, x: f.softmax(x, 1), [X4]),
    ("log_softmax", lambda f, x: f.log_softmax(x * 1000, -1), [X4]),
    ("conv2d", lambda f, x, w, b: f.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2),
                                           groups=2), [X4, W4, B]),
    ("conv1d", lambda f, x, w: f.conv1d(x, w, stride=2, padding=2),
     [X4[:, :, 0], RNG.standard_normal((3, 4, 3))]),
    ("max_pool2d", lambda f, x: f.max_pool2d(x, 3, 2, 1, ceil_mode=True), [X4]),
    ("avg_pool2d", lambda f, x: f.avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                             count_include_pad=False), [X4]),
    ("cross_entropy", lambda f, x, w, t: f.cross_entropy(x, t, weight=w, label_smoothing=0.2),
     [LOGITS, Const(WEIGHT), TARGET]),
    ("cross_entropy_probs", lambda f, x, p: f.cross_entropy(x, p, label_smoothing=0.1),
     [LOGITS, PROBS]),
    ("nll_loss", lambda f, x, t: f.nll_loss(x, t, reduction="sum"), [LOGITS, TARGET]),
    ("mse_loss", lambda f, x, y: f.mse_loss(x, y), [LOGITS, LOGITS[::-1].copy()]),
    ("binary_cross_entropy", lambda f, x, y: f.binary_cross_entropy(x, y),
     [RNG.uniform(0.05, 0.95, (3, 4)), RNG.uniform(0, 1, (3, 4))]),
    ("linear", lambda f, x, w, b: f.linear(x, w, b), [X4[:, :, 0, :], RNG.standard_normal((6, 6)),
                                                     B]),
    ("layer_norm", lambda f, x, w, b: f.layer_norm(x, (7, 6), w, b),
     [X4, RNG.standard_normal((7, 6)), RNG.standard_normal((7, 6))]),
    ("embedding", lambda f, i, w: f.embedding(i, w, padding_idx=1),
     [np.array([[0, 1, 4], [4, 4, 2]]), RNG.standard_normal((5, 3))]),
    ("pad_constant", lambda f, x: f.pad(x, (1, -1, 2, 0), value=0.5), [X4]),
    ("pad_reflect", lambda f, x: f.pad(x, (2, 1, 1, 2), mode="reflect"), [X4]),
    ("pad_circular", lambda f, x: f.pad(x, (2, 1, 1, 2), mode="circular"), [X4]),
    ("unfold", lambda f, x: f.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=2), [X4]),
]


def _run(lib, fn, arrays):
    tensors = _tensors(al if lib == "al" else torch, arrays)
    out = fn(F if lib == "al" else TF, *tensors)
    seed = np.random.default_rng(1).standard_normal(tuple(out.shape))
    wanted = [t for t in tensors if t.requires_grad]
    if lib == "al":
        grads = al.autograd.grad(out, wanted, grad_outputs=al.tensor(seed))
        return out.detach().numpy(), [g.detach().numpy() for g in grads]
    grads = torch.autograd.grad(out, wanted, grad_outputs=torch.tensor(seed))
    return out.detach().numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_torch(name, fn, arrays):
    ours, ours_grads = _run("al", fn, arrays)
    theirs, their_grads = _run("torch", fn, arrays)
    assert_close(ours, theirs, atol=1e-9, rtol=1e-9, what=f"{name} value")
    for i, (g, t) in enumerate(zip(ours_grads, their_grads, strict=True)):
        assert_close(g, t, atol=1e-9, rtol=1e-9, what=f"{name} gradient {i}")


@pytest.mark.parametrize("name, fn, arrays", [c for c in CASES if c[0] in (
    "gelu", "softmax", "log_softmax", "conv2d", "max_pool2d", "cross_entropy", "layer_norm")],
    ids=lambda c: c if isinstance(c, str) else "")
def test_second_derivatives_match_torch(name, fn, arrays):
    """grad of <grad(out, x, v), w> with respect to x, in both libraries."""
    def second(lib):
        mod, F_ = (al, F) if lib == "al" else (torch, TF)
        tensors = _tensors(mod, arrays)
        out = fn(F_, *tensors)
        # v requires grad too, so the first gradient is a graph even where it is
        # piecewise constant in x (max_pool2d): its x-derivative is then None (zero)
        v = mod.tensor(np.random.default_rng(2).standard_normal(tuple(out.shape)),
                       requires_grad=True)
        x = tensors[0]
        (g,) = mod.autograd.grad(out, [x], grad_outputs=v, create_graph=True)
        w = mod.tensor(np.random.default_rng(3).standard_normal(tuple(x.shape)))
        (h,) = mod.autograd.grad((g * w).sum(), [x], allow_unused=True)
        return np.zeros(x.shape) if h is None else h.detach().numpy()

    assert_close(second("al"), second("torch"), atol=1e-8, rtol=1e-8, what=name)


def test_float32_cross_entropy_at_large_logits_matches_torch():
    x = np.array([[1000.0, 0.0, -1000.0], [3.0, 1000.0, 999.0]], dtype=np.float32)
    t = np.array([2, 2])
    ours = F.cross_entropy(al.tensor(x), al.tensor(t), reduction="none")
    theirs = TF.cross_entropy(torch.tensor(x), torch.tensor(t), reduction="none")
    assert_close(ours.numpy(), theirs.numpy(), rtol=1e-6)
