"""W4: broadcasting and reductions: ``(x + bias) * scale``, a mean over an axis, a softmax.

``x`` is (64, 128, 32), ``bias`` (128, 1) and ``scale`` (32,), float32. Both broadcast
against ``x``, so their gradients must be summed back down to their own shapes (over
axes 0 and 2 for ``bias``, 0 and 1 for ``scale``): the work an engine's backward does
for broadcasting. Then the mean over axis 1 (64, 32), a softmax over the last axis, and
a weighted sum to a scalar (the weights, fixed, stop the gradient from vanishing: a
softmax's outputs sum to 1 whatever its inputs).
"""

from __future__ import annotations

import numpy as np

from .common import Case, Target

SHAPE = (64, 128, 32)
TARGET = Target(1.0)
HOW = ("`x` (64, 128, 32) + `bias` (128, 1), times `scale` (32,), mean over axis 1, softmax "
       "over the last axis, then `(softmax * w).sum()` with a fixed (64, 32) `w`; float32; "
       "backward to `x`, `bias` and `scale`. The hand-written backward follows the forward op "
       "by op (sums over the broadcast axes for `bias` and `scale`).")


def loss(ops, x, bias, scale, w):
    m = ops.mean((x + bias) * scale, dim=1)
    return ops.sum(ops.softmax(m, dim=-1) * w)


def numpy_grads(params, data):
    x, bias, scale = params
    (w,) = data
    # forward
    shifted = x + bias
    y = shifted * scale
    m = y.mean(axis=1)
    e = np.exp(m - m.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    # backward, op by op
    gp = w  # d(sum(p * w))/dp
    gm = p * (gp - (p * gp).sum(axis=-1, keepdims=True))  # softmax's backward
    gy = np.broadcast_to(gm[:, None, :] / x.shape[1], x.shape)  # mean's backward
    gshifted = gy * scale
    gscale = (gy * shifted).sum(axis=(0, 1))  # scale was broadcast over axes 0 and 1
    gbias = gshifted.sum(axis=(0, 2))[:, None]  # bias over axes 0 and 2
    return [gshifted, gbias, gscale]  # d/dx = d/dshifted


def case(quick: bool) -> Case:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE, dtype=np.float32)
    bias = rng.standard_normal((SHAPE[1], 1), dtype=np.float32)
    scale = rng.standard_normal(SHAPE[2], dtype=np.float32)
    w = rng.standard_normal((SHAPE[0], SHAPE[2]), dtype=np.float32)
    return Case(
        title="W4: x(64,128,32) + bias(128,1), * scale(32,), mean over axis 1, softmax",
        unit="ms/step", per_call=1e3, params=[x, bias, scale], data=[w], loss=loss,
        # the gradients are small (a mean over 128 of softmax gradients): a small atol
        numpy_grads=numpy_grads, rtol=1e-4, atol=1e-9,
    )
