"""``al.nn``: layers (``Module`` and friends), ``Parameter``, ``functional`` and ``init``.

>>> import autograd_lab as al
>>> _ = al.manual_seed(0)
>>> model = al.nn.Sequential(al.nn.Linear(4, 8), al.nn.ReLU(), al.nn.Linear(8, 3))
>>> model(al.randn(2, 4)).shape
(2, 3)
"""

from . import functional, init
from .modules import (
    GELU,
    Conv2d,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    Linear,
    Module,
    ModuleList,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from .parameter import Parameter

__all__ = ["functional", "init", "Parameter", "Module", "Sequential", "ModuleList", "Linear",
           "Identity", "Conv2d", "ReLU", "Tanh", "Sigmoid", "GELU", "Dropout", "LayerNorm",
           "Embedding", "Flatten", "CrossEntropyLoss", "MSELoss"]
