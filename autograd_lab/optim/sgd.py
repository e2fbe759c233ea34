"""``SGD``: stochastic gradient descent with momentum, dampening, weight decay and
Nesterov momentum, with PyTorch's exact update rule."""

from __future__ import annotations

from .optimizer import Optimizer, required

__all__ = ["SGD"]


class SGD(Optimizer):
    """For each parameter p with gradient g (PyTorch's ``torch.optim.SGD``)::

        g = g + weight_decay * p
        b = g (first step, a copy)  or  b = momentum * b + (1 - dampening) * g
        g = g + momentum * b  (nesterov)  or  g = b
        p = p - lr * g

    >>> import autograd_lab as al
    >>> w = al.tensor([1.0], requires_grad=True)
    >>> opt = al.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, group: dict) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = -p.grad if group["maximize"] else p.grad
            if weight_decay != 0:
                g = g + p * weight_decay
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    # Note [Gradients accumulate in place]: a copy, not p.grad itself
                    buf = state["momentum_buffer"] = g.detach().clone()
                else:
                    buf.mul_(momentum).add_(g, alpha=1 - dampening)
                g = g + buf * momentum if nesterov else buf
            p.add_(g, alpha=-lr)
