"""``al.nn.functional`` (``F``): neural-network ops as functions, PyTorch's names.

Each family lives in its own private module; this one gathers the public names, and
checks that the arguments that must be tensors are (``_tensor_arguments``): a list, a
string or None there gives PyTorch's TypeError, not an AttributeError from inside.
"""

from __future__ import annotations

import functools

from .._tensor import Tensor
from . import _activation, _conv, _dropout, _linear, _loss, _normalization, _padding, _pooling

__all__ = ["relu", "gelu", "silu", "softplus", "tanh", "sigmoid", "softmax", "log_softmax",
           "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy", "linear", "conv1d",
           "conv2d", "unfold", "fold", "max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d",
           "dropout", "layer_norm",
           "embedding", "pad"]


def _tensor_arguments(fn, *names: str, optional: tuple = ()):
    """``fn`` with a check that its arguments ``names`` (the first parameters, in order)
    are Tensors, and those in ``optional`` Tensors or None: PyTorch's TypeError
    ("linear(): argument 'weight' (position 2) must be Tensor, not list") otherwise."""
    checks = [(i, name, name in optional) for i, name in enumerate(names)]

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        for i, name, may_be_none in checks:
            value = args[i] if i < len(args) else kwargs.get(name)
            if type(value) is not Tensor and not isinstance(value, Tensor) and not (
                    may_be_none and value is None):
                raise TypeError(
                    f"{fn.__name__}(): argument '{name}' (position {i + 1}) must be Tensor, "
                    f"not {type(value).__name__} (wrap it with al.tensor(...))")
        return fn(*args, **kwargs)

    return checked


relu = _tensor_arguments(_activation.relu, "input")
gelu = _tensor_arguments(_activation.gelu, "input")
silu = _tensor_arguments(_activation.silu, "input")
softplus = _tensor_arguments(_activation.softplus, "input")
tanh = _tensor_arguments(_activation.tanh, "input")
sigmoid = _tensor_arguments(_activation.sigmoid, "input")
softmax = _tensor_arguments(_activation.softmax, "input")
log_softmax = _tensor_arguments(_activation.log_softmax, "input")
conv1d = _tensor_arguments(_conv.conv1d, "input", "weight", "bias", optional=("bias",))
conv2d = _tensor_arguments(_conv.conv2d, "input", "weight", "bias", optional=("bias",))
unfold = _tensor_arguments(_conv.unfold, "input")
fold = _tensor_arguments(_conv.fold, "input")
dropout = _tensor_arguments(_dropout.dropout, "input")
linear = _tensor_arguments(_linear.linear, "input", "weight", "bias", optional=("bias",))
embedding = _tensor_arguments(_linear.embedding, "input", "weight")
cross_entropy = _tensor_arguments(_loss.cross_entropy, "input", "target", "weight",
                                  optional=("weight",))
nll_loss = _tensor_arguments(_loss.nll_loss, "input", "target", "weight", optional=("weight",))
mse_loss = _tensor_arguments(_loss.mse_loss, "input", "target")
binary_cross_entropy = _tensor_arguments(_loss.binary_cross_entropy, "input", "target", "weight",
                                         optional=("weight",))
layer_norm = _tensor_arguments(_normalization.layer_norm, "input")
pad = _tensor_arguments(_padding.pad, "input")
avg_pool2d = _pooling.avg_pool2d  # checks its own arguments (_pooling._geometry)
max_pool2d = _pooling.max_pool2d
max_pool1d = _pooling.max_pool1d  # PyTorch's graph: unsqueeze, the 2-d node, squeeze
avg_pool1d = _pooling.avg_pool1d
