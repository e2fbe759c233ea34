"""Pooling as one ONNX node: the patterns a pool written by hand leaves in a program.

``F.max_pool2d``/``F.avg_pool2d`` are one row each (exported by ``_nn.py``). A pool written
as windows (``im2col``) reduced by ``max``/``sum`` is ``im2col -> view -> max_dim``; each row
exports on its own (as strided ``Slice``s, a ``Reshape`` and a ``ReduceMax``), but a reader
of the ONNX graph expects the one pool node. ``find(graph, live)`` spots the patterns:

- ``im2col -> view (..., kh*kw, OH, OW) -> max_dim(-3)`` is ``MaxPool``;
- ``im2col -> sum_dim((-4, -3))`` (without dilation) is ``AvgPool * (kh * kw)``, the
  window sums that ``avg_pool2d`` then divides by its counts.

Padding stays the ``Pad`` before (autograd_lab pads with -inf or 0 first), so the pool
itself has no padding and the same output size.
"""

from __future__ import annotations

from ._common import scalar

__all__ = ["find"]


def _row(node, *names) -> bool:
    target = node.target
    return (node.op == "call_function" and not getattr(target, "inplace", True)
            and target.spec.name in names)


def _only_user(node, live: set):
    users = [u for u in node.users if u in live]
    return users[0] if len(users) == 1 else None


def _dims(dim, ndim: int) -> set:
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return {d + ndim if d < 0 else d for d in dims}


def find(graph, live: set) -> tuple[dict, set]:
    """``({node: mapping}, skipped)``: nodes lowered as one pool node, and the nodes of
    their patterns that are then not lowered at all."""
    fused: dict = {}
    skipped: set = set()
    for cols in graph:
        if cols not in live or not _row(cols, "im2col") or len(cols.args[0].meta["shape"]) != 4:
            continue
        kernel, dilation, stride = (tuple(cols.kwargs[k]) for k in
                                    ("kernel_size", "dilation", "stride"))
        shape = cols.meta["shape"]  # (N, C, kh, kw, OH, OW)
        user = _only_user(cols, live)
        if user is None:
            continue
        if _row(user, "view", "reshape") and user.meta["shape"] == (
                shape[:2] + (kernel[0] * kernel[1],) + shape[-2:]):
            pool = _only_user(user, live)
            if (pool is not None and _row(pool, "max_dim") and not pool.kwargs["keepdim"]
                    and _dims(pool.kwargs["dim"], 5) == {2}):
                fused[pool] = _max_pool(cols.args[0], kernel, dilation, stride)
                skipped |= {cols, user}
        elif (_row(user, "sum_dim") and not user.kwargs["keepdim"] and dilation == (1, 1)
              and _dims(user.kwargs["dim"], 6) == {2, 3}):
            fused[user] = _window_sums(cols.args[0], kernel, stride)
            skipped.add(cols)
    return fused, skipped


def _max_pool(source, kernel, dilation, stride):
    def max_pool(g, out, env):
        return g.op("MaxPool", env[source], kernel_shape_i=list(kernel),
                    strides_i=list(stride), dilations_i=list(dilation))

    return max_pool


def _window_sums(source, kernel, stride):
    def window_sums(g, out, env):
        mean = g.op("AveragePool", env[source], kernel_shape_i=list(kernel),
                    strides_i=list(stride))
        return g.op("Mul", mean, scalar(g, kernel[0] * kernel[1], out.dtype))

    return window_sums
