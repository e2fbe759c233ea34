"""Solutions to the exercises of notebook 04 (custom autograd Functions)."""

import autograd_lab as al


class Sigmoid(al.autograd.Function):
    """04.1: d sigmoid(x) / dx = s * (1 - s), with s the saved output."""

    @staticmethod
    def forward(ctx, x):
        out = 1 / (1 + (-x).exp())
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class SinCos(al.autograd.Function):
    """04.2: two outputs, so backward receives two gradients and adds their terms."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        (x,) = ctx.saved_tensors
        return grad_sin * x.cos() - grad_cos * x.sin()


class Scale(al.autograd.Function):
    """04.3: forward has two arguments, so backward returns two gradients."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x * scale

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None
