"""``OperatorExportTypes``: what the exporter does with an op ONNX has no mapping for."""

from __future__ import annotations

import enum

__all__ = ["OperatorExportTypes", "export_type"]


class OperatorExportTypes(enum.Enum):
    """PyTorch's names (``torch.onnx.OperatorExportTypes``) for the two modes autograd_lab has.

    ``ONNX`` (``"onnx"``, the default): every op becomes standard ONNX ops, a Function
    without ``symbolic`` is inlined, and an op with no mapping raises
    ``UnsupportedOperatorError``. ``ONNX_FALLTHROUGH`` (``"fallthrough"``): an op with no
    mapping, and every Function without ``symbolic`` (as PyTorch keeps its
    ``prim::PythonOp``), becomes one node of the custom domain ``autograd_lab``.
    """

    ONNX = "onnx"
    ONNX_FALLTHROUGH = "fallthrough"


def export_type(value) -> OperatorExportTypes:
    """``"onnx"``, ``"fallthrough"`` or an ``OperatorExportTypes`` member, as a member."""
    if isinstance(value, OperatorExportTypes):
        return value
    for member in OperatorExportTypes:
        if value == member.value or value == member.name:
            return member
    raise ValueError(f"operator_export_type must be 'onnx' or 'fallthrough' (or "
                     f"al.onnx.OperatorExportTypes.ONNX / ONNX_FALLTHROUGH), got {value!r}")
