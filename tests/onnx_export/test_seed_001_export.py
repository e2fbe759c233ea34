"""Seed 001, PyTorch's test/onnx/test_autograd_funs.py: the export half.

PyTorch's ``run_model_test`` exports the model (here at the test class's opset 20),
runs it in onnxruntime and compares with eager PyTorch; each case below does the same
with ``al.onnx.export``, ``onnx.checker.check_model(full_check=True)``, onnxruntime and
autograd_lab's eager outputs (``roundtrip``), and also feeds the exported model new
values. The eager half (values, gradients, the errors of these Functions' backwards) is
``tests/seeds/test_seed_001_autograd_funs.py``. As in PyTorch, a Function without
``symbolic`` is inlined (its forward's ops; PyTorch PR #74765), one with ``symbolic``
exports what ``symbolic`` builds, and under ``ONNX_FALLTHROUGH`` a Function without
``symbolic`` stays one node (PyTorch's ``prim::PythonOp``, ours ``autograd_lab::<Name>``).
"""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest

import autograd_lab as al
from autograd_lab.onnx import OperatorExportTypes

from .roundtrip import eager, op_types, roundtrip, run, session

OPSET = 20  # TestAutogradFuns.opset_version


def test_single_output():
    class SingleOut(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            result = result.log()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class Caller(al.nn.Module):
        def forward(self, input):
            result = input + 5
            return SingleOut.apply(result) + 3

    model = Caller()
    input = al.ones(1)
    proto = roundtrip(model, (input,), also=[(al.tensor([-2.0]),)], opset_version=OPSET)
    assert op_types(proto) == ["Add", "Exp", "Log", "Add"]  # SingleOut inlined
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", OPSET)]
    np.testing.assert_allclose(run(proto, input)[0], [9.0], rtol=1e-6)


def test_multi_output():
    class MultiOut(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result_exp = i.exp()
            result_log = result_exp.log()
            ctx.save_for_backward(result_exp, result_log)
            return result_exp, result_log

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class Caller(al.nn.Module):
        def forward(self, input):
            return MultiOut.apply(input)

    model = Caller()
    input = al.ones(1, 5)
    proto = roundtrip(model, (input,), also=[(al.randn(1, 5),)], opset_version=OPSET)
    assert op_types(proto) == ["Exp", "Log"]
    assert len(proto.graph.output) == 2
    result_exp, result_log = run(proto, input)
    np.testing.assert_allclose(result_exp, np.full((1, 5), math.e), rtol=1e-6)
    np.testing.assert_allclose(result_log, np.ones((1, 5)), rtol=1e-6)


def test_partial_output():
    class PartialOut(al.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            values, _ = al.topk(input, 3)
            return values

    class Caller(al.nn.Module):
        def forward(self, input):
            return PartialOut.apply(input)

    model = Caller()
    input = al.ones(1, 5)
    distinct = al.tensor([[1.0, 5.0, 2.0, 4.0, 3.0]])
    proto = roundtrip(model, (input,), also=[(distinct,)], opset_version=OPSET)
    assert "TopK" in op_types(proto)
    # The program picks at its own indices, so new values give their own top 3.
    assert run(proto, distinct)[0].tolist() == [[5.0, 4.0, 3.0]]


def test_nested_autograd():
    class Child(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.log()
            result_log = result.log()
            ctx.save_for_backward(result_log)
            return result_log

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class Parent(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result_exp = i.exp()
            result_log = Child.apply(result_exp)
            ctx.save_for_backward(result_exp, result_log)
            return result_exp, result_log

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class Caller(al.nn.Module):
        def forward(self, input):
            return Parent.apply(input)

    model = Caller()
    input = al.ones(1, 5)
    proto = roundtrip(model, (input,), also=[(al.tensor([[2.0, 3.0, 0.5, 1.5, 4.0]]),)],
                      opset_version=OPSET)
    # Both inlined; node names say which Function each op came from.
    assert [(n.op_type, n.name) for n in proto.graph.node] == [
        ("Exp", "Parent/Exp"), ("Log", "Parent/Child/Log"), ("Log", "Parent/Child/Log_1")]

    # Under fallthrough both stay whole: Parent calls Child, each a model-local function.
    kept = roundtrip(model, (input,), opset_version=OPSET,
                     operator_export_type=OperatorExportTypes.ONNX_FALLTHROUGH)
    assert [(n.domain, n.op_type) for n in kept.graph.node] == [("autograd_lab", "Parent")]
    bodies = {f.name: [(n.domain, n.op_type) for n in f.node] for f in kept.functions}
    assert bodies == {"Child": [("", "Log"), ("", "Log")],
                      "Parent": [("", "Exp"), ("autograd_lab", "Child")]}


# Run export in ONNX_FALLTHROUGH mode as torch.erf() is not supported
def test_aten_unsupported():
    class Erf(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            erf_out = al.special.erf(x)
            ctx.save_for_backward(erf_out)
            return erf_out

        @staticmethod
        def backward(ctx, grad_output):
            result = ctx.saved_tensors
            return al.special.erfinv(result), None

    class Caller(al.nn.Module):
        def forward(self, input):
            return Erf.apply(input)

    model = Caller()
    input = al.ones(1, 5)

    # Test ONNX_FALLTHROUGH_MODE: PyTorch asserts the first node is prim::PythonOp, the
    # Function kept whole; ours is a node of the custom domain autograd_lab.
    proto = al.onnx.export(model, (input,), None, opset_version=OPSET,
                           operator_export_type=OperatorExportTypes.ONNX_FALLTHROUGH)
    first = proto.graph.node[0]
    assert (first.domain, first.op_type) == ("autograd_lab", "Erf")
    assert ("autograd_lab", 1) in [(o.domain, o.version) for o in proto.opset_import]
    onnx.checker.check_model(proto, full_check=True)
    # Its forward (erf) is expressible in ONNX, so the model defines the node as a local
    # function and onnxruntime runs it.
    assert [(f.domain, f.name, [n.op_type for n in f.node]) for f in proto.functions] == [
        ("autograd_lab", "Erf", ["Erf"])]
    x = al.tensor([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    np.testing.assert_allclose(run(proto, x)[0], eager(model, x)[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(run(proto, input)[0], np.full((1, 5), math.erf(1.0)),
                               rtol=1e-6)

    # ONNX has had Erf since opset 9 (the comment above predates it): under the default
    # export type the Function is inlined as a standard Erf node.
    inlined = roundtrip(model, (input,), also=[(x,)], opset_version=OPSET)
    assert [(n.domain, n.op_type) for n in inlined.graph.node] == [("", "Erf")]

    # Test ATEN_FALLBACK_MODE: autograd_lab has no ATen operators to fall back to.
    assert not hasattr(OperatorExportTypes, "ONNX_ATEN_FALLBACK")
    with pytest.raises(ValueError, match="operator_export_type must be 'onnx' or"):
        al.onnx.export(model, (input,), None, operator_export_type="ONNX_ATEN_FALLBACK")


def _exp_and_loglog():
    class Exp(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            ctx.save_for_backward(input)  # the builtin ``input``, as in the PyTorch test
            return i.exp()

        @staticmethod
        def symbolic(g, input):
            return g.op("Exp", input)

    class LogLog(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            ctx.save_for_backward(input)
            return i.log().log()

    class Caller(al.nn.Module):
        def forward(self, input):
            exp_result = Exp.apply(input)
            return LogLog.apply(exp_result)

    return Caller()


def test_inline_and_symbolic():
    model = _exp_and_loglog()
    input = al.ones(1)
    proto = roundtrip(model, (input,), also=[(al.tensor([0.5]),)], opset_version=OPSET)
    # Exp is what its symbolic built (one node, outside any Function's scope); LogLog,
    # without symbolic, is its forward inlined.
    assert [(n.op_type, n.name) for n in proto.graph.node] == [
        ("Exp", "Exp"), ("Log", "LogLog/Log"), ("Log", "LogLog/Log_1")]
    assert abs(float(run(proto, input)[0][0])) < 2.5e-7  # log(log(e)), e in float32

    # The symbolic is used under fallthrough too; only LogLog stays whole.
    kept = roundtrip(model, (input,), opset_version=OPSET,
                     operator_export_type="fallthrough")
    assert [(n.domain, n.op_type) for n in kept.graph.node] == [
        ("", "Exp"), ("autograd_lab", "LogLog")]


def test_inline_with_scoped_tracing(tmp_path):
    # PyTorch sets torch.jit's module map around export so that node names carry module
    # scopes; autograd_lab's node names carry Function scopes without it. This case also
    # writes the model to a file and runs the file.
    model = _exp_and_loglog()
    input = al.ones(1)
    path = tmp_path / "loglog.onnx"
    proto = al.onnx.export(model, (input,), str(path), opset_version=OPSET)
    loaded = onnx.load(str(path))
    assert loaded == proto
    onnx.checker.check_model(loaded, full_check=True)
    x = al.tensor([0.5, 2.0])
    with pytest.raises(Exception, match="Got invalid dimensions"):  # shapes are static
        run(loaded, x)
    for value in (input, al.tensor([2.0])):
        np.testing.assert_allclose(run(loaded, value)[0], eager(model, value)[0],
                                   rtol=1e-6, atol=2.5e-7)
    assert session(loaded).get_inputs()[0].name == "input"
