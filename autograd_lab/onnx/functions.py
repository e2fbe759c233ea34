"""Model-local ONNX functions: how a Function kept as one ``autograd_lab`` node still runs.

Under ``operator_export_type="fallthrough"`` a Function without ``symbolic`` stays one node,
``autograd_lab::<Name>`` (PyTorch keeps its ``prim::PythonOp``). onnxruntime refuses a
node of an unknown domain ("... is not a registered function/op"), unless the model
defines it: when the Function's forward is made of exportable ops, its body becomes a
``FunctionProto`` of the model, which the checker checks and onnxruntime inlines.
"""

from __future__ import annotations

from onnx import helper

from .symbolic import GraphContext

__all__ = ["DOMAIN", "FunctionLibrary"]

DOMAIN = "autograd_lab"  # the custom domain of every node the exporter keeps whole


class FunctionLibrary:
    """The ``FunctionProto``s of one model, one per distinct body (a Function called
    twice with the same body is defined once; with another body, as ``Name_1``)."""

    def __init__(self, opset: int) -> None:
        self.opset = opset
        self.protos: dict = {}  # op_type -> FunctionProto
        self.domains: set = {DOMAIN}  # every domain a body uses

    def add(self, name: str, body: GraphContext, inputs: list, outputs: list) -> str:
        """Define ``name`` (or ``name_1``...) with ``body``; return the op_type to call."""
        imports = [helper.make_opsetid("", self.opset)]
        imports += [helper.make_opsetid(d, 1) for d in sorted(body.domains)]
        self.domains |= body.domains
        op_type, n = name, 0
        while True:
            proto = helper.make_function(DOMAIN, op_type, [v.name for v in inputs],
                                         [v.name for v in outputs], body.nodes, imports)
            known = self.protos.get(op_type)
            if known is None:
                self.protos[op_type] = proto
                return op_type
            if known.SerializeToString() == proto.SerializeToString():
                return op_type
            n += 1
            op_type = f"{name}_{n}"

    def functions(self) -> list:
        return list(self.protos.values())
