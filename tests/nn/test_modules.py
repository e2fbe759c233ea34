"""``al.nn`` layers: registration, traversal, modes, state_dict, repr and each layer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import arr, assert_close, check_vjp

import autograd_lab as al

nn = al.nn
F = nn.functional


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.scale = nn.Parameter(al.ones(4))

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale


# ----------------------------------------------------------------------------- Parameter
def test_parameter_is_a_leaf_tensor_that_requires_grad():
    data = al.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert isinstance(p, al.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    p.detach().numpy()[0] = 5.0  # shares memory with data
    assert data.tolist() == [5.0, 2.0]
    assert type(p * 2) is al.Tensor
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        nn.Parameter(al.tensor([1, 2]))


# ----------------------------------------------------------------------------- Module basics
def test_setattr_registers_parameters_and_submodules_in_order():
    m = Block()
    assert [n for n, _ in m.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert [n for n, _ in m.named_children()] == ["fc", "act"]
    assert list(m.children()) == [m.fc, m.act]
    assert [n for n, _ in m.named_modules()] == ["", "fc", "act"]
    assert len(list(m.modules())) == 3
    assert len(list(m.parameters(recurse=False))) == 1
    assert m.fc.weight is m._modules["fc"]._parameters["weight"]


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3


def test_reassigning_and_deleting_attributes():
    m = Block()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        m.scale = al.ones(4)
    m.scale = None
    assert [n for n, _ in m.named_parameters()] == ["fc.weight", "fc.bias"]
    m.act = nn.Tanh()
    assert isinstance(m.act, nn.Tanh)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'act'"):
        m.act = 3
    del m.fc
    assert not hasattr(m, "fc")
    m.plain = 3  # ordinary attributes stay ordinary
    assert m.plain == 3 and "plain" not in m._parameters


def test_register_parameter_add_module_and_their_errors():
    m = nn.Module()
    m.register_parameter("w", nn.Parameter(al.zeros(2)))
    m.register_parameter("b", None)
    m.add_module("sub", nn.Linear(1, 1))
    assert [n for n, _ in m.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    assert m.b is None
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="nn.Parameter or None required"):
        m.register_parameter("x", al.zeros(1))
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        m.register_parameter("forward", None)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("bad", 3)
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'missing'"):
        _ = m.missing
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        m(al.zeros(1))


def test_assigning_before_init_is_an_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(al.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_train_eval_and_zero_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert m.training and m[1].training
    assert m.eval() is m
    assert not m.training and not m[1].training
    m.train()
    assert m[1].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")
    m[0](al.ones(1, 2)).sum().backward()
    grad = m[0].weight.grad
    m.zero_grad(set_to_none=False)
    assert m[0].weight.grad is grad and arr(grad).sum() == 0
    m.zero_grad()
    assert m[0].weight.grad is None


def test_state_dict_round_trip_and_strict_loading():
    al.manual_seed(0)
    a, b = Block(), Block()
    sd = a.state_dict()
    assert list(sd) == ["scale", "fc.weight", "fc.bias"]
    assert not sd["fc.weight"].requires_grad
    assert np.shares_memory(arr(sd["fc.weight"]), arr(a.fc.weight))
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert arr(b.fc.weight).tolist() == arr(a.fc.weight).tolist()
    assert b.fc.weight.requires_grad and b.fc.weight.is_leaf
    del sd["fc.bias"]
    sd["extra"] = al.zeros(1)
    with pytest.raises(RuntimeError, match=r'Error\(s\) in loading state_dict for Block:\n\t'
                                           r'Missing key\(s\) in state_dict: "fc.bias". \n\t'
                                           r'Unexpected key\(s\) in state_dict: "extra".'):
        b.load_state_dict(sd)
    result = b.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc.bias"] and result.unexpected_keys == ["extra"]
    sd = a.state_dict()
    sd["scale"] = al.zeros(5)
    with pytest.raises(RuntimeError, match=r"size mismatch for scale: copying a param with "
                                           r"shape \[5\] from checkpoint, the shape in current "
                                           r"model is \[4\]"):
        b.load_state_dict(sd)


def test_buffers_are_in_state_dict_unless_not_persistent():
    m = nn.Module()
    m.register_buffer("running", al.zeros(2))
    m.register_buffer("scratch", al.zeros(2), persistent=False)
    assert list(m.state_dict()) == ["running"]
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    loss = nn.CrossEntropyLoss(weight=al.ones(3))
    assert list(loss.state_dict()) == ["weight"]


def test_repr_like_pytorch():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Dropout(0.1),
        nn.Linear(4, 2, bias=False), nn.LayerNorm(2), nn.Embedding(3, 2, padding_idx=0),
        nn.Tanh(), nn.CrossEntropyLoss(), nn.MSELoss(), nn.GELU(approximate="tanh"))
    assert repr(model) == """Sequential(
  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
  (1): ReLU()
  (2): Flatten(start_dim=1, end_dim=-1)
  (3): Dropout(p=0.1, inplace=False)
  (4): Linear(in_features=4, out_features=2, bias=False)
  (5): LayerNorm((2,), eps=1e-05, elementwise_affine=True)
  (6): Embedding(3, 2, padding_idx=0)
  (7): Tanh()
  (8): CrossEntropyLoss()
  (9): MSELoss()
  (10): GELU(approximate='tanh')
)"""
    assert repr(Block()) == """Block(
  (fc): Linear(in_features=3, out_features=4, bias=True)
  (act): ReLU()
)"""
    assert repr(nn.Conv2d(4, 8, (3, 2), stride=2, dilation=2, groups=2, bias=False)) == (
        "Conv2d(4, 8, kernel_size=(3, 2), stride=(2, 2), dilation=(2, 2), groups=2, "
        "bias=False)")


# ----------------------------------------------------------------------------- containers
def test_sequential_indexing_append_and_forward():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.ReLU)
    assert len(seq) == 2 and len(seq[:1]) == 1
    seq.append(nn.Linear(3, 1))
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    x = al.randn(4, 2)
    assert_close(arr(seq(x)), arr(seq[2](seq[1](seq[0](x)))))
    with pytest.raises(IndexError):
        seq[3]


def test_module_list_registers_its_modules():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])

    net = Net()
    assert len(list(net.parameters())) == 6
    assert [n for n, _ in net.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]


# ----------------------------------------------------------------------------- layers
def test_linear_default_init_bounds_and_forward():
    al.manual_seed(0)
    lin = nn.Linear(50, 30)
    bound = 1 / math.sqrt(50)  # kaiming_uniform(a=sqrt(5)) gives 1/sqrt(fan_in)
    w, b = arr(lin.weight), arr(lin.bias)
    assert w.shape == (30, 50) and b.shape == (30,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert lin.weight.dtype == al.float32
    x = al.randn(4, 50)
    assert_close(arr(lin(x)), arr(x) @ w.T + b, atol=1e-5)
    assert nn.Linear(2, 3, dtype=al.float64).weight.dtype == al.float64


def test_init_is_seeded():
    al.manual_seed(1)
    a = arr(nn.Linear(3, 3).weight).copy()
    al.manual_seed(1)
    assert (arr(nn.Linear(3, 3).weight) == a).all()


def test_conv2d_layer():
    conv = nn.Conv2d(2, 4, 3, stride=1, padding=1, groups=2)
    assert conv.weight.shape == (4, 1, 3, 3)
    bound = 1 / math.sqrt(1 * 3 * 3)
    assert np.abs(arr(conv.weight)).max() <= bound
    x = al.randn(1, 2, 5, 5)
    expected = F.conv2d(x, conv.weight, conv.bias, 1, 1, 1, 2)
    assert_close(arr(conv(x)), arr(expected))
    reflect = nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect")
    expected = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), reflect.weight, reflect.bias)
    assert_close(arr(reflect(x)), arr(expected))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)


def test_dropout_layer_follows_training_flag():
    drop = nn.Dropout(0.5)
    x = al.ones(100)
    assert (arr(drop(x)) == 0).any()
    drop.eval()
    assert drop(x) is x


def test_layer_norm_embedding_flatten_and_losses():
    ln = nn.LayerNorm(4)
    assert arr(ln.weight).tolist() == [1.0] * 4 and arr(ln.bias).tolist() == [0.0] * 4
    x = al.randn(2, 4)
    assert_close(arr(ln(x)), arr(F.layer_norm(x, (4,))))
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None

    emb = nn.Embedding(5, 3, padding_idx=1)
    assert arr(emb.weight)[1].tolist() == [0.0, 0.0, 0.0]
    assert emb(al.tensor([[0, 1]])).shape == (1, 2, 3)

    assert nn.Flatten()(al.zeros(2, 3, 4)).shape == (2, 12)
    assert nn.Flatten(0, 1)(al.zeros(2, 3, 4)).shape == (6, 4)

    logits, target = al.randn(3, 4), al.tensor([0, 1, 3])
    ce = nn.CrossEntropyLoss(label_smoothing=0.1)
    assert_close(arr(ce(logits, target)), arr(F.cross_entropy(logits, target, label_smoothing=0.1)))
    assert_close(arr(nn.MSELoss(reduction="sum")(logits, logits * 0)), (arr(logits) ** 2).sum(),
                 rtol=1e-5)


def test_model_gradients_by_finite_differences():
    al.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 2), nn.Tanh(), nn.Flatten(), nn.Linear(8, 3)).double()
    w = model[3].weight
    x = al.randn(2, 1, 3, 3, dtype=al.float64)

    def f(weight):
        return F.linear(model[2](model[1](model[0](x))), weight, model[3].bias)

    check_vjp(f, [w])
    model(x).sum().backward()
    assert all(p.grad is not None and p.grad.dtype == al.float64 for p in model.parameters())
