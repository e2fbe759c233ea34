"""Reduction rows as ONNX ``Reduce*`` nodes (and the few built from them: var, std, norms),
plus the scans (``cumsum``)."""

from __future__ import annotations

import math

import numpy as np

from ._common import axes, cast, reduce, reshape, scalar

__all__ = ["ROWS"]


def reduction(op_type: str):
    """``op_type`` over the row's ``dim`` (a tuple, an int, or ``None`` for all)."""

    def mapping(g, out, x, dim=None, keepdim=False, **_):
        ndim = len(x.shape)
        return reduce(g, op_type, cast(g, x, out.dtype), axes(dim, ndim), keepdim)

    mapping.__name__ = f"reduce_{op_type}"
    return mapping


def prod(g, out, x):
    return reduce(g, "ReduceProd", cast(g, x, out.dtype), None, False)


def var(g, out, x, dim, correction, keepdim):
    """``sum((x - mean)^2) / (N - correction)`` over ``dim``."""
    x = cast(g, x, out.dtype)
    dims = axes(dim, len(x.shape))
    centred = g.op("Sub", x, reduce(g, "ReduceMean", x, dims, True))
    total = reduce(g, "ReduceSum", g.op("Mul", centred, centred), dims, keepdim)
    n = math.prod(x.shape[d] for d in dims)
    return g.op("Div", total, scalar(g, max(n - correction, 0), out.dtype))


def std(g, out, x, dim, correction, keepdim):
    return g.op("Sqrt", var(g, out, x, dim, correction, keepdim))


def vector_norm(g, out, x, ord, dim, keepdim):  # noqa: A002 - the row's attribute name
    """``ord`` 2 and 1 are ``ReduceL2``/``ReduceL1``; inf the largest ``|x|``; any other
    ``(sum |x|^ord)^(1/ord)``."""
    x = cast(g, x, out.dtype)
    dims = axes(dim, len(x.shape))
    if ord == 2:
        return reduce(g, "ReduceL2", x, dims, keepdim)
    if ord == 1:
        return reduce(g, "ReduceL1", x, dims, keepdim)
    if ord == math.inf:
        return reduce(g, "ReduceMax", g.op("Abs", x), dims, keepdim)
    if ord == -math.inf:
        return reduce(g, "ReduceMin", g.op("Abs", x), dims, keepdim)
    if ord == 0:
        nonzero = g.op("Not", g.op("Equal", x, scalar(g, 0, out.dtype)))
        return reduce(g, "ReduceSum", cast(g, nonzero, out.dtype), dims, keepdim)
    powered = g.op("Pow", g.op("Abs", x), scalar(g, ord, out.dtype))
    return g.op("Pow", reduce(g, "ReduceSum", powered, dims, keepdim),
                scalar(g, 1 / ord, out.dtype))


def sum_to_size(g, out, x, size, self_sym_sizes):
    """Sum over the dimensions ``size`` broadcast (leading ones, and ones of size 1)."""
    lead = len(x.shape) - len(size)
    dims = list(range(lead)) + [lead + i for i, n in enumerate(size)
                                if n == 1 and x.shape[lead + i] != 1]
    if not dims:
        return g.op("Identity", x)
    return reshape(g, reduce(g, "ReduceSum", x, dims, True), out.shape)


def cumsum(g, out, x, dim, reverse=False):
    if not x.shape:
        return g.op("Identity", cast(g, x, out.dtype))
    return g.op("CumSum", cast(g, x, out.dtype), g.constant(np.asarray(dim, np.int64)),
                reverse_i=int(reverse) or None)


def reverse_cumsum(g, out, x, dim):
    return cumsum(g, out, x, dim, reverse=True)


ROWS = {
    "sum": reduction("ReduceSum"), "sum_dim": reduction("ReduceSum"),
    "mean": reduction("ReduceMean"), "mean_dim": reduction("ReduceMean"),
    "amax": reduction("ReduceMax"), "amin": reduction("ReduceMin"),
    "max": reduction("ReduceMax"), "min": reduction("ReduceMin"),
    "max_dim": reduction("ReduceMax"), "min_dim": reduction("ReduceMin"),
    "prod": prod, "prod_dim": reduction("ReduceProd"),
    "logsumexp": reduction("ReduceLogSumExp"),
    "var": var, "std": std, "linalg_vector_norm": vector_norm,
    "sum_to_size": sum_to_size, "cumsum": cumsum, "reverse_cumsum": reverse_cumsum,
}
