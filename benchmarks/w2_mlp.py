"""W2: one training step of a 784-512-512-10 ReLU network, batch 256, float32, cross-entropy.

Forward and backward only (no optimizer update). The three matrix products of the
forward and the five of the backward dominate, so an engine's overhead is a small part
of the step: the issue asks for no more than 5% over the hand-written NumPy step.
W6 measures the memory of the same step at batch 4,096.
"""

from __future__ import annotations

import numpy as np

from .common import Case, Target

BATCH, LAYERS = 256, (784, 512, 512, 10)
TARGET = Target(1.05)
HOW = (f"One step of an MLP {'-'.join(map(str, LAYERS))} with ReLU, batch {BATCH}, float32: "
       "`h @ W + b` per layer, mean cross-entropy over integer targets (each engine's own "
       "cross-entropy: `F.cross_entropy`, MyGrad's `softmax_crossentropy`, `logsumexp` for "
       "HIPS autograd; the hand-written one uses softmax minus one-hot), then backward to "
       "the six parameters. No optimizer update.")


def make_data(batch: int, seed: int = 0):
    """He-initialised float32 weights and biases (the params), inputs and targets (the data)."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:], strict=True):
        w = rng.standard_normal((fan_in, fan_out), dtype=np.float32)
        params += [w * np.float32(np.sqrt(2.0 / fan_in)), np.zeros(fan_out, np.float32)]
    x = rng.standard_normal((batch, LAYERS[0]), dtype=np.float32)
    targets = rng.integers(0, LAYERS[-1], size=batch)  # int64
    return params, [x, targets]


def loss(ops, w1, b1, w2, b2, w3, b3, x, targets):
    h = ops.relu(x @ w1 + b1)
    h = ops.relu(h @ w2 + b2)
    return ops.cross_entropy(h @ w3 + b3, targets)


def numpy_grads(params, data):
    """The step in NumPy, forward then backward by hand, written as a careful person would.

    Bias and ReLU are applied in place, and ReLU's backward takes its mask from ReLU's
    output (h > 0 exactly where the input was > 0), so the pre-activations are not kept:
    the least memory and time this step can take on NumPy, which W6 compares against.
    """
    w1, b1, w2, b2, w3, b3 = params
    x, targets = data
    h1 = x @ w1
    h1 += b1
    np.maximum(h1, 0, out=h1)
    h2 = h1 @ w2
    h2 += b2
    np.maximum(h2, 0, out=h2)
    logits = h2 @ w3
    logits += b3
    # d(mean cross-entropy)/d(logits) = (softmax - one-hot) / batch
    g = logits - logits.max(axis=1, keepdims=True)
    np.exp(g, out=g)
    g /= g.sum(axis=1, keepdims=True)
    g[np.arange(len(targets)), targets] -= 1
    g /= len(targets)
    gw3, gb3 = h2.T @ g, g.sum(axis=0)
    g = g @ w3.T
    g *= h2 > 0
    gw2, gb2 = h1.T @ g, g.sum(axis=0)
    g = g @ w2.T
    g *= h1 > 0
    gw1, gb1 = x.T @ g, g.sum(axis=0)
    return [gw1, gb1, gw2, gb2, gw3, gb3]


def case(quick: bool, batch: int = BATCH) -> Case:
    params, data = make_data(batch)
    # float32 sums of hundreds of terms, in different orders: agree to ~1e-6 relative
    return Case(
        title=f"W2: MLP step, batch {batch}, {'-'.join(map(str, LAYERS))}, ReLU, cross-entropy",
        unit="ms/step", per_call=1e3, params=params, data=data, loss=loss,
        numpy_grads=numpy_grads, rtol=1e-4, atol=1e-6,
    )
