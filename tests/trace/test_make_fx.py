"""``al.trace.make_fx``: a traced program computes what the traced function computes.

Every program is traced on seeded random inputs and run on *new* ones (the next seed):
called (its graph interpreted) and as its ``.code`` executed in a fresh namespace, both
against ``fn`` itself, values and dtypes. Then the graph's nodes (kinds, names, targets,
metadata), ``print_readable()``'s exact text for small programs, what tracing does with
data-dependent Python control flow (traces it as taken: the documented difference from
PyTorch's make_fx, which refuses), gradients through a program, and the errors.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from opdb.entries import OP_DB

import autograd_lab as al
from autograd_lab.library import custom_op
from autograd_lab.trace import GraphModule, make_fx

F = al.nn.functional


def randn(rng, *shape, dtype=np.float32, requires_grad=False):
    return al.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=requires_grad)


def flatten(value) -> list:
    """A result's leaves, in order; tuples, lists and namedtuples alike (a program returns
    a tuple where ``fn`` returned a list or a namedtuple such as ``topk``'s)."""
    if isinstance(value, dict):
        return [(k, v) for k in sorted(value) for v in flatten(value[k])]
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in flatten(item)]
    return [value]


def assert_same(got, expected) -> None:
    got, expected = flatten(got), flatten(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        if isinstance(e, tuple):  # a dict entry: (key, value)
            assert g[0] == e[0]
            g, e = g[1], e[1]
        if isinstance(e, al.Tensor):
            assert isinstance(g, al.Tensor)
            assert (g.dtype, g.shape) == (e.dtype, e.shape)
            np.testing.assert_array_equal(g.detach().numpy(), e.detach().numpy())
        else:
            assert g == e


def run_code(program: GraphModule, *inputs):
    """``program.code`` executed in a fresh namespace, as the docs say to run it."""
    ns = program.namespace()
    exec(program.code, ns)
    return ns["forward"](program, *inputs)


def check_program(fn, make_inputs, seed: int = 0) -> GraphModule:
    """Trace ``fn`` on ``make_inputs(rng(seed))``; on ``make_inputs(rng(seed + 1))`` the
    program and its ``.code`` give ``fn``'s result (fresh inputs for every run, so an
    in-place op on an input changes nothing the next run reads)."""

    def inputs(s):
        return make_inputs(np.random.default_rng(s))

    program = make_fx(fn)(*inputs(seed))
    expected = fn(*inputs(seed + 1))
    assert_same(program(*inputs(seed + 1)), expected)
    assert_same(run_code(program, *inputs(seed + 1)), expected)
    return program


def kinds(program) -> list:
    return [(n.op, n.name) for n in program.graph]


def calls(program) -> list:
    return [n.name for n in program.graph if n.op == "call_function"]


# -- programs: pointwise, reductions, views, matmul, in place, comparisons ---------------
def _two(shape_x, shape_y, dtype_y=np.float32):
    return lambda rng: (randn(rng, *shape_x), randn(rng, *shape_y, dtype=dtype_y))


def _one(*shape, dtype=np.float32):
    return lambda rng: (randn(rng, *shape, dtype=dtype),)


def _inplace_on_views(x):
    y = x.clone()
    y.mul_(2.0)
    row = y[0]
    row.add_(1.0)  # through a view: y changes too
    y[1] = 0.0
    y[:, 2].clamp_(min=-0.5)
    return y, row


def _inplace_on_input(x):
    x.add_(1.0)
    return x * x


PROGRAMS = {
    "pointwise": (lambda x, y: ((x * y + 1.0).exp() - y / 2.0).tanh() * x.sigmoid()
                  + x.abs().sqrt() - F.relu(y) ** 2, _two((2, 3), (2, 3))),
    "broadcasting": (lambda x, y: (x + y, x * y, x - 3, 2.0 / (y * y + 1)),
                     _two((3, 1), (4,))),
    "dtypes": (lambda x, y: (x + y, x * 2, (x > 0).to(al.float32)),
               _two((3,), (3,), dtype_y=np.float64)),
    "integers": (lambda i: (i + 1, i * 3, i - i.abs()), lambda rng: (
        al.tensor(rng.integers(-5, 5, size=4)),)),
    "reductions": (lambda x: (x.sum(), x.sum(dim=1, keepdim=True), x.mean(0), x.prod(),
                              x.amax(), x.amin(dim=1), x.var(), x.std(dim=0), x.norm(),
                              x.logsumexp(dim=1), x.cumsum(1), x.argmax(), x.argmin(dim=0)),
                   _one(3, 4)),
    "max_min_with_dim": (lambda x: (x.max(dim=1), x.min(dim=0, keepdim=True), x.max()),
                         _one(3, 4)),
    "topk": (lambda x: x.topk(2, dim=1), _one(3, 5)),
    "views": (lambda x: (x.t(), x.transpose(0, 1) * 2, x.permute(1, 0), x.reshape(4, 3),
                         x.view(-1), x.flatten(), x.unsqueeze(0).expand(2, 3, 4),
                         x[1:, ::2], x[0], x[:, 1], x.narrow(1, 1, 2),
                         x.unsqueeze(1).squeeze(1)), _one(3, 4)),
    "unbind_split_chunk": (lambda x: (x.unbind(0), x.split(2, dim=1), x.split([1, 2]),
                                      x.chunk(2, dim=1)), _one(3, 4)),
    "matmul": (lambda x, w: (x @ w, al.matmul(x, w), al.mm(x, w), w.t() @ x.t()),
               _two((2, 3), (3, 4))),
    "bmm": (lambda a, b: (al.bmm(a, b), a @ b, a @ b[0]), _two((2, 3, 4), (2, 4, 5))),
    "matmul_vector": (lambda v, m: (v @ m, m.t() @ v), _two((3,), (3, 2))),
    "inplace_on_views": (_inplace_on_views, _one(3, 4)),
    "inplace_on_input": (_inplace_on_input, _one(3)),
    "comparisons_where": (lambda x, y: (x > y, x == y, x <= 0.5, al.where(x > y, x, y),
                                        al.where(x > 0, x, 0.0), al.maximum(x, y),
                                        x.masked_fill(y < 0, 1.0)), _two((2, 3), (2, 3))),
    "mask_index": (lambda x: x[x > 0], _one(6)),  # as many elements as the new x has
    "index_by_input": (lambda x, i: (x[i], x[:, i], al.take_along_dim(x, i.view(-1, 1)[:3], 1)),
                       lambda rng: (randn(rng, 3, 4), al.tensor(rng.integers(0, 3, size=5)))),
    "dict_output": (lambda x: {"double": x * 2.0, "plus_one": x + 1.0}, _one(3)),
    "mixed_output": (lambda x: (x * 2.0, None, 3, "label"), _one(3)),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_equals_fn_on_new_inputs(name):
    fn, make_inputs = PROGRAMS[name]
    check_program(fn, make_inputs)


# -- al.nn layers -------------------------------------------------------------------------
class ConvNet(al.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = al.nn.Conv2d(2, 3, 3, padding=1)
        self.norm = al.nn.LayerNorm(4)
        self.fc = al.nn.Linear(12, 5)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv(x)), 2)  # (N, 3, 2, 2)
        h = self.norm(h.reshape(x.shape[0], 3, 4))
        return F.log_softmax(self.fc(h.flatten(1)), dim=1), F.softmax(h, dim=-1)


def _mlp():
    al.manual_seed(0)
    return al.nn.Sequential(al.nn.Linear(3, 4), al.nn.ReLU(), al.nn.Linear(4, 2))


def test_nn_layers_on_new_inputs():
    al.manual_seed(0)
    net = ConvNet()
    program = check_program(net, lambda rng: (randn(rng, 2, 2, 4, 4),))
    assert {"convolution", "relu", "log_softmax", "softmax"} <= set(calls(program))
    attrs = [n.target for n in program.graph if n.op == "get_attr"]
    assert attrs == ["conv_weight", "conv_bias", "norm_weight", "norm_bias", "fc_weight",
                     "fc_bias"]
    params = dict(net.named_parameters())
    for name in attrs:  # the module's own tensors, not copies
        assert getattr(program, name) is params[name.replace("_", ".", 1)]


def test_sequential_mlp_parameters_are_attributes_under_their_names():
    mlp = _mlp()
    program = check_program(mlp, lambda rng: (randn(rng, 5, 3),))
    assert program.class_name == "Sequential"
    attrs = {n.target: n for n in program.graph if n.op == "get_attr"}
    # "0.weight" is not an identifier: "_0_weight", as unique_name makes names
    assert list(attrs) == ["_0_weight", "_0_bias", "_2_weight", "_2_bias"]
    for (name, param), node in zip(mlp.named_parameters(), attrs.values(), strict=True):
        assert getattr(program, node.target) is param
        assert node.meta["shape"] == param.shape and node.meta["dtype"] == np.float32
        assert node.name == node.target == "_" + name.replace(".", "_")
    # a training step changes the parameters; the program reads them as they are now
    with al.no_grad():
        mlp[0].weight.mul_(-1.0)
    x = randn(np.random.default_rng(3), 5, 3)
    assert_same(program(x), mlp(x))


def test_linear_module_and_functional_losses():
    al.manual_seed(0)
    lin = al.nn.Linear(3, 4)
    check_program(lin, lambda rng: (randn(rng, 2, 3),))

    def loss(logits, target, x, y):
        return F.cross_entropy(logits, target), F.mse_loss(x, y), F.nll_loss(
            F.log_softmax(logits, dim=1), target, reduction="sum")

    def inputs(rng):
        return (randn(rng, 4, 3), al.tensor(rng.integers(0, 3, size=4)), randn(rng, 5),
                randn(rng, 5))

    check_program(loss, inputs)


# -- custom Functions and custom ops --------------------------------------------------
class Cube(al.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3.0 * x * x * ctx.scale, None


def test_custom_function_is_traced_as_the_ops_of_its_forward():
    program = check_program(lambda x: Cube.apply(x, 2.0).sum(), _one(3))
    assert calls(program) == ["mul", "mul_1", "mul_2", "sum_1"]
    assert all(not hasattr(n.target, "_al_code_name") for n in program.graph
               if n.op == "call_function")  # no Function call left
    assert "Cube" not in program.code
    with pytest.raises(AttributeError):
        program.Cube  # noqa: B018 - an inlined Function is not an attribute


def test_custom_function_kept_whole():
    x = al.tensor([1.0, 2.0, 3.0])
    program = make_fx(lambda x: Cube.apply(x, 2.0) + 1.0, inline_functions=False)(x)
    assert "self.Cube.apply(x_1, 2.0)" in program.code
    assert program.Cube is Cube
    new = al.tensor([-1.0, 0.5, 4.0])
    assert_same(program(new), Cube.apply(new, 2.0) + 1.0)
    assert_same(run_code(program, new), Cube.apply(new, 2.0) + 1.0)


_namespaces = itertools.count()


def test_custom_op_is_one_call():
    ns = f"_trace_test_{next(_namespaces)}"

    @custom_op(f"{ns}::scaled_sin", mutates_args=())
    def scaled_sin(x: al.Tensor, k: float) -> al.Tensor:
        return al.tensor(np.sin(x.numpy()) * k)

    try:
        program = check_program(lambda x: scaled_sin(x * 2.0, 3.0) + x, _one(4))
        assert calls(program) == ["mul", "scaled_sin", "add"]
        assert f"al.ops.{ns}.scaled_sin(mul, 3.0)" in program.code
    finally:
        scaled_sin._destroy()


# -- every sample of the op database ---------------------------------------------------
def _opdb_cases():
    for info in OP_DB:
        first = info.samples(np.random.default_rng(0))
        second = info.samples(np.random.default_rng(1))
        for i, (a, b) in enumerate(zip(first, second, strict=True)):
            yield pytest.param(info, a, b, id=f"{info.name}-{a.name or i}")


@pytest.mark.parametrize(("info", "sample", "new"), list(_opdb_cases()))
def test_every_op_database_sample(info, sample, new):
    """Traced on one sample, the program gives the op's result on the next seed's."""
    assert [t.shape for t in sample.tensors()] == [t.shape for t in new.tensors()]
    program = make_fx(lambda *ts: info.call(sample, *ts))(*sample.tensors())
    expected = info.call(new, *new.tensors())
    assert_same(program(*new.tensors()), expected)
    assert_same(run_code(program, *new.tensors()), expected)


# -- indices are the program's own --------------------------------------------------------
@pytest.mark.parametrize("op", ["gather", "index_select", "scatter", "masked_fill", "index"])
def test_an_index_tensor_is_an_input_of_the_program(op):
    """Documented in docs/programs.md: these ops keep the index tensor they were given
    (their node saves it, as PyTorch's does), so a traced program reads the index from its
    own input, and a new index gives a new pick."""
    def fn(x, i):
        if op == "gather":
            return x.gather(1, i.view(-1, 1))
        if op == "index_select":
            return x.index_select(0, i)
        if op == "scatter":
            return x.scatter(1, i.view(-1, 1), 0.0)
        if op == "masked_fill":
            return x.masked_fill(i.view(-1, 1) == 1, 0.0)
        return x[i]

    x = al.arange(12.0).view(3, 4)
    program = make_fx(fn)(x, al.tensor([2, 0, 1]))
    new = al.tensor([0, 1, 2])
    np.testing.assert_array_equal(program(x, new).numpy(), fn(x, new).numpy())
    assert not np.array_equal(program(x, new).numpy(), fn(x, al.tensor([2, 0, 1])).numpy())
    assert not any(n.op == "get_attr" for n in program.graph)  # nothing captured


# -- the graph -------------------------------------------------------------------------
def test_graph_nodes_kinds_names_targets_metadata():
    lin = al.nn.Linear(3, 2)
    program = make_fx(lambda x, y: (lin(x) * y).sum())(al.ones(4, 3), al.ones(4, 2))
    assert kinds(program) == [
        ("placeholder", "x_1"), ("placeholder", "y_1"),
        ("get_attr", "_tensor_constant"), ("call_function", "t"),
        ("get_attr", "_tensor_constant_1"), ("call_function", "addmm"),
        ("call_function", "mul"), ("call_function", "sum_1"),
        ("output", "output")]
    nodes = {n.name: n for n in program.graph}
    x, y, w, t = nodes["x_1"], nodes["y_1"], nodes["_tensor_constant"], nodes["t"]
    assert (x.target, x.args, x.meta["shape"], x.meta["dtype"]) == ("x_1", (), (4, 3),
                                                                    np.float32)
    assert w.target == "_tensor_constant" and program._tensor_constant is lin.weight
    assert w.meta["shape"] == (2, 3)
    assert repr(t.target) == "ops.t" and t.args == (w,)
    bias = nodes["_tensor_constant_1"]
    assert nodes["addmm"].args == (bias, x, t) and nodes["addmm"].meta["shape"] == (4, 2)
    total = nodes["sum_1"]
    assert total.kwargs == {"dim": (0, 1), "keepdim": False, "self_sym_sizes": (4, 2)}
    assert (total.meta["shape"], total.meta["dtype"]) == ((), np.float32)
    assert nodes["output"].args == (total,)
    assert x.users == [nodes["addmm"]] and y.users == [nodes["mul"]]
    assert len(program.graph) == len(list(program.graph)) == 9
    assert [n.name for n in program.placeholders] == ["x_1", "y_1"]


def test_metadata_matches_the_values_the_program_computes():
    """Every node's dtype and shape are those of the value it holds when the program runs."""
    mlp = _mlp()
    x = randn(np.random.default_rng(0), 5, 3)
    program = make_fx(mlp)(x)
    with al.autograd.record_ops() as records:
        program(x)
    ops_nodes = [n for n in program.graph if n.op == "call_function"]
    assert [r.name.split(".")[0] for r in records] == [
        repr(n.target)[len("ops."):] for n in ops_nodes]
    for record, node in zip(records, ops_nodes, strict=True):
        out = record.outputs[0].detach().numpy()
        assert (out.dtype, out.shape) == (node.meta["dtype"], node.meta["shape"])


def test_names_avoid_builtins_and_repeat_with_suffixes():
    def f(x):
        a = x.sum() + x.sum(dim=0).sum()  # 'sum' is a builtin: sum_1, then sum_2
        return a.abs(), x.max(), x.min(), x.abs()  # builtins too: abs_1, max_1, min_1...

    program = make_fx(f)(al.ones(2, 2))
    # a value is named by its row: sum over some dims is the row sum_dim
    assert calls(program) == ["sum_1", "sum_dim", "sum_2", "add", "abs_1", "max_1", "min_1",
                              "abs_2"]


# -- print_readable and .code -----------------------------------------------------------
def test_print_readable_mul_mul_sum(capsys):
    def f(x, w):
        y = x * w
        return (y * x).sum()

    program = make_fx(f)(al.ones(3), al.ones(3))
    text = program.print_readable()
    assert capsys.readouterr().out == text
    assert text == '''\
class f(al.nn.Module):
    def forward(self, x_1: "f32[3]", w_1: "f32[3]"):
        mul: "f32[3]" = ops.mul(x_1, w_1);  w_1 = None
        mul_1: "f32[3]" = ops.mul(mul, x_1);  mul = x_1 = None
        sum_1: "f32[]" = ops.sum(mul_1, dim=(0,), keepdim=False, self_sym_sizes=(3,));  mul_1 = None
        return sum_1
'''
    assert repr(program) == program.print_readable(print_output=False) == text
    assert program.code == '''\
def forward(self, x_1, w_1):
    mul = ops.mul(x_1, w_1);  w_1 = None
    mul_1 = ops.mul(mul, x_1);  mul = x_1 = None
    sum_1 = ops.sum(mul_1, dim=(0,), keepdim=False, self_sym_sizes=(3,));  mul_1 = None
    return sum_1
'''


def test_print_readable_linear_module():
    lin = al.nn.Linear(3, 2)
    text = make_fx(lin)(al.ones(4, 3)).print_readable(print_output=False)
    assert text == '''\
class Linear(al.nn.Module):
    def forward(self, input_1: "f32[4, 3]"):
        weight: "f32[2, 3]" = self.weight
        t: "f32[3, 2]" = ops.t(weight);  weight = None
        bias: "f32[2]" = self.bias
        addmm: "f32[4, 2]" = ops.addmm(bias, input_1, t);  bias = input_1 = t = None
        return addmm
'''


def test_print_readable_views_and_several_outputs():
    def halves(x):
        a, b = x.split(2, dim=1)
        return a.t(), b[0] * 2

    text = make_fx(halves)(al.ones(3, 4, dtype=al.float64)).print_readable(False)
    assert text == '''\
class halves(al.nn.Module):
    def forward(self, x_1: "f64[3, 4]"):
        split: "f64[3, 2], f64[3, 2]" = ops.split(x_1, split_size=2, dim=1, self_sym_sizes=(3, 4));  x_1 = None
        getitem: "f64[3, 2]" = split[0]
        getitem_1: "f64[3, 2]" = split[1];  split = None
        t: "f64[2, 3]" = ops.t(getitem);  getitem = None
        select: "f64[2]" = ops.select(getitem_1, index=(0,), self_sym_sizes=(3, 2));  getitem_1 = None
        mul: "f64[2]" = ops.mul_scalar(select, other=2);  select = None
        return (t, mul)
'''  # noqa: E501 - the printed lines as they are


def test_print_readable_custom_function_and_index_by_input():
    def pick(x, i):
        return Cube.apply(x[i], 0.5)

    text = make_fx(pick)(al.ones(4), al.tensor([3, 0])).print_readable(False)
    assert text == '''\
class pick(al.nn.Module):
    def forward(self, x_1: "f32[4]", i_1: "i64[2]"):
        index: "f32[2]" = ops.index(x_1, index=(i_1,), self_sym_sizes=(4,));  x_1 = i_1 = None
        mul: "f32[2]" = ops.mul(index, index)
        mul_1: "f32[2]" = ops.mul(mul, index);  mul = index = None
        mul_2: "f32[2]" = ops.mul_scalar(mul_1, other=0.5);  mul_1 = None
        return mul_2
'''  # noqa: E501 - the printed lines as they are


def test_code_runs_with_only_autograd_lab_and_the_module():
    program = make_fx(_mlp())(al.ones(2, 3))
    ns = program.namespace()
    assert set(ns) == {"al", "ops", "operator", "np", "accumulate_grad"}
    assert ns["al"] is al
    exec(program.code, ns)
    x = al.tensor([[1.0, -2.0, 0.5]])
    assert_same(ns["forward"](program, x), program(x))


# -- what tracing records ----------------------------------------------------------------
def double_or_shift(x):
    if x.sum() > 0:  # data-dependent Python control flow
        return x * 2.0
    return x - 1.0


def test_data_dependent_control_flow_is_traced_as_taken():
    """Documented (make_fx's docstring): the program does not branch; it holds the branch
    the traced input took. PyTorch's make_fx refuses such code instead."""
    program = make_fx(double_or_shift)(al.tensor([1.0, 2.0]))
    negative = al.tensor([-1.0, -2.0])
    assert_same(double_or_shift(negative), al.tensor([-2.0, -3.0]))  # fn takes the else
    assert_same(program(negative), al.tensor([-2.0, -4.0]))  # the program: x * 2.0
    assert_same(run_code(program, negative), al.tensor([-2.0, -4.0]))
    assert calls(program) == ["sum_1", "gt", "mul"]  # the test ran; no branch was kept
    assert "x_1 - 1.0" not in program.code and "sub" not in calls(program)
    other = make_fx(double_or_shift)(negative)
    assert calls(other) == ["sum_1", "gt", "sub"]


def test_item_is_traced_as_the_value_read():
    program = make_fx(lambda x: x * x.sum().item())(al.tensor([1.0, 2.0]))
    assert "other=3.0" in program.code
    assert_same(program(al.tensor([1.0, 1.0])), al.tensor([3.0, 3.0]))


# -- gradients through a program ---------------------------------------------------------
def _grads(fn, inputs, params):
    wrt = [t for t in inputs if t.requires_grad] + params
    out = fn(*inputs)
    (out if out.ndim == 0 else out.sum()).backward()
    grads = [t.grad.numpy().copy() for t in wrt]
    for t in wrt:
        t.grad = None
    return grads


@pytest.mark.parametrize("case", ["mlp_loss", "views_inplace", "custom_function"])
def test_backward_through_the_program_gives_fn_gradients(case):
    rng = np.random.default_rng(0)
    mlp = _mlp()
    params = list(mlp.parameters()) if case == "mlp_loss" else []
    if case == "mlp_loss":
        def fn(x, target):
            return F.cross_entropy(mlp(x), target)

        def inputs():
            return [randn(rng, 4, 3, requires_grad=True),
                    al.tensor(rng.integers(0, 2, size=4))]
    elif case == "views_inplace":
        def fn(x, w):
            y = x * w
            y[0].mul_(3.0)
            return (y.t() @ w).sum() + y[1:].amax()

        def inputs():
            return [randn(rng, 2, 2, requires_grad=True), randn(rng, 2, 2, requires_grad=True)]
    else:
        def fn(x):
            return Cube.apply(x, 2.0)

        def inputs():
            return [randn(rng, 3, requires_grad=True)]

    program = make_fx(fn)(*inputs())
    new = inputs()
    wrt = [t for t in new if t.requires_grad]
    out = program(*new)
    assert out.grad_fn is not None  # the program recorded a graph of its own
    got = _grads(program, new, params)
    expected = _grads(fn, new, params)
    assert len(got) == len(wrt) + len(params)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)


# -- errors ------------------------------------------------------------------------------
def test_wrong_number_of_inputs():
    program = make_fx(lambda x, y: x * y)(al.ones(2), al.ones(2))
    with pytest.raises(TypeError, match=r"takes 2 inputs \(x_1, y_1\), got 3"):
        program(al.ones(2), al.ones(2), al.ones(2))
    with pytest.raises(TypeError, match=r"missing input 1 \(y_1\); it takes x_1, y_1"):
        program(al.ones(2))
    one = make_fx(lambda x: x + 1)(al.ones(2))
    with pytest.raises(TypeError, match=r"takes 1 input \(x_1\), got 2"):
        one(al.ones(2), al.ones(2))


def test_non_tensor_arguments_are_traced_as_constants():
    program = make_fx(lambda x, s: x * s)(al.ones(2), 3.0)
    assert [n.name for n in program.placeholders] == ["x_1"]
    assert "other=3.0" in program.code
    with pytest.raises(TypeError, match=r"takes 1 input \(x_1\), got 2"):
        program(al.ones(2), 4.0)


def test_star_args_are_named_by_position():
    def total(*xs):
        return xs[0] + xs[1]

    program = make_fx(total)(al.ones(2), al.ones(2))
    assert [n.name for n in program.placeholders] == ["arg0_1", "arg1_1"]


def test_a_tensor_passed_as_an_attribute_is_read_from_the_programs_inputs():
    """binary_cross_entropy's weight is an attribute of its row; broadcast to the input's
    shape by an op, a program reads it from its own input, so a new weight is used."""
    F = al.nn.functional

    def f(x, t, w):
        return F.binary_cross_entropy(x, t, weight=w)

    x, t = al.rand(2, 3) * 0.8 + 0.1, al.rand(2, 3)
    program = make_fx(f)(x, t, al.rand(3))
    assert "_tensor_constant" not in program.code
    w = al.rand(3)
    assert program(x, t, w).item() == pytest.approx(f(x, t, w).item(), rel=1e-6)
