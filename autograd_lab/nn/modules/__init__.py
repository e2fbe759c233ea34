"""The layers of ``al.nn``, one family per file (as in ``torch/nn/modules``)."""

from .activation import GELU, ReLU, Sigmoid, Tanh
from .container import ModuleList, Sequential
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import CrossEntropyLoss, MSELoss
from .module import Module
from .normalization import LayerNorm
from .sparse import Embedding

__all__ = ["Module", "Sequential", "ModuleList", "Linear", "Identity", "Conv2d", "ReLU", "Tanh",
           "Sigmoid", "GELU", "Dropout", "LayerNorm", "Embedding", "Flatten",
           "CrossEntropyLoss", "MSELoss"]
