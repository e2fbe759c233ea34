"""Pointwise rows as ONNX: unary maths, arithmetic (with tensors and with Python numbers),
comparisons, ``where``/``clamp``/``masked_fill``, casts and copies.

Each mapping takes ``(g, out, *inputs, **attrs)``: the graph context, what the program
node computes (``out.dtype``, ``out.shape``), its input ``Value``s and the row's
attributes by name. Inputs are cast to the result's dtype first, so ONNX computes in the
type autograd_lab's promotion chose (``int64 / 2`` is a float32 division).
"""

from __future__ import annotations

import math

import numpy as np

from ._common import cast, reshape, scalar
from .symbolic import onnx_dtype

__all__ = ["ROWS", "UNROWED"]


def unary(op_type: str):
    """``op_type(x)`` in the result's dtype (``exp`` of an int64 tensor is float32)."""

    def mapping(g, out, x):
        return g.op(op_type, cast(g, x, out.dtype))

    mapping.__name__ = f"unary_{op_type}"
    return mapping


def binary(op_type: str):
    """``op_type(a, b)``, both in the result's dtype; ONNX broadcasts as NumPy does."""

    def mapping(g, out, a, b):
        return g.op(op_type, cast(g, a, out.dtype), cast(g, b, out.dtype))

    mapping.__name__ = f"binary_{op_type}"
    return mapping


def with_scalar(op_type: str, attr: str, scalar_first: bool = False):
    """``op_type(x, number)`` (or ``op_type(number, x)``) for the ``*_scalar`` rows, whose
    Python number is the attribute ``attr``."""

    def mapping(g, out, x, **attrs):
        x, number = cast(g, x, out.dtype), scalar(g, attrs[attr], out.dtype)
        return g.op(op_type, number, x) if scalar_first else g.op(op_type, x, number)

    mapping.__name__ = f"scalar_{op_type}"
    return mapping


def with_alpha(op_type: str, reverse: bool = False):
    """``add``/``sub`` with ``alpha``: ``self op alpha * other``; ``rsub``: ``other - alpha
    * self`` (``reverse``)."""

    def mapping(g, out, a, b, alpha):
        a, b = cast(g, a, out.dtype), cast(g, b, out.dtype)
        if reverse:
            a, b = b, a
        if alpha != 1:
            b = g.op("Mul", b, scalar(g, alpha, out.dtype))
        return g.op(op_type, a, b)

    mapping.__name__ = f"alpha_{op_type}" + ("_reversed" if reverse else "")
    return mapping


def tanh_backward(g, out, grad, y):
    """tanh's gradient as one op: ``grad * (1 - y * y)``."""
    grad, y = cast(g, grad, out.dtype), cast(g, y, out.dtype)
    return g.op("Mul", grad, g.op("Sub", scalar(g, 1, out.dtype), g.op("Mul", y, y)))


def sigmoid_backward(g, out, grad, y):
    """sigmoid's gradient as one op: ``grad * y * (1 - y)``."""
    grad, y = cast(g, grad, out.dtype), cast(g, y, out.dtype)
    return g.op("Mul", g.op("Mul", grad, y), g.op("Sub", scalar(g, 1, out.dtype), y))


def rsqrt(g, out, x):
    return g.op("Reciprocal", g.op("Sqrt", cast(g, x, out.dtype)))


def expm1(g, out, x):
    return g.op("Sub", g.op("Exp", cast(g, x, out.dtype)), scalar(g, 1, out.dtype))


def log1p(g, out, x):
    return g.op("Log", g.op("Add", cast(g, x, out.dtype), scalar(g, 1, out.dtype)))


def square(g, out, x):
    x = cast(g, x, out.dtype)
    return g.op("Mul", x, x)


def where(g, out, condition, a, b):
    return g.op("Where", cast(g, condition, np.bool_), cast(g, a, out.dtype),
                cast(g, b, out.dtype))


def masked_fill(g, out, x, mask, value):
    """``where(mask, value, x)``."""
    return g.op("Where", cast(g, mask, np.bool_), scalar(g, value, out.dtype),
                cast(g, x, out.dtype))


def masked_fill_tensor(g, out, x, value, mask):
    return g.op("Where", cast(g, mask, np.bool_), cast(g, value, out.dtype),
                cast(g, x, out.dtype))


def clamp(g, out, x, min, max):  # noqa: A002 - the row's attribute names
    """``Clip`` with constant bounds (a missing bound is a missing input)."""
    low = None if min is None else scalar(g, min, out.dtype)
    high = None if max is None else scalar(g, max, out.dtype)
    return g.op("Clip", cast(g, x, out.dtype), low, high)


def clamp_tensor(g, out, x, low, high):
    """``Clip`` takes scalar bounds only; tensor bounds broadcast: ``min(max(x, lo), hi)``."""
    x = g.op("Max", cast(g, x, out.dtype), cast(g, low, out.dtype))
    return g.op("Min", x, cast(g, high, out.dtype))


def to(g, out, x, dtype, self_dtype):
    return g.op("Cast", x, to_i=onnx_dtype(dtype))


def identity(g, out, x, *rest, **attrs):
    return g.op("Identity", x)


def copy(g, out, x, src):
    """``x.copy_(src)``: ``src`` cast to x's dtype and broadcast to its shape."""
    return g.op("Expand", cast(g, src, out.dtype), g.ints(out.shape, "shape"))


def fill(g, out, x, value):
    return g.op("Expand", scalar(g, value, out.dtype), g.ints(out.shape, "shape"))


def fill_tensor(g, out, x, value):
    return g.op("Expand", cast(g, value, out.dtype), g.ints(out.shape, "shape"))


def zero(g, out, x):
    return fill(g, out, x, 0)


def gelu(g, out, x):
    """``x * Phi(x)``: ``Gelu`` from opset 20, else ``0.5 * x * (1 + erf(x / sqrt 2))``."""
    x = cast(g, x, out.dtype)
    if g.opset >= 20:
        return g.op("Gelu", x)
    erf = g.op("Erf", g.op("Mul", x, scalar(g, 1 / math.sqrt(2), out.dtype)))
    half_x = g.op("Mul", x, scalar(g, 0.5, out.dtype))
    return g.op("Mul", half_x, g.op("Add", erf, scalar(g, 1, out.dtype)))


def gelu_tanh(g, out, x):
    """``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` (``Gelu`` ``tanh`` from 20)."""
    x = cast(g, x, out.dtype)
    if g.opset >= 20:
        return g.op("Gelu", x, approximate_s="tanh")
    cube = g.op("Mul", g.op("Mul", x, x), x)
    inner = g.op("Add", x, g.op("Mul", cube, scalar(g, 0.044715, out.dtype)))
    t = g.op("Tanh", g.op("Mul", inner, scalar(g, math.sqrt(2 / math.pi), out.dtype)))
    half_x = g.op("Mul", x, scalar(g, 0.5, out.dtype))
    return g.op("Mul", half_x, g.op("Add", t, scalar(g, 1, out.dtype)))


def silu(g, out, x):
    x = cast(g, x, out.dtype)
    return g.op("Mul", x, g.op("Sigmoid", x))


def softplus(g, out, x, beta, threshold):
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``."""
    x = cast(g, x, out.dtype)
    bx = x if beta == 1 else g.op("Mul", x, scalar(g, beta, out.dtype))
    smooth = g.op("Softplus", bx)
    if beta != 1:
        smooth = g.op("Div", smooth, scalar(g, beta, out.dtype))
    return g.op("Where", g.op("Greater", bx, scalar(g, threshold, out.dtype)), x, smooth)


ROWS = {
    **{name: unary(op) for name, op in {
        "abs": "Abs", "acos": "Acos", "asin": "Asin", "atan": "Atan", "cos": "Cos",
        "cosh": "Cosh", "sin": "Sin", "sinh": "Sinh", "tan": "Tan", "tanh": "Tanh",
        "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "neg": "Neg", "sign": "Sign",
        "sigmoid": "Sigmoid", "relu": "Relu", "erf": "Erf", "reciprocal": "Reciprocal",
        "sgn": "Sign", "clone": "Identity",
        "contiguous": "Identity", "alias": "Identity"}.items()},
    **{name: binary(op) for name, op in {
        "add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
        "maximum": "Max", "minimum": "Min"}.items()},
    "add_alpha": with_alpha("Add"), "sub_alpha": with_alpha("Sub"),
    "rsub": with_alpha("Sub", reverse=True),
    "tanh_backward": tanh_backward, "sigmoid_backward": sigmoid_backward,
    # the Scalar overloads a formula records (MulBackward1 ...): the same maths
    "mul_Scalar": with_scalar("Mul", "other"), "add_Scalar": with_scalar("Add", "other"),
    "div_Scalar": with_scalar("Div", "other"),
    "add_scalar": with_scalar("Add", "other"),
    "sub_scalar": with_scalar("Sub", "other"),
    "mul_scalar": with_scalar("Mul", "other"),
    "div_scalar": with_scalar("Div", "other"),
    "pow_scalar": with_scalar("Pow", "exponent"),
    "rsub_scalar": with_scalar("Sub", "other", scalar_first=True),
    "rdiv_scalar": with_scalar("Div", "other", scalar_first=True),
    "rpow_scalar": with_scalar("Pow", "self", scalar_first=True),
    "rsqrt": rsqrt, "expm1": expm1, "log1p": log1p, "square": square,
    "where": where, "masked_fill": masked_fill, "masked_fill_tensor": masked_fill_tensor,
    "clamp": clamp, "clamp_tensor": clamp_tensor,
    "clamp_min_tensor": binary("Max"), "clamp_max_tensor": binary("Min"),
    "to": to, "copy": copy, "fill": fill, "fill_tensor": fill_tensor, "zero": zero,
    "gelu": gelu, "gelu_tanh": gelu_tanh, "silu": silu, "softplus": softplus,
}


# -- ops without a row (called with their inputs, then their attributes, by position) ----
def _common_dtype(a, b):
    """The dtype two operands are compared in: a tensor's against a Python number's."""
    if not hasattr(b, "dtype") or b.dtype is None:  # a Python number
        if isinstance(b, float) and a.dtype.kind in "biu":
            return np.dtype(np.float32)
        return a.dtype
    return np.promote_types(a.dtype, b.dtype)


def comparison(op_type: str, negate: bool = False):
    def mapping(g, out, a, b):
        dtype = _common_dtype(a, b)
        b = cast(g, b, dtype) if hasattr(b, "name") else scalar(g, b, dtype)
        result = g.op(op_type, cast(g, a, dtype), b)
        return g.op("Not", result) if negate else result

    mapping.__name__ = f"compare_{op_type}"
    return mapping


def logical(op_type: str):
    def mapping(g, out, *operands):
        return g.op(op_type, *(cast(g, v, np.bool_) for v in operands))

    mapping.__name__ = f"logical_{op_type}"
    return mapping


def arg_reduce(op_type: str):
    """``argmax(x, dim, keepdim)``; ``dim=None`` looks at the flattened tensor."""

    def mapping(g, out, x, dim=None, keepdim=False):
        if dim is None:
            flat = reshape(g, x, (-1,))
            return reshape(g, g.op(op_type, flat, axis_i=0, keepdims_i=0), out.shape)
        return g.op(op_type, x, axis_i=dim, keepdims_i=int(keepdim))

    mapping.__name__ = f"arg_{op_type}"
    return mapping


def topk_indices(g, out, x, k, dim, largest, sorted):  # noqa: A002 - PyTorch's names
    _, indices = g.op("TopK", x, g.ints([k], "k"), axis_i=dim, largest_i=int(largest),
                      sorted_i=int(sorted), outputs=2)
    return indices


def new_zeros(g, out, like, size):
    """A formula's zeros (or the memory it writes every element of): a constant of its
    shape and dtype, made in the model, as the program makes it."""
    return g.constant(np.zeros(size, out.dtype), name="zeros")


UNROWED = {
    "eq": comparison("Equal"), "ne": comparison("Equal", negate=True),
    "lt": comparison("Less"), "le": comparison("LessOrEqual"),
    "gt": comparison("Greater"), "ge": comparison("GreaterOrEqual"),
    "logical_and": logical("And"), "logical_or": logical("Or"),
    "logical_not": logical("Not"),
    "argmax": arg_reduce("ArgMax"), "argmin": arg_reduce("ArgMin"),
    "detach": identity, "topk_indices": topk_indices,
    "new_zeros": new_zeros, "new_empty": new_zeros,
}
