"""Convolution (``F.conv2d``, ``F.conv1d``) and its building blocks ``F.unfold``, ``F.fold``.

``conv1d``/``conv2d`` check their arguments here and run the ``convolution`` table row
(``_ops/conv.py``): im2col + one batched matrix product in NumPy, recorded as a single
``ConvolutionBackward0`` node, as in PyTorch. ``unfold``/``fold`` are the im2col/col2im
rows themselves.
"""

from __future__ import annotations

from numbers import Integral

from .._ops.conv import convolution
from .._ops.nn import col2im, constant_pad, im2col, out_size
from .._tensor import Tensor
from ._padding import pad

__all__ = ["conv1d", "conv2d", "unfold", "fold", "pair"]


def pair(value, name: str, n: int = 2) -> tuple:
    """An int or a sequence of ``n`` ints as an ``n``-tuple (PyTorch's ``_pair``)."""
    if isinstance(value, Integral):
        return (int(value),) * n
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, Integral) for v in value):
        raise TypeError(f"{name} must be an int or a tuple of ints, not "
                        f"{type(value).__name__}")
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values, but got {list(value)}")
    return value


def _same_padding(kernel, dilation) -> tuple:
    """(before, after) per spatial dim so that stride-1 output size equals input size;
    an odd total puts the extra element after, as PyTorch does."""
    totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    return tuple((t // 2, t - t // 2) for t in totals)


def _padding_pairs(padding, kernel, stride, dilation, n: int) -> tuple:
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            return _same_padding(kernel, dilation)
        raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                         "{'valid', 'same'}")
    return tuple((p, p) for p in pair(padding, "padding", n))


def _check(input: Tensor, weight: Tensor, groups: int, name: str, dims: int) -> None:
    if weight.ndim != dims + 2:
        raise RuntimeError(f"{name}: expected weight to be {dims + 2}-D, got {weight.ndim}-D "
                           f"weight of size {list(weight.shape)}")
    if input.ndim != dims + 2:
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    if groups < 1 or weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{input.shape[1]} channels instead")


def _convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation,
                 groups: int, name: str, dims: int) -> Tensor:
    """The checks and argument forms of ``conv1d``/``conv2d``, then the ``convolution`` row
    (one ``ConvolutionBackward0`` node). Unbatched input is unsqueezed around it."""
    batched = input.ndim == dims + 2
    if input.ndim == dims + 1:
        input = input.unsqueeze(0)
    _check(input, weight, groups, name, dims)
    kernel = tuple(weight.shape[2:])
    stride, dilation = pair(stride, "stride", dims), pair(dilation, "dilation", dims)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    pads = _padding_pairs(padding, kernel, stride, dilation, dims)
    if any(lo < 0 or hi < 0 for lo, hi in pads):
        raise RuntimeError("negative padding is not supported")
    # The row pads symmetrically; 'same' with an even total puts one more after, which is
    # padded first, as PyTorch does (its graph then has a ConstantPadNdBackward0 too).
    extra = tuple((0, hi - lo) for lo, hi in pads)
    if any(after for _, after in extra):
        input = constant_pad(input, ((0, 0), (0, 0), *extra), 0)
    symmetric = tuple(lo for lo, _ in pads)
    spatial = input.shape[2:]
    if any(out_size(s + 2 * p, k, d, 1) <= 0
           for s, p, k, d in zip(spatial, symmetric, kernel, dilation, strict=True)):
        padded = " x ".join(str(s + 2 * p) for s, p in zip(spatial, symmetric, strict=True))
        span = " x ".join(str(d * (k - 1) + 1) for k, d in zip(kernel, dilation, strict=True))
        raise RuntimeError(f"Calculated padded input size per channel: ({padded}). Kernel size: "
                           f"({span}). Kernel size can't be greater than actual input size")
    out = convolution(input, weight, bias, stride, symmetric, dilation, groups)
    return out if batched else out.squeeze(0)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of ``(N, C, H, W)`` with ``(O, C/groups, kh, kw)`` weights.

    >>> import autograd_lab as al
    >>> x = al.ones(1, 1, 3, 3)
    >>> al.nn.functional.conv2d(x, al.ones(1, 1, 2, 2)).shape
    (1, 1, 2, 2)
    """
    return _convolution(input, weight, bias, stride, padding, dilation, groups, "conv2d", 2)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of ``(N, C, L)`` with ``(O, C/groups, k)`` weights."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, "conv1d", 1)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding windows as columns: ``(N, C, H, W)`` gives ``(N, C*kh*kw, L)``."""
    if input.ndim != 4:
        raise RuntimeError(f"Input Error: Only 4D input Tensors are supported "
                           f"(got {input.ndim}D)")
    kernel = pair(kernel_size, "kernel_size")
    ph, pw = pair(padding, "padding")
    if ph or pw:
        input = pad(input, (pw, pw, ph, ph))
    cols = im2col(input, kernel, pair(dilation, "dilation"), pair(stride, "stride"))
    n, c = input.shape[:2]
    return cols.reshape(n, c * kernel[0] * kernel[1], -1)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """The adjoint of ``unfold``: sum columns ``(N, C*kh*kw, L)`` into ``(N, C, H, W)``."""
    kernel, dilation = pair(kernel_size, "kernel_size"), pair(dilation, "dilation")
    stride, (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
    h, w = pair(output_size, "output_size")
    oh, ow = out_size(h + 2 * ph, kernel[0], dilation[0], stride[0]), out_size(
        w + 2 * pw, kernel[1], dilation[1], stride[1])
    n, ckk, length = input.shape
    if ckk % (kernel[0] * kernel[1]) or length != oh * ow:
        raise RuntimeError(f"fold: expected input of size (N, C*{kernel[0]}*{kernel[1]}, "
                           f"{oh * ow}), got {list(input.shape)}")
    cols = input.reshape(n, ckk // (kernel[0] * kernel[1]), *kernel, oh, ow)
    out = col2im(cols, kernel, dilation, stride, (h + 2 * ph, w + 2 * pw))
    return pad(out, (-pw, -pw, -ph, -ph)) if ph or pw else out
