"""The checkers themselves: gradcheck must pass what is right and catch what is wrong.

A checker that never fails proves nothing, so most tests here feed it a Function with a
known, deliberate mistake and look at the verdict and the message a learner would read.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab.autograd import GradcheckError, gradcheck, gradgradcheck
from autograd_lab.autograd.function import once_differentiable


def rand64(*shape, seed=0, requires_grad=True):
    data = np.random.default_rng(seed).standard_normal(shape)
    return al.tensor(data, dtype=al.float64, requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------
# Functions with known (deliberate) properties
def _cube(name: str, backward_scale: float, doc: str) -> type:
    """x**3 whose backward is ``backward_scale`` times the true 3x^2 (1.0: correct)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x ** 2 * backward_scale

    return type(name, (al.autograd.Function,), {
        "__doc__": doc, "forward": staticmethod(forward), "backward": staticmethod(backward)})


Cube = _cube("Cube", 1.0, "x**3, with a correct and differentiable backward: 3x^2.")
CubeOffByOnePermille = _cube("CubeOffByOnePermille", 1.001,
                             "x**3 whose backward is 0.1% too large: 3.003x^2.")
CubeOffByOnePercent = _cube("CubeOffByOnePercent", 1.01,
                            "x**3 whose backward is 1% too large: 3.03x^2.")


class SinDetachedBackward(al.autograd.Function):
    """sin(x) whose backward is right but cut from the graph by .detach()."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.detach().cos()


class SinNumpyBackward(al.autograd.Function):
    """sin(x) whose backward is computed in NumPy: right values, no graph at all."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        values = grad_output.detach().numpy() * np.cos(x.detach().numpy())
        return al.tensor(values)


class SinOnceDifferentiable(al.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.cos()


class MulAddTwoOutputs(al.autograd.Function):
    """(x * y, x + 2y); the gradient of the second output wrt y is wrong (3 instead of 2)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y, x + 2 * y

    @staticmethod
    def backward(ctx, grad_prod, grad_sum):
        x, y = ctx.saved_tensors
        return grad_prod * y + grad_sum, grad_prod * x + 3 * grad_sum


class DoubleNoMaterialize(al.autograd.Function):
    """2x, with set_materialize_grads(False) and a backward that forgets about None."""

    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2  # None * 2: TypeError when no gradient arrives


class DoubleNoMaterializeHandled(al.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        if grad_output is None:
            return None
        return grad_output * 2


class SplitNoMaterialize(al.autograd.Function):
    """(2x, 3x) with None-aware backward: either output's gradient may be missing."""

    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, grad_a, grad_b):
        result = None
        if grad_a is not None:
            result = grad_a * 2
        if grad_b is not None:
            result = grad_b * 3 if result is None else result + grad_b * 3
        return result


class OnesWhenUndefined(al.autograd.Function):
    """Returns a non-zero gradient when no gradient arrives: wrong, though it does not crash."""

    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        if grad_output is None:
            return al.ones(3, dtype=al.float64)
        return grad_output * 2


class SumIgnoringGradOutput(al.autograd.Function):
    """(x*x).sum() whose backward forgets to multiply by grad_output."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x * x).sum()

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x


class NoisyBackward(al.autograd.Function):
    """Identity whose backward has a tiny random relative error: right to 1e-9, not
    reproducible (but still zero for a zero grad_output)."""

    rng = np.random.default_rng(0)

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad_output):
        noise = NoisyBackward.rng.uniform(-1e-9, 1e-9, grad_output.shape)
        return grad_output * al.tensor(1 + noise)


# ---------------------------------------------------------------------------------------
# passing
BUILTIN = {
    "mul": (lambda x, y: x * y, [(3, 4), (3, 4)]),
    "broadcast_add": (lambda x, y: x + y, [(3, 4), (4,)]),
    "div": (lambda x, y: x / (y * y + 1), [(2, 3), (2, 3)]),
    "exp": (lambda x: x.exp(), [(2, 3)]),
    "tanh": (lambda x: x.tanh(), [(2, 3)]),
    "matmul": (lambda x, y: x @ y, [(2, 3), (3, 4)]),
    "sum_dim": (lambda x: x.sum(dim=1), [(3, 4)]),
    "mean": (lambda x: x.mean(), [(3, 4)]),
    "index": (lambda x: x[1:, ::2], [(3, 4)]),
    "transpose_reshape": (lambda x: x.t().reshape(12), [(3, 4)]),
}


@pytest.mark.parametrize("fast_mode", [False, True], ids=["full", "fast"])
@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_passes_on_builtin_ops(name, fast_mode):
    fn, shapes = BUILTIN[name]
    inputs = [rand64(*s, seed=k) for k, s in enumerate(shapes)]
    assert gradcheck(fn, inputs, fast_mode=fast_mode) is True


@pytest.mark.parametrize("fast_mode", [False, True], ids=["full", "fast"])
def test_passes_on_correct_custom_function(fast_mode):
    assert gradcheck(Cube.apply, (rand64(2, 3),), fast_mode=fast_mode) is True


def test_non_tensor_and_no_grad_inputs_pass_through():
    x, w = rand64(3, 4), rand64(3, 4, seed=1, requires_grad=False)
    assert gradcheck(lambda a, b, dim: (a * b).sum(dim=dim), (x, w, 1))


def test_inputs_are_left_untouched():
    x = rand64(2, 3)
    before = x.detach().numpy().copy()
    gradcheck(lambda t: t.exp(), (x,))
    gradcheck(lambda t: t.exp(), (x,), fast_mode=True)
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None


def test_outputs_that_do_not_require_grad_are_fine_if_constant():
    x = rand64(5)
    assert gradcheck(lambda t: (t > 0), (x,))
    assert gradcheck(lambda t: (t * 2, t.argmax()), (x,))


def test_gradcheck_error_is_a_runtime_error_exported_by_autograd():
    assert issubclass(al.autograd.GradcheckError, RuntimeError)
    assert al.autograd.gradcheck is gradcheck and al.autograd.gradgradcheck is gradgradcheck


# ---------------------------------------------------------------------------------------
# failing, and what the message says
def test_backward_off_by_one_permille_fails_and_shows_both_jacobians():
    x = al.tensor([1.0, -2.0, 0.5], dtype=al.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(CubeOffByOnePermille.apply, (x,), rtol=1e-4)
    message = str(info.value)
    assert "Jacobian mismatch for output 0 with respect to input 0" in message
    assert "numerical" in message and "analytical" in message
    # the diagonal 3x^2 = 3, 12, 0.75 beside 3.003, 12.012, 0.75075, each marked *
    for numerical, analytical in [("3", "3.003"), ("12", "12.012"), ("0.75", "0.75075")]:
        row = next(line for line in message.splitlines()
                   if re.search(rf"\s{re.escape(analytical)}\*", line))
        assert re.search(rf"\s{re.escape(numerical)}\s", row), row
    assert "<-- max difference" in message
    assert "max |analytical - numerical| = 0.012 at J[1, 1]" in message


def test_default_rtol_is_one_permille_of_the_numerical_value():
    """PyTorch's default tolerance: |a - n| <= 1e-5 + 1e-3 |n|; 0.1% is just inside it."""
    x = al.tensor([1.0, -2.0, 0.5], dtype=al.float64, requires_grad=True)
    assert gradcheck(CubeOffByOnePermille.apply, (x,))
    with pytest.raises(GradcheckError, match="output 0 with respect to input 0"):
        gradcheck(CubeOffByOnePercent.apply, (x,))


def test_raise_exception_false_returns_false():
    x = rand64(3)
    assert gradcheck(CubeOffByOnePercent.apply, (x,), raise_exception=False) is False
    assert gradcheck(Cube.apply, (x,), raise_exception=False) is True
    assert gradcheck(CubeOffByOnePercent.apply, (x,), raise_exception=False,
                     fast_mode=True) is False


def test_fast_mode_fails_on_a_wrong_backward_and_explains_with_full_jacobians():
    x = rand64(2, 3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(CubeOffByOnePercent.apply, (x,), fast_mode=True)
    message = str(info.value)
    assert "Jacobian mismatch for output 0 with respect to input 0 (fast mode)" in message
    assert "u^T J v" in message
    assert "numerical" in message and "analytical" in message and "*" in message
    assert "6 of 36 entries differ beyond the tolerance" in message


def test_multiple_inputs_and_outputs_name_the_wrong_block():
    x, y = rand64(3, seed=1), rand64(3, seed=2)
    with pytest.raises(GradcheckError) as info:
        gradcheck(MulAddTwoOutputs.apply, (x, y))
    message = str(info.value)
    assert "Jacobian mismatch for output 1 with respect to input 1" in message
    assert "func's result[1]" in message and "inputs[1]" in message
    # the same block in fast mode
    with pytest.raises(GradcheckError, match="output 1 with respect to input 1"):
        gradcheck(MulAddTwoOutputs.apply, (x, y), fast_mode=True)


def test_indices_count_only_what_requires_grad():
    """As PyTorch: input j is the j-th input that requires grad; the message says which."""
    c, x, y = rand64(3, requires_grad=False), rand64(3, seed=1), rand64(3, seed=2)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b, d: MulAddTwoOutputs.apply(b * a, d), (c, x, y))
    assert "output 1 with respect to input 1" in str(info.value)
    assert "input 1 is inputs[2]" in str(info.value)


def test_big_jacobians_are_shown_in_part():
    x = rand64(20, 20)
    with pytest.raises(GradcheckError) as info:
        gradcheck(CubeOffByOnePercent.apply, (x,))
    message = str(info.value)
    assert "(showing 12 of 400 rows and 6 of 400 columns" in message
    assert max(len(line) for line in message.splitlines()) < 200


def test_non_double_inputs_warn():
    x64, x32 = rand64(3), al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert x32.dtype == al.float32
    with pytest.warns(UserWarning, match="Input #1 requires gradient and is not a double "
                                         "precision floating point"):
        gradcheck(lambda a, b: a * b, (x64, x32), raise_exception=False)


def test_no_input_requiring_grad_is_an_error():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda t: t * 2, (rand64(3, requires_grad=False),))


def test_a_cut_graph_is_caught_when_nothing_requires_grad():
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be "
                                             "zero"):
        gradcheck(lambda t: t.detach() * 2, (rand64(3),))


def test_backward_must_be_multiplied_by_grad_output():
    # the one-hot seed of a scalar output is 1, so the Jacobian itself looks right
    with pytest.raises(GradcheckError, match="backward not multiplied by grad_output"):
        gradcheck(SumIgnoringGradOutput.apply, (rand64(3),))


def test_backward_must_be_reentrant():
    x = rand64(4)
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(NoisyBackward.apply, (x,))
    assert gradcheck(NoisyBackward.apply, (x,), nondet_tol=1e-7)
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(NoisyBackward.apply, (x,), fast_mode=True)


# ---------------------------------------------------------------------------------------
# undefined (None) output gradients
def test_check_undefined_grad_catches_a_backward_that_crashes_on_none():
    x = rand64(3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(DoubleNoMaterialize.apply, (x,))
    message = str(info.value)
    assert "Expected backward function to handle undefined output grads" in message
    assert "TypeError" in message and "set_materialize_grads(False)" in message
    assert gradcheck(DoubleNoMaterialize.apply, (x,), raise_exception=False) is False
    assert gradcheck(DoubleNoMaterialize.apply, (x,), check_undefined_grad=False)


def test_check_undefined_grad_passes_a_backward_that_handles_none():
    x = rand64(3)
    assert gradcheck(DoubleNoMaterializeHandled.apply, (x,))
    assert gradcheck(SplitNoMaterialize.apply, (x,))  # each output's gradient undefined in turn
    assert gradcheck(lambda t: (t.exp(), t.sin()), (x,))  # built-in nodes skip themselves


def test_check_undefined_grad_wants_zeros_or_none():
    with pytest.raises(GradcheckError, match="Expected all input grads to be undefined or zero"):
        gradcheck(OnesWhenUndefined.apply, (rand64(3),))


# ---------------------------------------------------------------------------------------
# gradgradcheck
GRADGRAD = {
    "mul": (lambda x, y: x * y, [(2, 3), (2, 3)]),
    "exp": (lambda x: x.exp(), [(2, 3)]),
    "tanh": (lambda x: x.tanh(), [(2, 3)]),
    "matmul": (lambda x, y: x @ y, [(2, 3), (3, 2)]),
    "custom_cube": (Cube.apply, [(4,)]),
    "two_outputs": (lambda x: (x * x, x.exp()), [(3,)]),
}


@pytest.mark.parametrize("fast_mode", [False, True], ids=["full", "fast"])
@pytest.mark.parametrize("name", sorted(GRADGRAD))
def test_gradgradcheck_passes_on_differentiable_backwards(name, fast_mode):
    fn, shapes = GRADGRAD[name]
    inputs = [rand64(*s, seed=k) for k, s in enumerate(shapes)]
    assert gradgradcheck(fn, inputs, fast_mode=fast_mode) is True


def test_gradgradcheck_with_given_or_non_contiguous_grad_outputs():
    x = rand64(2, 3)
    g = rand64(2, 3, seed=5)
    assert gradgradcheck(lambda t: t.tanh(), (x,), (g,))
    assert gradgradcheck(lambda t: t.tanh(), (x,), gen_non_contig_grad_outputs=True)


@pytest.mark.parametrize("fn", [SinDetachedBackward, SinNumpyBackward, SinOnceDifferentiable])
def test_first_derivatives_of_the_broken_double_backwards_are_right(fn):
    assert gradcheck(fn.apply, (rand64(4),))


def test_gradgradcheck_catches_a_detached_backward():
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(SinDetachedBackward.apply, (rand64(4),))
    message = str(info.value)
    # the gradient's derivative with respect to x (-sin(x) grad_output) came out as zero
    assert "Jacobian mismatch for output 0 with respect to input 0" in message
    assert "gradgradcheck checks the gradient of func" in message
    assert ".detach()" in message
    assert gradgradcheck(SinDetachedBackward.apply, (rand64(4),),
                         raise_exception=False) is False


def test_gradgradcheck_catches_a_numpy_backward():
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be "
                                             "zero") as info:
        gradgradcheck(SinNumpyBackward.apply, (rand64(4),))
    assert "NumPy" in str(info.value)


def test_gradgradcheck_through_once_differentiable_raises_its_error():
    with pytest.raises(RuntimeError, match="differentiate twice a function that was marked "
                                           "with @once_differentiable") as info:
        gradgradcheck(SinOnceDifferentiable.apply, (rand64(4),))
    assert "gradgradcheck" in "".join(getattr(info.value, "__notes__", []))
