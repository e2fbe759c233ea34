"""``al.onnx.export``: trace a function or module, lower it to ONNX, check it, save it.

>>> import autograd_lab as al
>>> model = al.nn.Sequential(al.nn.Linear(3, 2), al.nn.ReLU())
>>> proto = al.onnx.export(model, (al.ones(1, 3),), None, input_names=["x"],
...                        output_names=["y"])
>>> [node.op_type for node in proto.graph.node]
['Transpose', 'MatMul', 'Add', 'Relu']
>>> [i.name for i in proto.graph.initializer]
['0.weight', '0.bias']
>>> proto.opset_import[0].version, proto.ir_version
(17, 8)
"""

from __future__ import annotations

import contextlib
import re

import onnx
from onnx import helper

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..trace.make_fx import make_fx
from .export_types import OperatorExportTypes, export_type
from .functions import FunctionLibrary
from .lowering import Lowering, output_nodes
from .mapping import OPSETS
from .symbolic import GraphContext, onnx_dtype

__all__ = ["export"]

MIN_IR_VERSION = 8  # model-local functions (FunctionProto) need IR 8 (onnx 1.10)


def export(model, args, f=None, input_names=None, output_names=None, opset_version: int = 17,
           operator_export_type=OperatorExportTypes.ONNX):
    """Export ``model`` (an ``al.nn.Module`` or a function of tensors), run on ``args``,
    as an ONNX ``ModelProto``; save it to ``f`` (a path or a binary file) unless ``f`` is
    ``None``; return it.

    As ``torch.onnx.export`` (TorchScript-era): ``args`` is a tuple of arguments (or one
    tensor); ``input_names``/``output_names`` name the graph's inputs and outputs in order
    (by default, the program's names: ``x`` for an argument ``x``, ``relu`` for a relu);
    a module is exported in eval mode, its parameters as initializers named as in
    ``named_parameters()``. ``opset_version`` is the default domain's opset (17 to 21);
    the model's IR version is the lowest that opset needs, so older onnxruntimes load it.
    ``operator_export_type`` is ``"onnx"`` or ``"fallthrough"`` (``OperatorExportTypes``).
    The model is checked with ``onnx.checker.check_model(model, full_check=True)``.
    """
    mode = export_type(operator_export_type)
    if opset_version not in OPSETS:
        raise ValueError(f"opset_version {opset_version} is not supported: autograd_lab "
                         f"exports opsets {OPSETS.start} to {OPSETS.stop - 1}")
    args = (args,) if isinstance(args, Tensor) else tuple(args)
    with _eval_mode(model), no_grad():
        program = make_fx(model, inline_functions=False)(*args)
        proto = build_model(program, [a for a in args if isinstance(a, Tensor)],
                            _parameter_names(model), input_names, output_names,
                            opset_version, mode)
    onnx.checker.check_model(proto, full_check=True)
    if f is not None:
        onnx.save_model(proto, f)
    return proto


def build_model(program, real_inputs: list, attr_names: dict, input_names, output_names,
                opset: int, mode: OperatorExportTypes):
    """The ``ModelProto`` of a traced ``program`` (``real_inputs``: what it was traced on)."""
    g = GraphContext(opset)
    placeholders = program.placeholders
    input_names = _names(input_names, len(placeholders), "input_names")
    inputs = []
    for i, node in enumerate(placeholders):
        name = input_names[i] if i < len(input_names) else re.sub(r"_1$", "", node.name)
        value = g.add_input(name, node.meta["dtype"], node.meta["shape"])
        if i < len(input_names) and value.name != name:
            raise ValueError(f"input_names: {name!r} is given twice")
        inputs.append(value)
    out_nodes = output_nodes(next(n for n in program.graph if n.op == "output"))
    output_names = _names(output_names, len(out_nodes), "output_names")
    wanted = [output_names[i] if i < len(output_names) else n.name
              for i, n in enumerate(out_nodes)]
    for name in wanted:
        g.reserve(name)
    library = FunctionLibrary(opset)
    values = Lowering(g, mode, library, attr_names=attr_names).run(program, inputs,
                                                                  real_inputs)
    outputs = []
    for value, name, node in zip(values, wanted, out_nodes, strict=True):
        if value.name not in g.produced or value.name in wanted:  # an input, a repeat...
            value = g.op("Identity", value)
        g.rename(value, name)
        outputs.append(helper.make_tensor_value_info(name, onnx_dtype(node.meta["dtype"]),
                                                     list(node.meta["shape"])))
    graph = helper.make_graph(g.nodes, program.class_name, g.inputs, outputs,
                              initializer=g.initializers, value_info=g.value_info(wanted))
    imports = [helper.make_opsetid("", opset)]
    domains = g.domains | (library.domains if library.protos else set())
    imports += [helper.make_opsetid(d, 1) for d in sorted(domains)]
    proto = helper.make_model(graph, opset_imports=imports, functions=library.functions(),
                              producer_name="autograd_lab")
    proto.ir_version = max(MIN_IR_VERSION,
                           helper.find_min_ir_version_for(list(imports), ignore_unknown=True))
    return proto


def _names(names, count: int, what: str) -> list:
    names = list(names or [])
    if len(names) > count:
        raise ValueError(f"{what} has {len(names)} names for {count} "
                         f"{'inputs' if what == 'input_names' else 'outputs'}")
    return names


def _parameter_names(model) -> dict:
    """``id(tensor) -> name`` of a module's parameters and buffers (``fc.weight``)."""
    names: dict = {}
    for method in ("named_buffers", "named_parameters"):
        if hasattr(model, method):
            names.update({id(t): name for name, t in getattr(model, method)()})
    return names


@contextlib.contextmanager
def _eval_mode(model):
    """A module is exported in eval mode (dropout off), as PyTorch does; restored after."""
    training = getattr(model, "training", None)
    if training is None or not hasattr(model, "train"):
        yield
        return
    model.train(False)
    try:
        yield
    finally:
        model.train(training)
