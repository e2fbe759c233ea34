"""``al.nn.functional`` (``F``): neural-network ops as functions, PyTorch's names.

Each family lives in its own private module; this one only gathers the public names.
"""

from __future__ import annotations

from ._activation import gelu, log_softmax, relu, sigmoid, silu, softmax, softplus, tanh
from ._conv import conv1d, conv2d, fold, unfold
from ._dropout import dropout
from ._linear import embedding, linear
from ._loss import binary_cross_entropy, cross_entropy, mse_loss, nll_loss
from ._normalization import layer_norm
from ._padding import pad
from ._pooling import avg_pool2d, max_pool2d

__all__ = ["relu", "gelu", "silu", "softplus", "tanh", "sigmoid", "softmax", "log_softmax",
           "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy", "linear", "conv1d",
           "conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d", "dropout", "layer_norm",
           "embedding", "pad"]
