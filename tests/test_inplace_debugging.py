"""Debugging aids for in-place trouble, and in-place custom ops (issue: in-place and views).

- anomaly mode attaches the forward traceback (the user's own line) to the in-place error;
- saved_tensors_hooks: backward uses what unpack returns (here, a compressed copy);
- an op declared ``Tensor(a!)`` counts as exactly one in-place operation, even when its
  kernel writes through NumPy, so the saved-tensor check still catches it.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al

VERSION_ERROR = ("one of the variables needed for gradient computation has been modified by an "
                 "inplace operation")


def test_inplace_error_under_anomaly_mode_shows_the_forward_line():
    with al.autograd.detect_anomaly():
        a = al.tensor([1.0, 2.0], requires_grad=True)
        x = a * 1
        z = x.sin()  # the line the learner must find
        x.mul_(2)
        with pytest.raises(RuntimeError, match=VERSION_ERROR) as caught:
            z.sum().backward()
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "Error detected in SinBackward0" in notes
    assert "test_inplace_debugging.py" in notes and "z = x.sin()" in notes
    assert "_ops/pointwise.py" not in notes  # our own frames are left out


def test_inplace_error_without_anomaly_mode_hints_at_it():
    a = al.tensor([1.0, 2.0], requires_grad=True)
    x = a * 1
    z = x.sin()
    x.add_(1)
    with pytest.raises(RuntimeError, match=r"is at version 1; expected version 0") as caught:
        z.sum().backward()
    assert "anomaly" in str(caught.value)


def test_saved_tensors_hooks_compress_and_unpack_result_is_used():
    packed_dtypes = []

    def pack(t):
        packed_dtypes.append(t.dtype)
        return t.detach().numpy().astype(np.float16)

    def unpack(data):
        return al.tensor(data.astype(np.float64), dtype=al.float64)

    x = al.tensor([0.1, 0.7], dtype=al.float64, requires_grad=True)
    w = al.tensor([1 / 3, 2 / 3], dtype=al.float64, requires_grad=True)
    with al.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = (x * w).sum()
    assert packed_dtypes == [al.float64, al.float64]
    y.backward()
    # The gradients are the *compressed* saved values: float16 rounding is visible.
    assert x.grad.tolist() == np.float16([1 / 3, 2 / 3]).astype(np.float64).tolist()
    assert w.grad.tolist() == np.float16([0.1, 0.7]).astype(np.float64).tolist()
    assert x.grad.tolist() != [1 / 3, 2 / 3]


def test_saved_tensors_hooks_unpack_can_change_the_gradient():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    with al.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 10):
        y = (x * x).sum()
    y.backward()
    assert x.grad.tolist() == [20.0, 40.0]  # 2 * (10 x): unpack's result was used


@pytest.fixture
def lib():
    with al.library._scoped_library("_test_inplace_ops", "FRAGMENT") as library:
        yield library


def test_custom_op_writing_through_numpy_is_one_inplace_op(lib):
    lib.define("double_(Tensor(a!) x) -> ()")

    def double_(x):
        data = x.detach().numpy()
        data *= 2

    lib.impl("double_", double_, "CPU")
    x = al.tensor([1.0, 2.0])
    version = x._version
    al.ops._test_inplace_ops.double_(x)
    assert x.tolist() == [2.0, 4.0] and x._version == version + 1


def test_custom_op_with_an_inplace_op_inside_is_still_one_bump(lib):
    lib.define("add_one_(Tensor(a!) x) -> Tensor(a!)")
    lib.impl("add_one_", lambda x: x.add_(1), "CPU")
    x = al.tensor([1.0])
    version = x._version
    al.ops._test_inplace_ops.add_one_(x)
    assert x._version == version + 1


def test_saved_tensor_changed_by_a_custom_inplace_op_is_caught(lib):
    lib.define("double_(Tensor(a!) x) -> ()")

    def double_(x):
        data = x.detach().numpy()
        data *= 2

    lib.impl("double_", double_, "CPU")
    a = al.tensor([1.0, 2.0], requires_grad=True)
    x = a * 1
    y = (x * x).sum()  # saves x
    with al.no_grad():
        al.ops._test_inplace_ops.double_(x)
    with pytest.raises(RuntimeError, match=VERSION_ERROR):
        y.backward()


def test_inplace_custom_op_with_autograd_rebases_history(lib):
    """A Function with mark_dirty as the op's Autograd kernel: the same rules as x.mul_(2)."""

    class Double_(al.autograd.Function):  # noqa: N801
        @staticmethod
        def forward(ctx, x):
            x.detach().numpy()[...] *= 2
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    lib.define("double_(Tensor(a!) x) -> Tensor(a!)")
    lib.impl("double_", Double_.apply, "Autograd")
    a = al.tensor([1.0, 1.0, 1.0, 1.0], requires_grad=True)
    z = a.clone()
    version = z._version
    al.ops._test_inplace_ops.double_(z[1:3])
    assert z._version == version + 1
    assert z.grad_fn.name() == "CopySlices"
    z.sum().backward()
    assert a.grad.tolist() == [1.0, 2.0, 2.0, 1.0]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        al.ops._test_inplace_ops.double_(a)
