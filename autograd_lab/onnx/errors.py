"""``UnsupportedOperatorError``: what cannot be exported, where it is, and the ways round it."""

from __future__ import annotations

__all__ = ["UnsupportedOperatorError", "CannotMap"]


class UnsupportedOperatorError(RuntimeError):
    """An op (a row of the derivative table, an op without a row, a custom op, or a
    Function) that has no ONNX mapping, named with the program node it came from.

    ``op`` is the op's name (``erfinv``), ``row`` the derivative-table row (or ``None``),
    ``node`` the program's node name, ``functions`` the Functions it sits inside
    (outermost first), ``reason`` why it cannot be exported.
    """

    def __init__(self, op: str, *, row: str | None = None, node: str | None = None,
                 functions: tuple = (), reason: str = "it has no ONNX mapping",
                 opset: int | None = None) -> None:
        self.op, self.row, self.node = op, row, node
        self.functions, self.reason, self.opset = tuple(functions), reason, opset
        where = []
        if row is not None:
            where.append(f"row {row!r}")
        if node is not None:
            where.append(f"program node {node!r}")
        if functions:
            where.append("inside Function " + " > ".join(functions))
        opset_text = f" opset {opset}" if opset is not None else ""
        ways = ("export with operator_export_type='fallthrough' "
                "(al.onnx.OperatorExportTypes.ONNX_FALLTHROUGH) to keep it as a node of "
                "the custom domain 'autograd_lab'")
        if functions:
            ways = (f"give {functions[-1]} a staticmethod symbolic(g, *inputs) that builds "
                    f"it with g.op(...), or {ways}")
        else:
            ways = (f"wrap it in an al.autograd.Function with a symbolic(g, *inputs), or "
                    f"{ways}")
        super().__init__(f"Could not export operator {op!r} to ONNX{opset_text} "
                         f"({', '.join(where)}): {reason}. To export it anyway, {ways}.")


class CannotMap(Exception):  # noqa: N818 - internal signal, turned into the error above
    """Raised by a row's mapping for a case it cannot express (a boolean mask, ...): the
    exporter turns it into ``UnsupportedOperatorError`` (or a fallthrough node)."""
