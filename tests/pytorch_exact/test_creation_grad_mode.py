"""Issue 14: creation functions and grad mode refuse bad arguments as PyTorch does, with
PyTorch's messages (its argument parser's wording), instead of accepting them silently or
failing inside NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al

CASES = [
    # (call, exception type, text the message contains)
    (lambda L: L.tensor([1.0], dtype="float64"), TypeError,
     "tensor(): argument 'dtype' must be torch.dtype, not str"),
    (lambda L: L.zeros(2, dtype="float32"), TypeError,
     "zeros(): argument 'dtype' must be torch.dtype, not str"),
    (lambda L: L.ones_like(L.ones(2), dtype="float64"), TypeError,
     "ones_like(): argument 'dtype' must be torch.dtype, not str"),
    (lambda L: L.zeros(2, "3"), TypeError,
     "zeros(): argument 'size' failed to unpack the object at pos 2"),
    (lambda L: L.zeros((2, "3")), TypeError, "type must be tuple of ints,but got str"),
    (lambda L: L.ones(None), TypeError,
     "ones(): argument 'size' (position 1) must be tuple of ints, not NoneType"),
    (lambda L: L.ones(2.5), TypeError, "must be tuple of ints, not float"),
    (lambda L: L.randn("a"), TypeError, "randn(): argument 'size' (position 1)"),
    (lambda L: L.arange(5, 0, 1), RuntimeError,
     "upper bound and lower bound inconsistent with step sign"),
    (lambda L: L.arange(0, 5, -1), RuntimeError,
     "upper bound and lower bound inconsistent with step sign"),
    (lambda L: L.arange(0, 5, 0), RuntimeError, "step must be nonzero"),
    (lambda L: L.arange("a"), TypeError, "arange(): argument 'end' (position 1) must be Number"),
    (lambda L: L.arange(None), TypeError, "must be Number, not NoneType"),
    (lambda L: L.set_grad_enabled("yes"), TypeError,
     "set_grad_enabled(): argument 'enabled' (position 1) must be bool, not str"),
    (lambda L: L.set_grad_enabled(None), TypeError, "must be bool, not NoneType"),
    (lambda L: L.set_grad_enabled(1.0), TypeError, "must be bool, not float"),
    (lambda L: L.zeros_like("x"), TypeError,
     "zeros_like(): argument 'input' (position 1) must be Tensor, not str"),
    (lambda L: L.full_like([1.0, 2.0], 3), TypeError,
     "full_like(): argument 'input' (position 1) must be Tensor, not list"),
    (lambda L: L.full_like(L.ones(2), "a"), TypeError,
     "full_like(): argument 'fill_value' (position 2) must be Number, not str"),
    (lambda L: L.full((2,), "a"), TypeError, "full(): argument 'fill_value' (position 2)"),
    (lambda L: L.tensor(None), RuntimeError, "Could not infer dtype of NoneType"),
    (lambda L: L.as_tensor(None), RuntimeError, "Could not infer dtype of NoneType"),
    (lambda L: L.tensor({}), RuntimeError, "Could not infer dtype of dict"),
    (lambda L: L.tensor("abc"), TypeError, "invalid data type 'str'"),
    (lambda L: L.tensor([1.0], requires_grad="yes"), TypeError,
     "tensor(): argument 'requires_grad' must be bool, not str"),
    (lambda L: L.eye("a"), TypeError, "eye(): argument 'n' must be int, not str"),
    (lambda L: L.eye(-1), RuntimeError, "n must be greater or equal to 0, got -1"),
    # dtype and the rest are keyword-only, as in PyTorch
    (lambda L: L.tensor([1.0], None), TypeError, "positional argument"),
    (lambda L: L.zeros_like(L.ones(2), None), TypeError, "positional argument"),
    (lambda L: L.scalar_tensor([1.0]), TypeError,
     "scalar_tensor(): argument 's' (position 1) must be Number, not list"),
]


@pytest.mark.parametrize("n", range(len(CASES)))
def test_refused_with_pytorchs_message(n):
    call, exc, text = CASES[n]
    with pytest.raises(exc) as info:
        call(al)
    assert text in str(info.value)


@pytest.mark.parametrize("n", range(len(CASES)))
def test_pytorch_refuses_them_too(n):
    torch = pytest.importorskip("torch")
    call, exc, text = CASES[n]
    with pytest.raises(Exception) as info:
        call(torch)
    assert isinstance(info.value, (TypeError, ValueError, RuntimeError))


def test_strings_inside_lists_are_named_not_numpys_dtype():
    with pytest.raises(TypeError) as info:
        al.tensor(["a"])
    assert "<U1" not in str(info.value) and "invalid data type 'str'" in str(info.value)


def test_good_arguments_still_work():
    assert al.tensor([1.0], dtype=al.float64).dtype is al.float64
    assert al.tensor([1.0], dtype=np.float64).dtype is al.float64  # a NumPy dtype is kept
    assert al.zeros(2, 3).shape == al.zeros((2, 3)).shape == al.zeros([2, 3]).shape == (2, 3)
    assert al.zeros(al.ones(2, 3).shape).shape == (2, 3)
    assert al.arange(5, 0, -1).tolist() == [5, 4, 3, 2, 1]
    assert al.arange(3, 3).numel() == 0
    assert al.full_like(al.ones(2), al.tensor(3.0)).tolist() == [3.0, 3.0]
    with al.set_grad_enabled(False):
        assert not al.is_grad_enabled()
    with al.set_grad_enabled(np.bool_(True)):
        assert al.is_grad_enabled()
