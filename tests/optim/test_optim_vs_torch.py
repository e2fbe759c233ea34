"""Optimizer trajectories against ``torch.optim`` (skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
W0, X = RNG.standard_normal((3, 2)), RNG.standard_normal((5, 3))


def trajectory(lib, name, kwargs, steps=6):
    mod = al if lib == "al" else torch
    w = mod.tensor(W0.copy(), requires_grad=True)
    x = mod.tensor(X)
    opt = getattr(mod.optim, name)([w], **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        ((x @ w).tanh() ** 2).sum().backward()
        opt.step()
        out.append(w.detach().numpy().copy())
    return np.array(out)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.1, weight_decay=0.1, amsgrad=True, betas=(0.8, 0.9), eps=1e-4)),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.1, weight_decay=0.3, amsgrad=True)),
], ids=str)
def test_trajectory_matches_torch(name, kwargs):
    np.testing.assert_allclose(trajectory("al", name, kwargs), trajectory("torch", name, kwargs),
                               rtol=1e-12, atol=1e-14)
