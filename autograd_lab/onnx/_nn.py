"""The rows behind ``al.nn``: matmul, convolution, softmax, and ``im2col`` (the windows
that ``F.max_pool2d``/``F.avg_pool2d`` reduce)."""

from __future__ import annotations

import numpy as np

from ._common import axis, cast, reduce, reshape, scalar, slice_

__all__ = ["ROWS"]


def matmul(g, out, a, b):
    return g.op("MatMul", cast(g, a, out.dtype), cast(g, b, out.dtype))


def addmm(g, out, bias, a, b):
    product = g.op("MatMul", cast(g, a, out.dtype), cast(g, b, out.dtype))
    return g.op("Add", product, cast(g, bias, out.dtype))


def unsafe_view(g, out, x, size, self_sym_sizes):
    return reshape(g, x, out.shape)


def embedding(g, out, weight, indices, num_weights, padding_idx):
    return g.op("Gather", weight, cast(g, indices, np.int64), axis_i=0)


def mse_loss(g, out, x, target, reduction):
    diff = g.op("Sub", cast(g, x, out.dtype), cast(g, target, out.dtype))
    squared = g.op("Mul", diff, diff)
    if reduction == "none":
        return squared
    return reduce(g, "ReduceMean" if reduction == "mean" else "ReduceSum", squared, None, False)


def binary_cross_entropy(g, out, x, target, weight, reduction):
    """``-w (t log x + (1 - t) log(1 - x))``, each log floored at -100 as the row's;
    ``reduction`` is PyTorch's enum (0 none, 1 mean, 2 sum)."""
    x, target = cast(g, x, out.dtype), cast(g, target, out.dtype)
    one, floor = scalar(g, 1, out.dtype), scalar(g, -100, out.dtype)
    log_x = g.op("Max", g.op("Log", x), floor)
    log_1mx = g.op("Max", g.op("Log", g.op("Sub", one, x)), floor)
    loss = g.op("Neg", g.op("Add", g.op("Mul", target, log_x),
                            g.op("Mul", g.op("Sub", one, target), log_1mx)))
    if weight is not None:
        loss = g.op("Mul", loss, cast(g, weight, out.dtype))
    if reduction == 0:
        return loss
    return reduce(g, "ReduceMean" if reduction == 1 else "ReduceSum", loss, None, False)


def layer_norm(g, out, x, weight, bias, normalized_shape, eps):
    """The normalisation in ONNX ops: ReduceMean, Sub, Mul, Sqrt, Reciprocal."""
    x = cast(g, x, out.dtype)
    dims = list(range(len(x.shape) - len(normalized_shape), len(x.shape)))
    centred = g.op("Sub", x, reduce(g, "ReduceMean", x, dims, True))
    var = reduce(g, "ReduceMean", g.op("Mul", centred, centred), dims, True)
    rstd = g.op("Reciprocal", g.op("Sqrt", g.op("Add", var, scalar(g, eps, out.dtype))))
    scaled = g.op("Mul", g.op("Mul", centred, rstd), cast(g, weight, out.dtype))
    return g.op("Add", scaled, cast(g, bias, out.dtype))


def convolution(g, out, x, weight, bias=None, *, stride, padding, dilation, groups):
    """``Conv`` (the row pads symmetrically: ONNX wants begins then ends)."""
    return g.op("Conv", x, weight, bias, strides_i=list(stride),
                pads_i=list(padding) * 2, dilations_i=list(dilation), group_i=groups,
                kernel_shape_i=list(weight.shape[2:]))


def _pooled(g, out, x, pool):
    """``pool(g, x4, out_hw)`` on ``(N, C, H, W)``: an unbatched ``(C, H, W)`` input gets a
    batch axis first (no ONNX pool takes 3-d input), removed after."""
    if len(x.shape) == 4:
        return pool(x)
    y = pool(g.op("Unsqueeze", x, g.ints([0], "axes")))
    return g.op("Squeeze", y, g.ints([0], "axes"))


def _pool_pad(g, x, hw, fill, kernel, stride, padding, dilation, out_hw, dtype):
    """``x`` padded with ``fill`` as the row pads it (where a ceil_mode window hangs past
    the padding too), so the pool itself has no padding and no ceil_mode."""
    after = [max((out_hw[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1
                 - hw[i] - padding[i], padding[i]) for i in range(2)]
    if not any(padding) and not any(after):
        return x
    pads = [0, 0, *padding, 0, 0, *after]  # (N, C, H, W): begins, then ends
    value = g.constant(np.asarray(fill, dtype=dtype), name="value")
    return g.op("Pad", x, g.ints(pads, "pads"), value, mode_s="constant")


def max_pool2d(g, out, x, kernel_size, stride, padding, dilation, ceil_mode):
    """``MaxPool`` of the input padded with -inf (the row's padding never wins)."""
    def pool(x4):
        padded = _pool_pad(g, x4, x.shape[-2:], -np.inf, kernel_size, stride, padding, dilation,
                           out.shape[-2:], out.dtype)
        return g.op("MaxPool", padded, kernel_shape_i=list(kernel_size),
                    strides_i=list(stride), dilations_i=list(dilation))

    return _pooled(g, out, x, pool)


def avg_pool2d(g, out, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
               divisor_override):
    """Window sums (``AveragePool`` of the zero-padded input times its size) divided by
    the row's divisors, a constant of the output's shape."""
    from .._ops.nn import avg_pool2d_divisors

    def pool(x4):
        padded = _pool_pad(g, x4, x.shape[-2:], 0, kernel_size, stride, padding, (1, 1),
                           out.shape[-2:], out.dtype)
        mean = g.op("AveragePool", padded, kernel_shape_i=list(kernel_size),
                    strides_i=list(stride))
        return g.op("Mul", mean, scalar(g, kernel_size[0] * kernel_size[1], out.dtype))

    sums = _pooled(g, out, x, pool)
    div = avg_pool2d_divisors(x.shape[-2:], kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override, out.shape[-2:])
    return g.op("Div", sums, g.constant(np.asarray(div, dtype=out.dtype), name="divisors"))


def reflection_pad(g, out, x, padding):
    """``Pad`` in ``reflect`` mode; ``padding`` is PyTorch's flat order, the last dim
    first."""
    n = len(x.shape)
    before, after = [0] * n, [0] * n
    for i in range(len(padding) // 2):
        before[n - 1 - i], after[n - 1 - i] = padding[2 * i], padding[2 * i + 1]
    return g.op("Pad", x, g.ints(before + after, "pads"), mode_s="reflect")


def softmax(op_type: str):
    def mapping(g, out, x, dim):
        return g.op(op_type, cast(g, x, out.dtype), axis_i=axis(dim, len(x.shape)))

    mapping.__name__ = op_type.lower()
    return mapping


def softmax_backward_data(g, out, grad_output, output, dim):
    """softmax's gradient as one op: ``output * (grad_output - Σ grad_output·output)``."""
    go, y = cast(g, grad_output, out.dtype), cast(g, output, out.dtype)
    total = reduce(g, "ReduceSum", g.op("Mul", go, y), [axis(dim, len(y.shape))], True)
    return g.op("Mul", y, g.op("Sub", go, total))


def log_softmax_backward_data(g, out, grad_output, output, dim):
    """log_softmax's gradient as one op: ``grad_output - exp(output) * Σ grad_output``."""
    go, y = cast(g, grad_output, out.dtype), cast(g, output, out.dtype)
    total = reduce(g, "ReduceSum", go, [axis(dim, len(y.shape))], True)
    return g.op("Sub", go, g.op("Mul", g.op("Exp", y), total))


def mse_loss_backward(g, out, grad_output, x, target, reduction):
    """mse_loss's gradient as one op: ``2 (x - target) grad_output`` (÷ numel for mean)."""
    diff = g.op("Sub", cast(g, x, out.dtype), cast(g, target, out.dtype))
    n = int(np.prod(out.shape)) if reduction == "mean" else 1
    return g.op("Mul", g.op("Mul", diff, scalar(g, 2.0 / n, out.dtype)),
                cast(g, grad_output, out.dtype))


def gelu_backward(g, out, grad_output, x, approximate):
    """gelu's gradient as one op: ``grad_output * gelu'(x)``."""
    x, go = cast(g, x, out.dtype), cast(g, grad_output, out.dtype)

    def num(v):
        return scalar(g, v, out.dtype)

    def mul(a, b):
        return g.op("Mul", a, b)

    half = num(0.5)
    if approximate == "tanh":
        k, c = float(np.sqrt(2 / np.pi)), 0.044715
        x2 = mul(x, x)
        t = g.op("Tanh", mul(num(k), g.op("Add", x, mul(num(c), mul(x2, x)))))
        du = mul(num(k), g.op("Add", num(1.0), mul(num(3 * c), x2)))
        slope = mul(mul(mul(half, x), g.op("Sub", num(1.0), mul(t, t))), du)
        d = g.op("Add", mul(half, g.op("Add", num(1.0), t)), slope)
    else:
        cdf = mul(half, g.op("Add", num(1.0), g.op("Erf", mul(x, num(float(np.sqrt(0.5)))))))
        pdf = mul(g.op("Exp", mul(num(-0.5), mul(x, x))), num(float(1 / np.sqrt(2 * np.pi))))
        d = g.op("Add", cdf, mul(x, pdf))
    return mul(go, d)


def softplus_backward(g, out, grad_output, x, beta, threshold):
    """softplus's gradient as one op: ``grad_output * sigmoid(beta x)``, or ``grad_output``
    where ``beta x > threshold``."""
    x, go = cast(g, x, out.dtype), cast(g, grad_output, out.dtype)
    z = g.op("Mul", x, scalar(g, beta, out.dtype))
    above = g.op("Greater", z, scalar(g, threshold, out.dtype))
    return g.op("Where", above, go, g.op("Mul", go, g.op("Sigmoid", z)))


def im2col(g, out, x, kernel_size, dilation, stride, self_sym_sizes):
    """``(..., H, W) -> (..., kh, kw, OH, OW)``: window element (i, j) of every window is
    one strided ``Slice``; the ``kh * kw`` slices are stacked, then shaped."""
    (kh, kw), (dh, dw), (sh, sw) = kernel_size, dilation, stride
    oh, ow = out.shape[-2:]
    parts = []
    for i in range(kh):
        for j in range(kw):
            part = slice_(g, x, [i * dh, j * dw], [i * dh + sh * (oh - 1) + 1,
                                                    j * dw + sw * (ow - 1) + 1],
                          [-2, -1], [sh, sw])
            parts.append(g.op("Unsqueeze", part, g.ints([-3], "axes")))
    stacked = g.op("Concat", *parts, axis_i=-3) if len(parts) > 1 else parts[0]
    return reshape(g, stacked, out.shape)


ROWS = {
    "matmul": matmul, "bmm": matmul, "mv": matmul, "dot": matmul, "addmm": addmm,
    "unsafe_view": unsafe_view, "embedding": embedding,
    "mse_loss": mse_loss, "binary_cross_entropy": binary_cross_entropy, "layer_norm": layer_norm,
    "convolution": convolution, "convolution_nobias": convolution,
    "softmax": softmax("Softmax"), "log_softmax": softmax("LogSoftmax"),
    "softmax_backward_data": softmax_backward_data,
    "log_softmax_backward_data": log_softmax_backward_data,
    "mse_loss_backward": mse_loss_backward, "gelu_backward": gelu_backward,
    "softplus_backward": softplus_backward,
    "im2col": im2col, "max_pool2d_with_indices": max_pool2d, "avg_pool2d": avg_pool2d,
    "reflection_pad1d": reflection_pad, "reflection_pad2d": reflection_pad,
}
