"""The Tensor surface: creation, dtypes, repr, conversions, attributes and clear errors.

Expected reprs are written by hand from PyTorch's printing rules (``torch/_tensor_str.py``);
when torch is installed, a separate test also compares against it directly.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_lab as al


@pytest.fixture(autouse=True)
def _restore_default_dtype():
    yield
    al.set_default_dtype(al.float32)


# ----------------------------------------------------------------------------- creation and dtypes
def test_tensor_infers_pytorch_dtypes():
    assert al.tensor([1.0, 2.0]).dtype == al.float32
    assert al.tensor(1.5).dtype == al.float32
    assert al.tensor([1, 2]).dtype == al.int64
    assert al.tensor(3).dtype == al.int64
    assert al.tensor([1, 2.5]).dtype == al.float32
    assert al.tensor([True, False]).dtype == al.bool
    assert al.tensor(np.array([1.0, 2.0])).dtype == al.float64  # NumPy float64 is kept
    assert al.tensor(np.array([1.0], dtype=np.float32)).dtype == al.float32
    assert al.tensor(np.array([1, 2], dtype=np.int32)).dtype == al.int64
    assert al.tensor([1, 2], dtype=al.float64).dtype == al.float64
    assert al.tensor([[1.0, 2.0], [3.0, 4.0]]).shape == (2, 2)
    assert al.tensor(2.0).shape == () and al.tensor([]).shape == (0,)
    assert al.get_default_dtype() == al.float32
    assert al.float == al.float32 and al.double == al.float64 and al.long == al.int64


def test_tensor_copies_its_data():
    arr = np.array([1.0, 2.0])
    t = al.tensor(arr)
    arr[0] = 100.0
    assert t.tolist() == [1.0, 2.0]
    u = al.tensor(t)
    t.numpy()[1] = 50.0
    assert u.tolist() == [1.0, 2.0]


def test_tensor_from_a_list_of_tensors():
    t = al.tensor([al.tensor(1.0), al.tensor(2.5)])
    assert t.tolist() == [1.0, 2.5] and t.dtype == al.float32
    assert al.tensor([al.tensor([1, 2]), al.tensor([3, 4])]).tolist() == [[1, 2], [3, 4]]


def test_tensor_requires_grad_argument():
    t = al.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None


def test_from_numpy_shares_memory_both_ways():
    arr = np.array([1.0, 2.0, 3.0])
    t = al.from_numpy(arr)
    assert t.dtype == al.float64
    arr[0] = 10.0
    assert t.tolist() == [10.0, 2.0, 3.0]
    t.numpy()[2] = 30.0
    assert arr[2] == 30.0
    assert np.shares_memory(t.numpy(), arr)
    assert al.from_numpy(np.array([1, 2])).dtype == al.int64
    with pytest.raises(TypeError):
        al.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError, match="supports float32, float64, int64 and bool"):
        al.from_numpy(np.array([1.0], dtype=np.float16))


def test_as_tensor_shares_memory_when_it_can():
    arr = np.array([1.0, 2.0])
    t = al.as_tensor(arr)
    arr[1] = 7.0
    assert t.tolist() == [1.0, 7.0] and t.dtype == al.float64
    converted = al.as_tensor(arr, dtype=al.float32)
    arr[0] = -1.0
    assert converted.dtype == al.float32 and converted.tolist() == [1.0, 7.0]
    assert al.as_tensor(t) is t
    assert al.as_tensor([1.0, 2.0]).dtype == al.float32
    assert al.as_tensor(t, dtype=al.float32).dtype == al.float32


def test_zeros_ones_full_empty():
    z = al.zeros(2, 3)
    assert z.shape == (2, 3) and z.dtype == al.float32 and z.tolist() == [[0.0] * 3] * 2
    assert al.zeros((2, 3)).shape == (2, 3) and al.zeros([2, 3]).shape == (2, 3)
    assert al.zeros(()).shape == () and al.zeros(0).shape == (0,)
    assert al.ones(3, dtype=al.int64).tolist() == [1, 1, 1]
    assert al.ones(2, dtype=al.float64).dtype == al.float64
    assert al.full((2, 2), 1.5).tolist() == [[1.5, 1.5], [1.5, 1.5]]
    assert al.full((2, 2), 1.5).dtype == al.float32
    assert al.full((3,), 7).dtype == al.int64 and al.full((3,), 7).tolist() == [7, 7, 7]
    assert al.full((2,), True).dtype == al.bool
    assert al.full((2,), 2, dtype=al.float64).dtype == al.float64
    assert al.empty(4, 2).shape == (4, 2) and al.empty(4, 2).dtype == al.float32
    w = al.zeros(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf


def test_arange_linspace_eye():
    assert al.arange(5).tolist() == [0, 1, 2, 3, 4] and al.arange(5).dtype == al.int64
    assert al.arange(1, 10, 3).tolist() == [1, 4, 7]
    assert al.arange(5, 0, -2).tolist() == [5, 3, 1]
    a = al.arange(0, 1, 0.25)
    assert a.dtype == al.float32 and a.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert al.arange(3.0).dtype == al.float32
    assert al.arange(3, dtype=al.float64).dtype == al.float64
    lin = al.linspace(0, 1, 5)
    assert lin.dtype == al.float32 and lin.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert al.linspace(-1, 1, 3, dtype=al.float64).tolist() == [-1.0, 0.0, 1.0]
    assert al.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]] and al.eye(2).dtype == al.float32
    assert al.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert al.eye(2, dtype=al.int64).dtype == al.int64
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        al.arange(0, 3, 0)


def test_like_functions_keep_shape_and_dtype():
    x = al.tensor([[1, 2, 3]])
    for made in [al.zeros_like(x), al.ones_like(x), al.full_like(x, 4), al.empty_like(x)]:
        assert made.shape == (1, 3) and made.dtype == al.int64
    assert al.zeros_like(x).tolist() == [[0, 0, 0]]
    assert al.ones_like(x, dtype=al.float32).dtype == al.float32
    assert al.full_like(x, 4).tolist() == [[4, 4, 4]]
    f = al.tensor([1.0, 2.0], dtype=al.float64)
    assert al.zeros_like(f).dtype == al.float64
    r = al.rand_like(f)
    assert r.shape == (2,) and r.dtype == al.float64
    assert al.randn_like(al.zeros(3, 2)).shape == (3, 2)
    assert al.ones_like(f, requires_grad=True).requires_grad


def test_random_functions_are_reproducible_with_manual_seed():
    al.manual_seed(123)
    a = (al.rand(3, 2), al.randn(4), al.randint(0, 10, (5,)))
    al.manual_seed(123)
    b = (al.rand(3, 2), al.randn(4), al.randint(0, 10, (5,)))
    for x, y in zip(a, b, strict=True):
        assert x.tolist() == y.tolist()
    al.manual_seed(124)
    assert al.rand(3, 2).tolist() != a[0].tolist()
    assert a[0].dtype == al.float32 and a[1].dtype == al.float32 and a[2].dtype == al.int64
    assert a[0].shape == (3, 2) and al.rand((2, 2)).shape == (2, 2)
    u = al.rand(1000).numpy()
    assert (u >= 0).all() and (u < 1).all()
    ints = al.randint(3, 7, (1000,)).numpy()
    assert ints.min() == 3 and ints.max() == 6
    assert set(al.randint(4, (200,)).tolist()) == {0, 1, 2, 3}  # randint(high, size)
    assert al.randn(2, dtype=al.float64).dtype == al.float64
    assert al.rand(2, requires_grad=True).requires_grad


def test_set_default_dtype():
    al.set_default_dtype(al.float64)
    assert al.get_default_dtype() == al.float64
    assert al.tensor([1.0]).dtype == al.float64
    assert al.zeros(2).dtype == al.float64 and al.rand(2).dtype == al.float64
    assert al.arange(0.0, 1.0, 0.5).dtype == al.float64
    assert al.tensor([1]).dtype == al.int64
    assert (al.tensor([1]) / 2).dtype == al.float64
    al.set_default_dtype(al.float32)
    assert al.tensor([1.0]).dtype == al.float32
    with pytest.raises(TypeError, match="floating-point"):
        al.set_default_dtype(al.int64)


# ----------------------------------------------------------------------------- repr
def _leaf(data, **kw):
    return al.tensor(data, requires_grad=True, **kw)


REPRS = [
    (lambda: _leaf([1.0, 2.0]), "tensor([1., 2.], requires_grad=True)"),
    (lambda: _leaf(2.0) * 3, "tensor(6., grad_fn=<MulBackward0>)"),
    (lambda: al.tensor([1.5, 2.0]), "tensor([1.5000, 2.0000])"),
    (lambda: al.tensor([1, 2, 3]), "tensor([1, 2, 3])"),
    (lambda: al.tensor([True, False]), "tensor([ True, False])"),
    (lambda: al.tensor([True, True]), "tensor([True, True])"),
    (lambda: al.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    (lambda: al.tensor([1.0, 2.0], dtype=al.float64),
     "tensor([1., 2.], dtype=autograd_lab.float64)"),
    (lambda: _leaf([0.5], dtype=al.float64),
     "tensor([0.5000], dtype=autograd_lab.float64, requires_grad=True)"),
    (lambda: al.tensor(3), "tensor(3)"),
    (lambda: al.tensor(True), "tensor(True)"),
    (lambda: al.tensor(2.5), "tensor(2.5000)"),
    (lambda: al.tensor(-0.0), "tensor(-0.)"),
    (lambda: al.tensor([-1.0, 2.5]), "tensor([-1.0000,  2.5000])"),
    (lambda: al.tensor([-1.0, 20.0, 300.0]), "tensor([ -1.,  20., 300.])"),
    (lambda: al.tensor([-1, 20, 300]), "tensor([ -1,  20, 300])"),
    (lambda: al.tensor([0.1, 0.25, -3.0]), "tensor([ 0.1000,  0.2500, -3.0000])"),
    (lambda: al.tensor([0.0, 0.0]), "tensor([0., 0.])"),
    (lambda: al.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: al.tensor([1e-4, 2e-4]), "tensor([1.0000e-04, 2.0000e-04])"),
    (lambda: al.tensor(1e-4), "tensor(1.0000e-04)"),
    (lambda: al.tensor([1e10, 1.0]), "tensor([1.0000e+10, 1.0000e+00])"),
    (lambda: al.tensor([1e7, 1.0]), "tensor([1.0000e+07, 1.0000e+00])"),
    (lambda: al.tensor([100.0, 1000.0]), "tensor([ 100., 1000.])"),
    (lambda: al.tensor([1234.5, 0.1]), "tensor([1.2345e+03, 1.0000e-01])"),
    (lambda: al.tensor([-1e-5, 5.0]), "tensor([-1.0000e-05,  5.0000e+00])"),
    (lambda: al.tensor([float("nan"), 1.0]), "tensor([nan, 1.])"),
    (lambda: al.tensor([1.0, float("nan")]), "tensor([1., nan])"),
    (lambda: al.tensor([float("nan"), float("inf"), -float("inf")]), "tensor([nan, inf, -inf])"),
    (lambda: al.tensor([float("inf"), -float("inf"), 1.5]), "tensor([   inf,   -inf, 1.5000])"),
    (lambda: al.tensor(float("nan")), "tensor(nan)"),
    (lambda: al.tensor([]), "tensor([])"),
    (lambda: al.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: al.tensor([], dtype=al.int64), "tensor([], dtype=autograd_lab.int64)"),
    (lambda: al.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),
     "tensor([[[1, 2],\n         [3, 4]],\n\n        [[5, 6],\n         [7, 8]]])"),
    (lambda: al.tensor([[-10, 2], [3, 400]]), "tensor([[-10,   2],\n        [  3, 400]])"),
    (lambda: al.arange(30.0),
     "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
     "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
     "        28., 29.])"),
    (lambda: al.full((3, 12), 0.1),
     "tensor([[0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000,\n"
     "         0.1000, 0.1000, 0.1000],\n"
     "        [0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000,\n"
     "         0.1000, 0.1000, 0.1000],\n"
     "        [0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000, 0.1000,\n"
     "         0.1000, 0.1000, 0.1000]])"),
    (lambda: al.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (lambda: al.arange(2000.0).reshape(40, 50),
     "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n"
     "         4.9000e+01],\n"
     "        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n"
     "         9.9000e+01],\n"
     "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n"
     "         1.4900e+02],\n"
     "        ...,\n"
     "        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n"
     "         1.8990e+03],\n"
     "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n"
     "         1.9490e+03],\n"
     "        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n"
     "         1.9990e+03]])"),
    (lambda: al.arange(21.0, dtype=al.float64) / 7 - 1,
     "tensor([-1.0000, -0.8571, -0.7143, -0.5714, -0.4286, -0.2857, -0.1429,  0.0000,\n"
     "         0.1429,  0.2857,  0.4286,  0.5714,  0.7143,  0.8571,  1.0000,  1.1429,\n"
     "         1.2857,  1.4286,  1.5714,  1.7143,  1.8571],\n"
     "       dtype=autograd_lab.float64)"),  # the suffix would pass column 80: next line
    (lambda: _leaf(np.arange(21.0)) / 7 - 1,
     "tensor([-1.0000, -0.8571, -0.7143, -0.5714, -0.4286, -0.2857, -0.1429,  0.0000,\n"
     "         0.1429,  0.2857,  0.4286,  0.5714,  0.7143,  0.8571,  1.0000,  1.1429,\n"
     "         1.2857,  1.4286,  1.5714,  1.7143,  1.8571],\n"
     "       dtype=autograd_lab.float64, grad_fn=<SubBackward0>)"),
]


@pytest.mark.parametrize("make,expected", REPRS, ids=[r[1][:40] for r in REPRS])
def test_repr_matches_pytorch(make, expected):
    assert repr(make()) == expected


def test_repr_under_default_float64():
    al.set_default_dtype(al.float64)
    assert repr(al.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(al.tensor([1.0], dtype=al.float32)) == "tensor([1.], dtype=autograd_lab.float32)"
    assert repr(al.tensor([], dtype=al.float32)) == "tensor([], dtype=autograd_lab.float32)"
    assert str(al.float64) == "autograd_lab.float64"


def _torch_cases(rng):
    yield np.array([1.0, 2.0]), False
    yield np.array(3.25, dtype=np.float32), True
    yield np.array([[0.5, -1e-6], [1e9, np.nan]]), False
    yield np.array([np.inf, -np.inf, 0.0], dtype=np.float32), False
    yield np.array([-0.0, 0.0]), False
    yield np.arange(1500, dtype=np.int64) - 700, False
    yield np.array([[True], [False]]), False
    yield np.zeros((2, 0)), False
    yield np.zeros((0,), dtype=np.int64), False
    for _ in range(150):
        ndim = int(rng.integers(0, 4))
        shape = tuple(int(s) for s in rng.integers(1, [9, 30, 8, 5][ndim], size=ndim))
        kind = rng.choice(["f32", "f64", "int", "bool"])
        if kind == "int":
            arr = rng.integers(-10 ** int(rng.integers(1, 9)), 10 ** int(rng.integers(1, 9)), shape)
        elif kind == "bool":
            arr = np.asarray(rng.random(shape) < 0.5)
        else:
            arr = rng.standard_normal(shape) * 10.0 ** int(rng.integers(-7, 10))
            if rng.random() < 0.3:
                arr = np.round(arr)
            if arr.size and rng.random() < 0.3:
                arr.reshape(-1)[0] = rng.choice([np.nan, np.inf, -np.inf, 0.0])
            arr = np.asarray(arr, dtype=np.float32 if kind == "f32" else np.float64)
        yield np.asarray(arr), kind in ("f32", "f64") and rng.random() < 0.4


def _unwrap_suffixes(text):
    # PyTorch starts a new line when a suffix would pass 80 columns; "autograd_lab." is
    # 7 characters longer than "torch.", so the two can break at different places there.
    return re.sub(r",\n +(dtype=|grad_fn=|requires_grad=|size=)", r", \1", text)


def test_repr_agrees_with_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for arr, grad in _torch_cases(rng):
        ours = al.from_numpy(arr.copy())
        theirs = torch.from_numpy(arr.copy())
        if grad:
            ours.requires_grad_()
            theirs.requires_grad_()
            if rng.random() < 0.5:
                ours, theirs = ours * 2, theirs * 2
        expected = repr(theirs).replace("torch.", "autograd_lab.")
        assert _unwrap_suffixes(repr(ours)) == _unwrap_suffixes(expected)


# ----------------------------------------------------------------------------- tensor API
def test_item_tolist_float_int():
    assert al.tensor(2.5).item() == 2.5 and isinstance(al.tensor(2.5).item(), float)
    assert al.tensor([7]).item() == 7 and isinstance(al.tensor(7).item(), int)
    assert al.tensor(True).item() is True
    assert al.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert al.tensor(1.5).tolist() == 1.5
    assert float(al.tensor([2.0])) == 2.0 and int(al.tensor(3)) == 3
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        al.tensor([1.0, 2.0]).item()


def test_numpy_refuses_a_tensor_that_requires_grad():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        x.numpy()
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        (x * 2).numpy()
    arr = x.detach().numpy()
    assert isinstance(arr, np.ndarray) and arr.tolist() == [1.0, 2.0]
    arr[0] = 5.0  # detach shares memory
    assert x.tolist() == [5.0, 2.0]
    plain = al.tensor([1.0, 2.0])
    assert np.shares_memory(plain.numpy(), plain.numpy())


def test_requires_grad_detach_is_leaf():
    x = al.tensor([1.0, 2.0])
    assert not x.requires_grad and x.is_leaf
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert d.tolist() == [2.0, 4.0]
    x.requires_grad_(False)
    assert not x.requires_grad
    z = x * 2  # nothing requires grad: a leaf without grad_fn
    assert z.is_leaf and z.grad_fn is None and not z.requires_grad
    with al.no_grad():
        w = al.tensor([1.0], requires_grad=True) * 2
    assert w.is_leaf and not w.requires_grad


FLOAT_ONLY = "only Tensors of floating point dtype can require gradients"


def test_requires_grad_errors():
    y = al.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match=FLOAT_ONLY):
        al.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match=FLOAT_ONLY):
        al.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match=FLOAT_ONLY):
        al.zeros(2, dtype=al.bool, requires_grad=True)


def test_shape_size_dim_numel_len():
    x = al.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4)
    assert x.size(0) == 2 and x.size(-1) == 4 and x.size(1) == 3
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24 and len(x) == 2
    s = al.tensor(1.0)
    assert s.shape == () and s.dim() == 0 and s.numel() == 1
    with pytest.raises(TypeError, match="len"):
        len(s)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)


def test_comparisons_give_bool_tensors_outside_the_graph():
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = al.tensor([3.0, 2.0, 1.0])
    for out, expected in [(x == y, [False, True, False]), (x != y, [True, False, True]),
                          (x < y, [True, False, False]), (x <= y, [True, True, False]),
                          (x > y, [False, False, True]), (x >= y, [False, True, True]),
                          (x > 1.5, [False, True, True]), (2.0 == x, [False, True, False]),
                          (al.eq(x, 2), [False, True, False]), (x.lt(2), [True, False, False])]:
        assert out.dtype == al.bool and out.tolist() == expected
        assert out.grad_fn is None and not out.requires_grad
    assert (~(x > 1.5)).tolist() == [True, False, False]
    assert ((x > 1.5) & (x < 2.5)).tolist() == [False, True, False]
    assert ((x < 1.5) | (x > 2.5)).tolist() == [True, False, True]


def test_bool_of_a_tensor():
    assert bool(al.tensor([1.0])) is True and bool(al.tensor(0)) is False
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(al.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        if al.tensor([True, False]):
            pass


def test_dtype_conversions():
    x = al.tensor([1.5, -2.5])
    assert x.to(al.float64).dtype == al.float64 and x.to(al.float64).tolist() == [1.5, -2.5]
    assert x.double().dtype == al.float64
    assert x.double().float().dtype == al.float32
    assert x.to(al.float32) is x
    assert x.to(al.int64).tolist() == [1, -2] and x.long().dtype == al.int64
    assert al.tensor([1, 0]).to(al.bool).tolist() == [True, False]
    assert x.is_floating_point() and not x.long().is_floating_point()
    assert x.type_as(al.tensor([1])).dtype == al.int64
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")


def test_clone_and_contiguous():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0" and c.tolist() == [1.0, 2.0]
    assert not np.shares_memory(c.detach().numpy(), x.detach().numpy())


# ----------------------------------------------------------------------------- clear errors
ERRORS = [
    (lambda: al.ones(3, 4) + al.ones(2, 4), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton "
     "dimension 0"),
    (lambda: al.ones(3, 4) * al.ones(5), RuntimeError,
     r"The size of tensor a \(4\) must match the size of tensor b \(5\) at non-singleton "
     "dimension 1"),
    (lambda: al.ones(2, 3, 4) / al.ones(3, 3, 4), RuntimeError, "must match the size"),
    (lambda: al.ones(3) ** al.ones(2), RuntimeError, "must match the size"),
    (lambda: al.maximum(al.ones(3), al.ones(2)), RuntimeError, "must match the size"),
    (lambda: al.where(al.ones(3) > 0, al.ones(3), al.ones(2)), RuntimeError, "must match the size"),
    (lambda: al.ones(3) == al.ones(2), RuntimeError, "must match the size"),
    (lambda: al.ones(3, 4) @ al.ones(3, 4), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 3x4\)"),
    (lambda: al.ones(3) @ al.ones(4), RuntimeError, "cannot be multiplied"),
    (lambda: al.ones(2, 3) @ al.ones(2), RuntimeError, "cannot be multiplied"),
    (lambda: al.ones(2, 3, 4) @ al.ones(3, 4, 5), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton "
     "dimension 0"),
    (lambda: al.ones(()) @ al.ones(3), RuntimeError, "at least 1D"),
    (lambda: al.mm(al.ones(3), al.ones(3, 2)), RuntimeError, "2D"),
    (lambda: al.ones(3, 4).reshape(5, 2), RuntimeError,
     r"shape '\[5, 2\]' is invalid for input of size 12"),
    (lambda: al.ones(3, 4).reshape(-1, 5), RuntimeError, "is invalid for input of size 12"),
    (lambda: al.ones(3, 4).view(7), RuntimeError, "is invalid for input of size 12"),
    (lambda: al.ones(3, 4).reshape(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (lambda: al.ones(3, 4).t().view(12), RuntimeError, "view size is not compatible"),
    (lambda: al.ones(3, 4)[3], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda: al.ones(3, 4)[-4], IndexError, "out of bounds"),
    (lambda: al.ones(3, 4)[0, 4], IndexError, "out of bounds"),
    (lambda: al.ones(3, 4)[[0, 3]], IndexError, "out of bounds"),
    (lambda: al.ones(3, 4)[0, 0, 0], IndexError, "too many indices"),
    (lambda: al.ones(3, 4)[al.tensor([True, False])], IndexError, "boolean index did not match"),
    (lambda: al.ones(3)[[0.5]], IndexError, "tensors used as indices must be long"),
    (lambda: al.cat([al.ones(3, 4), al.ones(3, 5)]), RuntimeError,
     "Sizes of tensors must match except in dimension 0. Expected size 4 but got size 5 "
     "for tensor number 1"),
    (lambda: al.cat([al.ones(3, 4), al.ones(3)]), RuntimeError,
     "Tensors must have same number of dimensions"),
    (lambda: al.cat([al.ones(3)], dim=1), IndexError, "Dimension out of range"),
    (lambda: al.cat([]), RuntimeError, "non-empty"),
    (lambda: al.cat(al.ones(3)), TypeError, "sequence of Tensors"),
    (lambda: al.cat([al.tensor(1.0)]), RuntimeError, "zero-dimensional tensor"),
    (lambda: al.stack([al.ones(3, 4), al.ones(2, 4)]), RuntimeError,
     "stack expects each tensor to be equal size"),
    (lambda: al.ones(3, 4).sum(2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda: al.ones(3, 4).sum((0, 0)), RuntimeError, "appears multiple times"),
    (lambda: al.ones(3, 4).transpose(0, 2), IndexError, "Dimension out of range"),
    (lambda: al.ones(3, 4).permute(0), RuntimeError, "number of dimensions"),
    (lambda: al.ones(3, 4).permute(0, 0), RuntimeError, "duplicate dims"),
    (lambda: al.ones(3, 4).expand(3, 5), RuntimeError, r"The expanded size of the tensor \(5\)"),
    (lambda: al.ones(3, 4).expand(4), RuntimeError, "must be greater or equal"),
    (lambda: al.ones(3, 4).squeeze(3), IndexError, "Dimension out of range"),
    (lambda: al.ones(3, 4).unsqueeze(4), IndexError, "Dimension out of range"),
    (lambda: al.ones(2, 3, 4).t(), RuntimeError, "expects a tensor with <= 2 dimensions"),
    (lambda: al.ones(3).mT, RuntimeError, "matrices or batches of matrices"),
    (lambda: al.ones(3, 4).flatten(1, 0), RuntimeError, "start_dim cannot come after end_dim"),
    (lambda: al.tensor([1, 2]).mean(), RuntimeError, "Input dtype must be floating point"),
    (lambda: al.ones(0).max(), RuntimeError, "numel\\(\\) == 0"),
    (lambda: al.ones(3).clamp(), RuntimeError, "At least one of 'min' or 'max'"),
    (lambda: al.where(al.ones(2), al.ones(2), al.ones(2)), RuntimeError, "boolean"),
    (lambda: al.tensor([True]) - al.tensor([True]), RuntimeError, "Subtraction, the `-` operator"),
    (lambda: -al.tensor([True]), RuntimeError, "Negation, the `-` operator"),
    (lambda: al.zeros(-1), RuntimeError, "negative dimension"),
    (lambda: al.tensor([[1, 2], [3]]), ValueError,
     r"expected sequence of length 2 at dim 1 \(got 1\)"),
    (lambda: al.tensor("abc"), TypeError, "supports float32, float64, int64 and bool"),
    (lambda: al.tensor([1.0], dtype=al.float32).to(np.float16), TypeError, "supports"),
    (lambda: al.ones(2).backward(), RuntimeError, "does not require grad"),
    (lambda: (al.ones(2, requires_grad=True) * 2).backward(), RuntimeError,
     "grad can be implicitly created only for scalar outputs"),
]


@pytest.mark.parametrize("fn,kind,match", ERRORS, ids=[e[2][:45] for e in ERRORS])
def test_clear_errors(fn, kind, match):
    with pytest.raises(kind, match=match):
        fn()


def test_iterating_walks_the_first_dimension_and_keeps_the_graph():
    x = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    assert rows[1].grad_fn.name() == "SelectBackward0"
    (rows[1] * 2).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0], [2.0, 2.0]]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(al.tensor(1.0))


def test_to_accepts_pytorchs_argument_forms():
    x = al.ones(2)
    assert x.to("cpu", dtype=al.float64).dtype == al.float64
    assert x.to("cpu", al.float64).dtype == al.float64
    assert x.to(dtype=al.int64).dtype == al.int64
    assert x.to(al.zeros(1, dtype=al.float64)).dtype == al.float64
    assert x.to("cpu") is x
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")


def test_add_and_sub_scale_a_number_by_alpha():
    # torch.add(t, 2, alpha=3) is t + 6: alpha scales a Python number as it does a tensor
    t = al.tensor([1.0, -2.0], requires_grad=True)
    np.testing.assert_array_equal(al.add(t, 2, alpha=3).detach().numpy(), [7.0, 4.0])
    np.testing.assert_array_equal(al.sub(t, 2, alpha=3).detach().numpy(), [-5.0, -8.0])
    np.testing.assert_array_equal(t.detach().clone().add_(2, alpha=3).numpy(), [7.0, 4.0])
    np.testing.assert_array_equal(t.detach().clone().sub_(2, alpha=3).numpy(), [-5.0, -8.0])
    al.sub(t, 2, alpha=3).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [1.0, 1.0])


def test_python_floats_are_rounded_once_to_the_dtype_asked_for():
    """``tensor([0.2], dtype=float64)`` is exactly 0.2 (PyTorch rounds the Python float
    once, to the dtype given); without a dtype the default float32 rounds it, and a float32
    tensor inside the list keeps its float32 value."""
    assert al.tensor([0.2], dtype=al.float64)._data[0] == 0.2
    assert al.tensor([[0.1, 0.2]], dtype=al.float64)._data.tolist() == [[0.1, 0.2]]
    assert al.tensor([0.2])._data[0] == np.float32(0.2)
    assert al.tensor([al.tensor(0.2), 0.3], dtype=al.float64)._data[0] == float(np.float32(0.2))
