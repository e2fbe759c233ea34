"""Notebook 07's checkers: the solution passes, likely mistakes fail with their hint."""

import numpy as np

import autograd_lab as al
from autograd_lab.exercises import nb07


def test_central_difference_solution_passes(solution):
    result = nb07.check_central_difference(solution.central_difference)
    assert result.passed, result


def test_central_difference_forward_difference_gets_the_hint():
    def forward(f, x, eps):
        grad = np.zeros_like(x)
        for k in range(x.size):
            step = x.copy()
            step.reshape(-1)[k] += eps
            grad.reshape(-1)[k] = (f(step) - f(x)) / eps
        return grad

    result = nb07.check_central_difference(forward)
    assert result.status == "failed"
    assert str(result).startswith(
        "✗ 07.1 a central-difference gradient: f = sum(sin(x) * x**2), x of shape (3,), "
        "element (0,): expected ")
    assert str(result).endswith(
        ": this is the forward difference (f(x + eps) - f(x)) / eps, off by about "
        "eps * f''/2: step both ways, (f(x + eps) - f(x - eps)) / (2 eps)")


def test_central_difference_that_changes_x_is_named(solution):
    def in_place(f, x, eps):
        grad = solution.central_difference(f, x, eps)
        x += eps
        return grad

    result = nb07.check_central_difference(in_place)
    assert str(result) == (
        "✗ 07.1 a central-difference gradient: f = sum(sin(x) * x**2), x of shape (3,): your "
        "function changed x and did not put it back: step a copy of x, or restore each entry")


def test_central_difference_placeholder_is_not_attempted():
    def central_difference(f, x, eps):
        raise NotImplementedError

    assert nb07.check_central_difference(central_difference).status == "not attempted"
    assert nb07.check_central_difference(None).status == "not attempted"


def test_matmul_solution_passes(solution):
    result = nb07.check_matmul_fixed(solution.MatMul)
    assert result.passed, result


def _matmul(backward):
    class MatMul(al.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x @ w

        @staticmethod
        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            return backward(grad, x, w)

    return MatMul


def test_matmul_the_notebook_bug_is_named():
    result = nb07.check_matmul_fixed(_matmul(lambda g, x, w: (g @ w.t(), g.t() @ x)))
    assert result.status == "failed"
    assert str(result).startswith("✗ 07.2 fix the backward that gradcheck caught: square "
                                  "case: grad of w, element (0, 1): expected ")
    assert str(result).endswith(
        ": this is the transpose of the right gradient (the bug that gradcheck named: output 0 "
        "with respect to input 1); d(x @ w)/dw gives x.T @ grad")


def test_matmul_missing_transpose_on_x():
    result = nb07.check_matmul_fixed(_matmul(lambda g, x, w: (g @ w, x.t() @ g)))
    assert str(result).endswith(": missing transpose: grad @ w.T")
    assert "square case: grad of x, element" in str(result)


def test_matmul_placeholder_is_not_attempted():
    class MatMul(al.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            return x @ w

        @staticmethod
        def backward(ctx, grad):
            raise NotImplementedError

    assert nb07.check_matmul_fixed(MatMul).status == "not attempted"
    assert nb07.check_matmul_fixed(None).status == "not attempted"


def test_choose_eps_solution_passes(solution):
    result = nb07.check_choose_eps(solution.choose_eps)
    assert result.passed, result


def test_choose_eps_forward_optimum_for_central_gets_the_hint():
    result = nb07.check_choose_eps(lambda u, method: u ** 0.5)
    assert str(result) == (
        "✗ 07.3 choose eps: float32 (machine eps 1.19e-07), central differences: eps = "
        "0.000345 is not within a factor of 10 of the best, about 0.0049: that is the best "
        "eps for the other method; forward differences err by eps * f'' (balance with "
        "u / eps), central by eps**2 * f''' (balance with u / eps)")


def test_choose_eps_fixed_tiny_eps_is_too_small():
    result = nb07.check_choose_eps(lambda u, method: 1e-12)
    assert str(result) == (
        "✗ 07.3 choose eps: float16 (machine eps 0.000977), forward differences: eps = "
        "1e-12 is not within a factor of 10 of the best, about 0.031: too small, rounding "
        "error u / eps dominates")


def test_choose_eps_placeholder_is_not_attempted():
    def choose_eps(machine_eps, method):
        raise NotImplementedError

    assert nb07.check_choose_eps(choose_eps).status == "not attempted"
