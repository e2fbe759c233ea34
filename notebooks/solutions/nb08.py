"""Solutions to the exercises of notebook 08 (higher-order gradients)."""

import numpy as np

import autograd_lab as al


def hvp(f, x, v):
    """H v = d/dx (grad f(x) . v): the first grad keeps its graph (create_graph=True)."""
    (g,) = al.autograd.grad(f(x), x, create_graph=True)
    (hv,) = al.autograd.grad((g * v).sum(), x)
    return hv


def newton_step(f, x):
    """x - H^-1 g, with H built row by row by double backward, solved with NumPy."""
    (g,) = al.autograd.grad(f(x), x, create_graph=True)
    rows = [al.autograd.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(x.numel())]
    step = np.linalg.solve(np.stack(rows), g.detach().numpy())
    return al.tensor(x.detach().numpy() - step)


class Softplus(al.autograd.Function):
    """log(1 + exp(x)); its derivative sigmoid(x), in tensor ops, so it has a derivative too."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.exp().log1p()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sigmoid()
