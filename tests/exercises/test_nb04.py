"""Notebook 04's checkers: the solution passes, likely mistakes fail with their hint."""

import autograd_lab as al
from autograd_lab.exercises import nb04


def test_sigmoid_solution_passes(solution):
    result = nb04.check_sigmoid(solution.Sigmoid)
    assert result.passed, result


def test_sigmoid_missing_factor_names_the_first_wrong_element():
    class Sigmoid(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.sigmoid()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out  # forgot (1 - out)

    result = nb04.check_sigmoid(Sigmoid)
    assert result.status == "failed"
    assert str(result).startswith(
        "✗ 04.1 the backward of Sigmoid: output 0 element (0,), with respect to input 0 "
        "element (0,): expected ")
    assert "(finite differences), your backward gives" in str(result)


def test_sigmoid_not_a_function_class():
    result = nb04.check_sigmoid(lambda x: x.sigmoid())
    assert str(result) == ("✗ 04.1 the backward of Sigmoid: Sigmoid should be a subclass of "
                           "al.autograd.Function, got function")


def test_sigmoid_placeholder_is_not_attempted():
    class Sigmoid(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sigmoid()

        @staticmethod
        def backward(ctx, grad):
            raise NotImplementedError

    assert nb04.check_sigmoid(Sigmoid).status == "not attempted"
    assert nb04.check_sigmoid(None).status == "not attempted"


def test_sin_cos_solution_passes(solution):
    result = nb04.check_sin_cos(solution.SinCos)
    assert result.passed, result


def test_sin_cos_sign_flipped_fails_on_the_cos_output():
    class SinCos(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, grad_sin, grad_cos):
            (x,) = ctx.saved_tensors
            return grad_sin * x.cos() + grad_cos * x.sin()  # d cos = -sin

    result = nb04.check_sin_cos(SinCos)
    assert result.status == "failed"
    assert "output 1 element (0, 0), with respect to input 0 element (0, 0)" in str(result)


def test_sin_cos_only_first_output_fails():
    class SinCos(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, grad_sin, grad_cos):
            (x,) = ctx.saved_tensors
            return grad_sin * x.cos()  # forgot the cos output's term

    result = nb04.check_sin_cos(SinCos)
    assert result.status == "failed"
    assert "output 1 element (0, 0), with respect to input 0" in str(result)


def test_sin_cos_placeholder_is_not_attempted():
    class SinCos(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, grad_sin, grad_cos):
            raise NotImplementedError

    assert nb04.check_sin_cos(SinCos).status == "not attempted"


def test_scale_solution_passes(solution):
    result = nb04.check_scale(solution.Scale)
    assert result.passed, result


def test_scale_buggy_backward_is_explained():
    class Scale(al.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.scale = scale
            return x * scale

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.scale

    assert str(nb04.check_scale(Scale)) == (
        "✗ 04.3 find the bug: one gradient per argument: backward returned one gradient, "
        "forward takes two arguments (x and scale): return a gradient for each, None for "
        "the float scale")


def test_scale_placeholder_is_not_attempted():
    assert nb04.check_scale(None).status == "not attempted"
