"""``al.onnx.export``: models and ops round-trip through onnxruntime, names, initializers,
``symbolic``'s attribute suffixes, and what cannot be exported.

Every value is computed twice, by onnxruntime from the exported model and by
autograd_lab eagerly, and compared (``roundtrip``); most cases also feed the exported
model new values, so a constant baked in by mistake shows.
"""

from __future__ import annotations

import io
import math

import numpy as np
import onnx
import pytest
from onnx import AttributeProto

import autograd_lab as al
from autograd_lab.onnx import OperatorExportTypes, UnsupportedOperatorError

from .roundtrip import eager, op_types, roundtrip, run, session

nn = al.nn
F = al.nn.functional


# -- models ---------------------------------------------------------------------------------
class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return F.softmax(self.fc2(self.act(self.fc1(x))), dim=-1)


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2)
        self.act = nn.ReLU()
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(6 * 2 * 2, 5)

    def forward(self, x):
        x = F.max_pool2d(self.act(self.conv1(x)), 2)  # (N, 4, 4, 4)
        x = self.act(self.conv2(x))  # (N, 6, 2, 2)
        return F.log_softmax(self.fc(self.flatten(x)), dim=1)


def test_mlp():
    al.manual_seed(0)
    model = MLP()
    proto = roundtrip(model, (al.randn(2, 4),), also=[(al.randn(2, 4),)])
    assert op_types(proto) == ["Transpose", "MatMul", "Add", "Relu", "Transpose", "MatMul",
                               "Add", "Softmax"]
    probs = run(proto, al.randn(2, 4))[0]
    np.testing.assert_allclose(probs.sum(axis=-1), [1.0, 1.0], rtol=1e-6)


def test_mlp_parameters_are_initializers_named_as_parameters():
    al.manual_seed(0)
    model = MLP()
    proto = al.onnx.export(model, (al.randn(2, 4),), None)
    params = dict(model.named_parameters())
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    assert sorted(inits) == sorted(params) == ["fc1.bias", "fc1.weight", "fc2.bias",
                                               "fc2.weight"]
    for name, array in inits.items():
        np.testing.assert_array_equal(array, params[name].detach().numpy())
    assert [i.name for i in proto.graph.input] == ["x"]  # not the parameters
    # Changing an initializer changes the result: the parameters are read, not folded.
    changed = onnx.ModelProto()
    changed.CopyFrom(proto)
    bias = next(t for t in changed.graph.initializer if t.name == "fc2.bias")
    bias.CopyFrom(onnx.numpy_helper.from_array(np.array([0.0, 0.0, 50.0], np.float32),
                                               "fc2.bias"))
    assert run(changed, al.randn(2, 4))[0][:, 2].min() > 0.99


def test_cnn():
    al.manual_seed(0)
    model = CNN()
    proto = roundtrip(model, (al.randn(2, 1, 8, 8),), also=[(al.randn(2, 1, 8, 8),)])
    kinds = op_types(proto)
    assert kinds.count("Conv") == 2 and "MaxPool" in kinds and "LogSoftmax" in kinds
    conv2 = [n for n in proto.graph.node if n.op_type == "Conv"][1]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in conv2.attribute}
    assert attrs == {"strides": [2, 2], "pads": [1, 1, 1, 1], "dilations": [1, 1],
                     "group": 2, "kernel_shape": [3, 3]}


@pytest.mark.parametrize("pool, shape, kinds", [
    (lambda x: F.max_pool2d(x, 2), (2, 3, 7, 7), ["MaxPool"]),
    (lambda x: F.max_pool2d(x, 3, stride=2, padding=1), (2, 3, 7, 7), ["Pad", "MaxPool"]),
    (lambda x: F.max_pool2d(x, 2, dilation=2), (2, 3, 7, 7), ["MaxPool"]),
    (lambda x: F.max_pool2d(x, 3, stride=2, ceil_mode=True), (2, 3, 8, 8), ["Pad", "MaxPool"]),
    (lambda x: F.avg_pool2d(x, 2), (2, 3, 7, 7), ["AveragePool", "Mul", "Div"]),
    (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False), (2, 3, 7, 7),
     ["Pad", "AveragePool", "Mul", "Div"]),
    (lambda x: F.avg_pool2d(x, 3, stride=2, ceil_mode=True, divisor_override=2), (2, 3, 8, 8),
     ["Pad", "AveragePool", "Mul", "Div"]),
    # Unbatched (C, H, W): no pool node takes it, so it gets a batch axis around the pool.
    (lambda x: F.max_pool2d(x, 2, stride=1), (3, 5, 5), ["Unsqueeze", "MaxPool", "Squeeze"]),
    (lambda x: F.avg_pool2d(x, 2), (3, 4, 4), ["Unsqueeze", "AveragePool", "Mul", "Squeeze",
                                               "Div"]),
    # 1-d pooling is 2-d pooling of a height-1 input, as in PyTorch
    (lambda x: F.max_pool1d(x, 3, 2, 1), (2, 3, 9), ["Unsqueeze", "Pad", "MaxPool", "Reshape"]),
    (lambda x: F.avg_pool1d(x, 2), (2, 3, 9), ["Unsqueeze", "AveragePool", "Mul", "Div",
                                               "Reshape"]),
    # reflection padding (ReflectionPad1D/2D) is Pad in reflect mode
    (lambda x: F.pad(x, (2, 1), mode="reflect"), (2, 3, 5), ["Pad"]),
    (lambda x: F.pad(x, (2, 1, 0, 3), mode="reflect"), (2, 3, 5, 5), ["Pad"]),
], ids=["max2", "max3s2p1", "max2d2", "max3ceil", "avg2", "avg3p1", "avg_ceil_divisor",
        "max_unbatched", "avg_unbatched", "max1d", "avg1d", "reflect1d", "reflect2d"])
def test_pooling(pool, shape, kinds):
    al.manual_seed(1)
    proto = roundtrip(pool, (al.randn(*shape),), also=[(al.randn(*shape),)])
    assert op_types(proto) == kinds


def test_layer_norm():
    al.manual_seed(0)
    model = nn.LayerNorm(6)
    with al.no_grad():
        model.weight.copy_(al.randn(6))
        model.bias.copy_(al.randn(6))
    proto = roundtrip(model, (al.randn(3, 6),), also=[(al.randn(3, 6) * 10,)])
    assert {"ReduceMean", "Sqrt", "Reciprocal"} <= set(op_types(proto))
    assert {"weight", "bias"} <= {t.name for t in proto.graph.initializer}


def test_sequential_with_activations_and_dropout_exports_in_eval_mode():
    al.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 5), nn.Tanh(), nn.Dropout(0.5), nn.Linear(5, 5),
                          nn.Sigmoid(), nn.GELU())
    model.train()
    x = al.randn(4, 5)
    proto = al.onnx.export(model, (x,), None)
    assert model.training  # restored
    assert "Dropout" not in op_types(proto)
    model.eval()
    np.testing.assert_allclose(run(proto, x)[0], eager(model, x)[0], rtol=1e-5, atol=1e-6)


def test_embedding():
    al.manual_seed(0)
    model = nn.Embedding(10, 3)
    idx = al.tensor([[1, 2, 9], [0, 0, 4]])
    proto = roundtrip(model, (idx,), also=[(al.tensor([[5, 6, 7], [8, 3, 1]]),)])
    assert op_types(proto) == ["Gather"]


# -- ops --------------------------------------------------------------------------------
def _pos(*shape):
    return al.rand(*shape) + 0.5


OPS = {
    # pointwise
    "unary": (lambda x: (x.exp(), x.log(), x.sqrt(), x.abs(), -x, x.sin(), x.cos(), x.tanh(),
                         x.sigmoid(), x.relu(), x.sign(), x.reciprocal(), x.rsqrt(),
                         x.expm1(), x.log1p(), x.square(), x.tan(), x.atan(), x.sinh(),
                         x.cosh(), al.special.erf(x)), [_pos(2, 3)]),
    "inverse_trig": (lambda x: (x.asin(), x.acos()), [al.rand(2, 3) * 1.8 - 0.9]),
    "binary": (lambda x, y: (x + y, x - y, x * y, x / y, x ** y, al.maximum(x, y),
                             al.minimum(x, y)), [_pos(2, 3), _pos(3)]),
    "scalars": (lambda x: (x + 2, x - 1.5, x * 3, x / 4, 1 - x, 3 / x, x ** 2, 2.0 ** x,
                           x ** 0.5), [_pos(2, 3)]),
    "activations": (lambda x: (F.gelu(x), F.gelu(x, approximate="tanh"), F.silu(x),
                               F.softplus(x), F.softplus(x, beta=2.0, threshold=1.0),
                               F.softmax(x, dim=0), F.log_softmax(x, dim=1)),
                    [al.randn(3, 4) * 2]),
    "clamp_where": (lambda x, y: (x.clamp(min=-0.5), x.clamp(-0.2, 0.3), x.clamp(max=0.1),
                                  x.clamp(min=y), x.clamp(max=y), x.clamp(y * 0.5, y),
                                  al.where(x > y, x, y), al.where(x > 0, x, 0.0),
                                  x.masked_fill(x < 0, 7.0),
                                  x.masked_fill(x > 0, al.tensor(-1.0))),
                    [al.randn(3, 4), al.randn(3, 4)]),
    "comparisons": (lambda x, y: (x > y, x >= y, x < 0.5, x <= y, x == y, x != 0,
                                  al.logical_and(x > 0, y > 0), al.logical_not(x > 0)),
                    [al.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 2.0]]),
                     al.tensor([[1.0, 0.0, 4.0], [0.0, 1.0, 2.0]])]),
    "dtypes": (lambda x, i: (x.long() + 1, x.long() / 2, i * 2, i.float() * x, x.double(),
                             (i > 1).sum(), x.to(al.int64).sum(0), i >= 1.5, i == 2.0),
               [al.randn(2, 3) * 5, al.tensor([[1, 2, 3], [4, 5, 6]])]),
    # reductions
    "reductions": (lambda x: (x.sum(), x.sum(0), x.sum((0, 2), keepdim=True), x.mean(),
                              x.mean(-1, keepdim=True), x.amax(1), x.amin((0, 1)), x.max(),
                              x.min(), x.max(1)[0], x.min(2, keepdim=True)[0], x.argmax(),
                              x.argmax(1), x.argmin(2, keepdim=True), x.prod(), x.prod(1),
                              x.logsumexp(2), x.var(), x.var(1), x.std(2, correction=0),
                              x.cumsum(1), x.norm(), x.norm(p=1, dim=1),
                              x.norm(p=3, dim=(1, 2)), x.norm(p=math.inf)),
                   [al.randn(2, 3, 4)]),
    # views and indexing
    "views": (lambda x: (x.view(6, 4), x.reshape(-1), x.flatten(1), x.t() if x.ndim == 2
                         else x.transpose(0, 2), x.permute(2, 0, 1), x.unsqueeze(1),
                         x.unsqueeze(-1).squeeze(-1), x[:, :1].squeeze(1),
                         x[:1].expand(5, 3, 4), x.mT),
              [al.randn(2, 3, 4)]),
    "indexing": (lambda x, i: (x[0], x[:, 1:3], x[1, ::2], x[..., -1], x[:, None, 2],
                               x[i], x[:, i], x.select(1, 0), x.narrow(1, 1, 2),
                               x.index_select(0, i), x.gather(1, al.tensor([[0, 2], [1, 1],
                                                                            [3, 0]])),
                               x.flip(0), x.flip((0, 1)), x.roll(1, 0), x.roll((1, -2),
                                                                               (0, 1)),
                               x.roll(3), x.tril(), x.triu(1), x.repeat(2, 1),
                               x.repeat(2, 1, 2)),
                 [al.randn(3, 4), al.tensor([2, 0])]),
    "joining": (lambda x, y: (al.cat([x, y], 0), al.cat([x, y, x], -1), al.stack([x, y]),
                              al.stack([x, y], dim=2), *x.split(2, dim=1),
                              *x.split([1, 3], dim=1), *x.unbind(0), *x.chunk(2, 1)),
                [al.randn(3, 4), al.randn(3, 4)]),
    "padding": (lambda x: (F.pad(x, (1, 2)), F.pad(x, (1, 0, 0, 2), value=-3.0)),
                [al.randn(2, 3, 4)]),
    "topk": (lambda x: (*al.topk(x, 2), *al.topk(x, 2, largest=False), x.sum_to_size(1, 4)),
             [al.randn(3, 4)]),
    "inplace": (lambda x: _inplace(x), [al.randn(3, 4)]),
    "linalg": (lambda a, b, v: (a @ b, a @ v, v @ b, al.matmul(a.unsqueeze(0).expand(2, 3, 4), b)),
               [al.randn(3, 4), al.randn(4, 5), al.randn(4)]),
}


def _inplace(x):
    y = x.clone()
    y.add_(1.0)
    y.mul_(x)
    z = x.clone()
    z.zero_()
    z += 2
    w = x.clone()
    w.copy_(al.ones(4))
    return y, z, w, x.clone().fill_(3.0), x.clone().clamp_(min=0.0)


@pytest.mark.parametrize("name", sorted(OPS))
def test_ops(name):
    fn, args = OPS[name]
    al.manual_seed(7)
    new = [a * 2 + 0.25 if a.dtype == al.float32 and name != "comparisons" else a
           for a in args]
    if name == "inverse_trig":
        new = [a * 0.5 for a in args]
    roundtrip(fn, args, also=[new], atol=1e-5)


def test_float64_model():
    al.manual_seed(0)
    model = MLP().double()
    x = al.randn(2, 4, dtype=al.float64)
    proto = roundtrip(model, (x,), rtol=1e-12, atol=1e-12)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE


@pytest.mark.parametrize("opset", [17, 18, 20, 21])
def test_opsets(opset):
    """Reductions take their axes as an attribute before opset 18, as an input from 18;
    GELU is one ``Gelu`` node from opset 20."""
    def fn(x):
        return x.mean(1), x.amax(0), x.logsumexp(1), x.sum(0), F.gelu(x), x.norm(dim=1)

    proto = roundtrip(fn, (al.randn(3, 4),), opset_version=opset)
    assert proto.opset_import[0].version == opset
    assert proto.ir_version == {17: 8, 18: 8, 20: 9, 21: 10}[opset]
    assert ("Gelu" in op_types(proto)) == (opset >= 20)
    mean = next(n for n in proto.graph.node if n.op_type == "ReduceMean")
    assert (len(mean.input) == 2) == (opset >= 18)


def test_unsupported_opset():
    with pytest.raises(ValueError, match="opset_version 16 is not supported"):
        al.onnx.export(lambda x: x + 1, (al.ones(2),), None, opset_version=16)


def test_captured_constant_becomes_an_initializer():
    table = al.tensor([1.0, 10.0, 100.0])

    def fn(x):
        return x * table

    proto = roundtrip(fn, (al.ones(3),), also=[(al.tensor([1.0, 2.0, 3.0]),)])
    assert [t.name for t in proto.graph.initializer] == ["_tensor_constant"]


# -- names, files ---------------------------------------------------------------------------
def test_input_and_output_names():
    def fn(a, b):
        return a + b, a * b

    proto = al.onnx.export(fn, (al.ones(2), al.ones(2)), None, input_names=["left", "right"],
                           output_names=["total", "product"])
    assert [i.name for i in proto.graph.input] == ["left", "right"]
    assert [o.name for o in proto.graph.output] == ["total", "product"]
    sess = session(proto)
    total, product = sess.run(["total", "product"], {
        "left": np.array([1.0, 2.0], np.float32), "right": np.array([3.0, 4.0], np.float32)})
    assert total.tolist() == [4.0, 6.0] and product.tolist() == [3.0, 8.0]


def test_default_names_are_the_programs():
    def fn(x, y):
        return (x * y).relu()

    proto = al.onnx.export(fn, (al.ones(2), al.ones(2)), None)
    assert [i.name for i in proto.graph.input] == ["x", "y"]
    assert [o.name for o in proto.graph.output] == ["relu"]
    assert [(list(n.input), list(n.output)) for n in proto.graph.node] == [
        (["x", "y"], ["mul"]), (["mul"], ["relu"])]


def test_some_names_given():
    proto = al.onnx.export(lambda x, y: (x + y, x), (al.ones(2), al.ones(2)), None,
                           input_names=["a"], output_names=["s"])
    assert [i.name for i in proto.graph.input] == ["a", "y"]
    # An input returned as it is: an Identity, named as the program names that value.
    assert [o.name for o in proto.graph.output] == ["s", "x_1"]


def test_an_input_returned_and_an_output_repeated():
    def fn(x):
        y = x * 2
        return x, y, y

    proto = roundtrip(fn, (al.tensor([1.0, 2.0]),), output_names=["same", "twice", "again"])
    assert [o.name for o in proto.graph.output] == ["same", "twice", "again"]
    assert op_types(proto) == ["Mul", "Identity", "Identity"]


def test_names_errors():
    with pytest.raises(ValueError, match="input_names has 2 names for 1 inputs"):
        al.onnx.export(lambda x: x + 1, (al.ones(2),), None, input_names=["a", "b"])
    with pytest.raises(ValueError, match="output_names has 2 names for 1 outputs"):
        al.onnx.export(lambda x: x + 1, (al.ones(2),), None, output_names=["a", "b"])
    with pytest.raises(ValueError, match="'a' is given to two values"):
        al.onnx.export(lambda x: (x + 1, x * 2), (al.ones(2),), None, output_names=["a", "a"])


def test_saves_to_a_path_and_a_file_object(tmp_path):
    model = MLP()
    x = al.randn(1, 4)
    proto = al.onnx.export(model, x, tmp_path / "mlp.onnx")  # one tensor: args=(x,)
    buffer = io.BytesIO()
    al.onnx.export(model, (x,), buffer)
    assert onnx.load(tmp_path / "mlp.onnx") == proto
    assert onnx.load_model_from_string(buffer.getvalue()) == proto
    np.testing.assert_allclose(run(onnx.load(tmp_path / "mlp.onnx"), x)[0], eager(model, x)[0],
                               rtol=1e-6)


# -- symbolic ---------------------------------------------------------------------------
def _symbolic_function(build):
    class Sym(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.relu()

        symbolic = staticmethod(build)

    return Sym


def _attrs(node) -> dict:
    return {a.name: (AttributeProto.AttributeType.Name(a.type),
                     onnx.helper.get_attribute_value(a)) for a in node.attribute}


def test_symbolic_attribute_suffixes():
    class Sym(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # what symbolic builds, but export never runs this
            leaky = al.where(x > 0, x, 0.25 * x)
            padded = al.cat([leaky[1:2], leaky, leaky[-2:-1]])
            return F.softmax(padded, dim=0).sum(0, keepdim=True)

        @staticmethod
        def symbolic(g, x):
            y = g.op("LeakyRelu", x, alpha_f=0.25)
            y = g.op("Pad", y, g.op("Constant", value_t=al.tensor([1, 1], dtype=al.int64)),
                     mode_s="reflect")
            y = g.op("Softmax", y, axis_i=0)
            return g.op("ReduceSum", y, g.op("Constant", value_t=np.array([0], np.int64)),
                        keepdims_i=1, noop_with_empty_axes_i=None)

    proto = roundtrip(lambda x: Sym.apply(x), (al.randn(4),), also=[(al.randn(4),)])
    nodes = {n.op_type: n for n in proto.graph.node}
    assert _attrs(nodes["LeakyRelu"]) == {"alpha": ("FLOAT", 0.25)}
    assert _attrs(nodes["Softmax"]) == {"axis": ("INT", 0)}
    assert _attrs(nodes["Pad"]) == {"mode": ("STRING", b"reflect")}
    assert _attrs(nodes["ReduceSum"]) == {"keepdims": ("INT", 1)}  # None: left out
    assert _attrs(nodes["Constant"])["value"][0] == "TENSOR"


def test_symbolic_plural_attributes_and_several_outputs():
    class SplitSum(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            a, b = x.split([1, 3], dim=1)
            return a.sum(1), b.sum(1)

        @staticmethod
        def symbolic(g, x):
            a, b = g.op("Split", x, g.op("Constant", value_t=np.array([1, 3], np.int64)),
                        axis_i=1, outputs=2)
            return (g.op("ReduceSum", a, g.op("Constant", value_t=np.array([1])),
                         keepdims_i=0),
                    g.op("ReduceL1", b, axes_i=[1], keepdims_i=0))

    x = al.rand(2, 4)
    proto = roundtrip(lambda x: SplitSum.apply(x), (x,), also=[(al.rand(2, 4),)])
    l1 = next(n for n in proto.graph.node if n.op_type == "ReduceL1")
    assert _attrs(l1)["axes"] == ("INTS", [1])


def test_symbolic_invalid_attribute_specifier():
    Sym = _symbolic_function(lambda g, x: g.op("Softmax", x, axis=0))
    with pytest.raises(ValueError, match=r"Invalid attribute specifier 'axis' names must be "
                                         r"suffixed with type, e\.g\. 'dim_i' or 'dims_i'"):
        al.onnx.export(lambda x: Sym.apply(x), (al.randn(4),), None)
    graph_attr = _symbolic_function(lambda g, x: g.op("If", x, then_branch_g=None,
                                                      else_branch_g=1))
    with pytest.raises(ValueError, match="type 'g'.*not supported"):
        al.onnx.export(lambda x: graph_attr.apply(x), (al.randn(4),), None)


def test_symbolic_must_return_values():
    Sym = _symbolic_function(lambda g, x: None)
    with pytest.raises(ValueError, match="Sym.symbolic must return 1 value"):
        al.onnx.export(lambda x: Sym.apply(x), (al.randn(4),), None)


def test_symbolic_custom_domain():
    Sym = _symbolic_function(lambda g, x: g.op("my_domain::Scale", x, factor_f=2.0))
    proto = al.onnx.export(lambda x: Sym.apply(x) + 1, (al.randn(4),), None)
    onnx.checker.check_model(proto, full_check=True)
    node = proto.graph.node[0]
    assert (node.domain, node.op_type) == ("my_domain", "Scale")
    assert ("my_domain", 1) in [(o.domain, o.version) for o in proto.opset_import]
    with pytest.raises(Exception, match="my_domain:Scale.* is not a registered function/op"):
        session(proto)


# -- what cannot be exported --------------------------------------------------------------
def test_unsupported_op_raises_a_clear_error():
    def fn(x):
        return al.special.erfinv(x * 0.5)

    with pytest.raises(UnsupportedOperatorError) as info:
        al.onnx.export(fn, (al.rand(3),), None)
    message = str(info.value)
    assert "Could not export operator 'erfinv' to ONNX opset 17" in message
    assert "row 'erfinv'" in message and "program node 'erfinv'" in message
    assert "operator_export_type='fallthrough'" in message
    assert (info.value.op, info.value.row, info.value.functions) == ("erfinv", "erfinv", ())
    assert isinstance(info.value, RuntimeError)


def test_unsupported_op_inside_a_function_names_the_function():
    class Inner(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return al.special.erfinv(x).exp()

    class Outer(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return Inner.apply(x * 0.5)

    with pytest.raises(UnsupportedOperatorError, match=r"inside Function Outer > Inner\): it "
                                                       r"has no ONNX mapping.*give Inner a "
                                                       r"staticmethod symbolic"):
        al.onnx.export(lambda x: Outer.apply(x), (al.rand(3),), None)


def test_unsupported_case_of_a_supported_row():
    with pytest.raises(UnsupportedOperatorError, match="boolean mask"):
        al.onnx.export(lambda x: x[x > 0], (al.randn(5),), None)
    with pytest.raises(UnsupportedOperatorError, match="'masked_select'"):
        al.onnx.export(lambda x: x.masked_select(x > 0), (al.randn(5),), None)


def test_inplace_through_a_view_is_refused():
    def write_view(x):
        y = x.clone()
        y[0] = 5.0
        return y

    def view_then_write(x):
        y = x.clone()
        v = y.view(4)
        y.add_(1.0)
        return v * 1

    with pytest.raises(UnsupportedOperatorError, match="into select, a view"):
        al.onnx.export(write_view, (al.randn(2, 2),), None)
    with pytest.raises(UnsupportedOperatorError, match="whose view view is read afterwards"):
        al.onnx.export(view_then_write, (al.randn(2, 2),), None)


def test_fallthrough_keeps_an_unsupported_op_as_an_autograd_lab_node():
    def fn(x):
        return al.special.erfinv(x * 0.5) + 1

    proto = al.onnx.export(fn, (al.rand(3),), None,
                           operator_export_type=OperatorExportTypes.ONNX_FALLTHROUGH)
    onnx.checker.check_model(proto, full_check=True)
    assert [(n.domain, n.op_type) for n in proto.graph.node] == [
        ("", "Mul"), ("autograd_lab", "erfinv"), ("", "Add")]
    assert ("autograd_lab", 1) in [(o.domain, o.version) for o in proto.opset_import]
    assert len(proto.functions) == 0
    with pytest.raises(Exception, match="autograd_lab:erfinv.* is not a registered function/op"):
        session(proto)


def test_fallthrough_function_with_an_unsupported_op_is_opaque():
    class Erfinv(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return al.special.erfinv(x)

    class Caller(nn.Module):
        def forward(self, input):
            return Erfinv.apply(input * 0.5).exp()

    proto = al.onnx.export(Caller(), (al.rand(1, 5),), None, operator_export_type="fallthrough")
    onnx.checker.check_model(proto, full_check=True)
    assert [(n.domain, n.op_type) for n in proto.graph.node] == [
        ("", "Mul"), ("autograd_lab", "Erfinv"), ("", "Exp")]
    assert len(proto.functions) == 0  # its body is not expressible in ONNX
    with pytest.raises(Exception, match="autograd_lab:Erfinv.* is not a registered function/op"):
        session(proto)


def test_fallthrough_function_called_twice_is_defined_once():
    class Cube(al.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            return x * x * x * scale

    def fn(x):
        return Cube.apply(x, 2.0) + Cube.apply(x + 1, 2.0) + Cube.apply(x, 3.0)

    proto = roundtrip(fn, (al.randn(3),), also=[(al.randn(3),)],
                      operator_export_type="fallthrough")
    assert [f.name for f in proto.functions] == ["Cube", "Cube_1"]  # 2.0 and 3.0
    assert [n.op_type for n in proto.graph.node if n.domain == "autograd_lab"] == [
        "Cube", "Cube", "Cube_1"]


def test_export_type_names():
    fn, x = (lambda x: x.exp()), al.ones(2)
    for value in ("onnx", "ONNX", OperatorExportTypes.ONNX):
        assert op_types(al.onnx.export(fn, (x,), None, operator_export_type=value)) == ["Exp"]
    with pytest.raises(ValueError, match="operator_export_type must be 'onnx' or "
                                         "'fallthrough'"):
        al.onnx.export(fn, (x,), None, operator_export_type="aten")
