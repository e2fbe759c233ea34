"""W5: conv2d, batch 32, 3 to 16 channels, 32x32 images, 3x3 kernels, padding 1; relu; sum.

The hand-written version is the way an engine on NumPy would compute a convolution:
im2col (every 3x3 window of the padded input copied into a column, 27 rows by
32*32*32 columns), one matrix product with the (16, 27) weight, and for the backward
two matrix products plus col2im (the columns' gradients added back into the input,
nine shifted slices). The issue's limit for this row is that hand-written version.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .common import Case, Target

N, C_IN, C_OUT, SIZE, K, PAD = 32, 3, 16, 32, 3, 1
TARGET = Target(1.1)
HOW = (f"`conv2d(x, w, b, padding={PAD})` with x ({N}, {C_IN}, {SIZE}, {SIZE}), "
       f"w ({C_OUT}, {C_IN}, {K}, {K}), b ({C_OUT},), float32, then `relu` and `sum()`; "
       "backward to x, w and b. Each engine's own convolution (`F.conv2d`, MyGrad's `conv_nd`, "
       "HIPS autograd's `scipy.signal.convolve`); the hand-written one is im2col + matmul, "
       "and col2im for the input's gradient.")


def loss(ops, x, w, b):
    return ops.sum(ops.relu(ops.conv2d(x, w, b, padding=PAD)))


def numpy_grads(params, data):
    x, w, b = params
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    # forward: im2col, then one product (O, C*kh*kw) @ (C*kh*kw, N*H*W)
    xp = np.pad(x, ((0, 0), (0, 0), (PAD, PAD), (PAD, PAD)))
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))  # (N, C, H, W, kh, kw), a view
    cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * h * wd)  # the copy
    z = (w.reshape(o, -1) @ cols).reshape(o, n, h, wd) + b[:, None, None, None]
    # the loss is sum(relu(z)); backward: d/dz = 1 where z > 0, else 0
    gz = (z > 0).astype(x.dtype).reshape(o, n * h * wd)
    gb = gz.sum(axis=1)
    gw = (gz @ cols.T).reshape(w.shape)
    gcols = (w.reshape(o, -1).T @ gz).reshape(c, kh, kw, n, h, wd)
    # col2im: each kernel offset (i, j) adds its columns back at that shift
    gxp = np.zeros_like(xp)
    for i in range(kh):
        for j in range(kw):
            gxp[:, :, i:i + h, j:j + wd] += gcols[:, i, j].transpose(1, 0, 2, 3)
    return [gxp[:, :, PAD:PAD + h, PAD:PAD + wd], gw, gb]


def case(quick: bool) -> Case:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C_IN, SIZE, SIZE), dtype=np.float32)
    w = rng.standard_normal((C_OUT, C_IN, K, K), dtype=np.float32) * np.float32(
        np.sqrt(2.0 / (C_IN * K * K)))
    b = rng.standard_normal(C_OUT, dtype=np.float32) * np.float32(0.1)
    return Case(
        title="W5: conv2d, batch 32, 3→16 channels, 32x32, 3x3, padding 1, + relu + sum",
        unit="ms/step", per_call=1e3, params=[x, w, b], data=[], loss=loss,
        # gw and gb sum up to 32,768 float32 terms, in different orders
        numpy_grads=numpy_grads, rtol=1e-4, atol=1e-3,
    )
