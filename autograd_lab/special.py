"""``al.special``: special functions, as ``torch.special``."""

from .ops.special import erf, erfinv

__all__ = ["erf", "erfinv"]
