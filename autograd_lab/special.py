"""``al.special``: special functions, as ``torch.special``."""

from ._ops.special import erf, erfinv

__all__ = ["erf", "erfinv"]
