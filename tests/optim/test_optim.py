"""``al.optim``: the first steps of each optimizer against updates computed by hand
(NumPy, float64, PyTorch's documented rules), a training loop that learns, groups,
state_dict and errors. Trajectories against torch itself: test_optim_vs_torch.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lab as al

P0 = np.array([1.0, -2.0, 0.5])


def grad_of(p):
    """The gradient of loss(p) = sum(p**2 + p**3 / 3) written out: 2p + p**2."""
    return 2 * p + p**2


def loss_of(p: al.Tensor) -> al.Tensor:
    return (p * p + p * p * p / 3).sum()


def run(opt_cls, steps=3, **kwargs):
    p = al.tensor(P0.copy(), requires_grad=True)
    opt = opt_cls([p], **kwargs)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        loss_of(p).backward()
        opt.step()
        trajectory.append(p.detach().numpy().copy())
    return np.array(trajectory)


def sgd_by_hand(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, steps=3):
    p, buf, out = P0.copy(), None, []
    for _ in range(steps):
        g = grad_of(p) + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        out.append(p)
    return np.array(out)


def adam_by_hand(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 decoupled=False, steps=3):
    p, m, v, vmax, out = P0.copy(), 0.0, 0.0, 0.0, []
    b1, b2 = betas
    for t in range(1, steps + 1):
        g = grad_of(p)
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        v_used = vmax if amsgrad else v
        p = p - lr / (1 - b1**t) * m / (np.sqrt(v_used) / math.sqrt(1 - b2**t) + eps)
        out.append(p)
    return np.array(out)


def test_sgd_plain_first_steps_in_numbers():
    # p = 1: g = 2 + 1 = 3, p = 1 - 0.1 * 3 = 0.7; g = 1.4 + 0.49 = 1.89, p = 0.511
    traj = run(al.optim.SGD, steps=2, lr=0.1)
    np.testing.assert_allclose(traj[:, 0], [0.7, 0.511], rtol=1e-12)


def test_sgd_momentum_first_steps_in_numbers():
    # buf = g on the first step: 3, p = 0.7; then buf = 0.9 * 3 + 1.89 = 4.59, p = 0.241
    traj = run(al.optim.SGD, steps=2, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(traj[:, 0], [0.7, 0.241], rtol=1e-12)


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.8, dampening=0.3),
    dict(lr=0.1, weight_decay=0.2),
    dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
], ids=str)
def test_sgd_three_steps_by_hand(kwargs):
    np.testing.assert_allclose(run(al.optim.SGD, **kwargs), sgd_by_hand(**kwargs), rtol=1e-12)


def test_adam_first_step_moves_each_weight_by_lr():
    # bias correction makes m_hat = g and v_hat = g**2 on step 1: the step is lr * sign(g)
    traj = run(al.optim.Adam, steps=1, lr=0.1)
    np.testing.assert_allclose(traj[0], P0 - 0.1 * np.sign(grad_of(P0)), rtol=1e-7)


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1),
    dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, amsgrad=True),
], ids=str)
def test_adam_three_steps_by_hand(kwargs):
    np.testing.assert_allclose(run(al.optim.Adam, **kwargs), adam_by_hand(**kwargs), rtol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.1, weight_decay=0.5, amsgrad=True)],
                         ids=str)
def test_adamw_three_steps_by_hand(kwargs):
    expected = adam_by_hand(decoupled=True, **{"weight_decay": 0.01, **kwargs})
    np.testing.assert_allclose(run(al.optim.AdamW, **kwargs), expected, rtol=1e-12)


def test_momentum_buffer_is_a_copy_of_the_gradient():
    """Note [Gradients accumulate in place]: keeping p.grad itself as the buffer would let
    the next backward (which adds into p.grad) change the buffer."""
    p = al.tensor([1.0], dtype=al.float64, requires_grad=True)
    opt = al.optim.SGD([p], lr=0.1, momentum=0.9)
    (p * 3).sum().backward()
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    assert buf is not p.grad
    (p * 3).sum().backward()  # no zero_grad: p.grad becomes 6 in place
    assert buf.tolist() == [3.0]


def test_step_skips_parameters_without_grad_and_runs_the_closure():
    a = al.tensor([1.0], requires_grad=True)
    b = al.tensor([1.0], requires_grad=True)
    opt = al.optim.SGD([a, b], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 1.0
    assert a.tolist() == [0.0] and b.tolist() == [1.0]
    assert a.is_leaf and a.requires_grad and a.grad_fn is None


def test_param_groups_and_defaults():
    a = al.tensor([1.0], requires_grad=True)
    b = al.tensor([1.0], requires_grad=True)
    opt = al.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9
    (a + b).sum().backward()
    opt.step()
    assert a.tolist() == pytest.approx([0.9]) and b.tolist() == pytest.approx([0.5])
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_optimizer_state_dict_round_trip():
    p = al.tensor(P0.copy(), requires_grad=True)
    opt = al.optim.Adam([p], lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        loss_of(p).backward()
        opt.step()
    saved = opt.state_dict()
    assert saved["param_groups"][0]["params"] == [0] and saved["state"][0]["step"] == 2

    q = al.tensor(p.detach().numpy().copy(), requires_grad=True)
    opt2 = al.optim.Adam([q], lr=0.5)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.1
    for o, t in ((opt, p), (opt2, q)):
        o.zero_grad()
        loss_of(t).backward()
        o.step()
    np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-12)


def test_optimizer_errors():
    p = al.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        al.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        al.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        al.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        al.optim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        al.optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero "
                                         "dampening"):
        al.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        al.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        al.optim.SGD([{"params": {p}}], lr=0.1)


@pytest.mark.parametrize("make_opt", [
    lambda params: al.optim.SGD(params, lr=0.1, momentum=0.9),
    lambda params: al.optim.Adam(params, lr=0.02),
    lambda params: al.optim.AdamW(params, lr=0.02),
], ids=["SGD", "Adam", "AdamW"])
def test_a_tiny_training_loop_reduces_the_loss(make_opt):
    """Two Gaussian blobs, a two-layer MLP: cross-entropy drops well below its start."""
    al.manual_seed(0)
    rng = np.random.default_rng(0)
    centres = np.array([[1.5, 1.5], [-1.5, -1.5]])
    labels = rng.integers(0, 2, 64)
    x = al.tensor((centres[labels] + rng.standard_normal((64, 2))).astype(np.float32))
    y = al.tensor(labels)
    model = al.nn.Sequential(al.nn.Linear(2, 8), al.nn.ReLU(), al.nn.Linear(8, 2))
    opt = make_opt(model.parameters())
    loss_fn = al.nn.CrossEntropyLoss()
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    accuracy = (model(x).argmax(1) == y).numpy().mean()
    assert accuracy > 0.9
