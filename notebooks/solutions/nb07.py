"""Solutions to the exercises of notebook 07 (checking gradients)."""

import numpy as np

import autograd_lab as al


def central_difference(f, x, eps=1e-6):
    """(f(x + eps e_k) - f(x - eps e_k)) / (2 eps), entry by entry, on copies of x."""
    grad = np.zeros_like(x, dtype=np.float64)
    for k in range(x.size):
        up, down = x.copy(), x.copy()
        up.reshape(-1)[k] += eps
        down.reshape(-1)[k] -= eps
        grad.reshape(-1)[k] = (f(up) - f(down)) / (2 * eps)
    return grad


class MatMul(al.autograd.Function):
    """x @ w; d/dx is grad @ w.T and d/dw is x.T @ grad (the bug was grad.T @ x)."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad @ w.t(), x.t() @ grad


def choose_eps(machine_eps, method):
    """Balance truncation against rounding u / eps: eps ~ u**(1/2) forward, u**(1/3) central."""
    return machine_eps ** (1 / 2) if method == "forward" else machine_eps ** (1 / 3)
