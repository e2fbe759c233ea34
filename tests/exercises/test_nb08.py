"""Notebook 08's checkers: the solution passes, likely mistakes fail with their hint."""

import numpy as np

import autograd_lab as al
from autograd_lab.exercises import nb08


def test_hvp_solution_passes(solution):
    result = nb08.check_hvp(solution.hvp)
    assert result.passed, result


def test_hvp_returning_the_gradient_gets_the_hint():
    result = nb08.check_hvp(lambda f, x, v: al.autograd.grad(f(x), x)[0])
    assert result.status == "failed"
    assert str(result).startswith("✗ 08.1 a Hessian-vector product: f = sum(x**4)/4 + "
                                  "x.A.x/2 - b.x: H v, element (0,): expected ")
    assert str(result).endswith(": this is the gradient of f, not H v: take the gradient "
                                "of (gradient * v).sum() once more")


def test_hvp_without_create_graph_is_told_to_pass_it():
    def hvp(f, x, v):
        (g,) = al.autograd.grad(f(x), x)
        return al.autograd.grad((g * v).sum(), x)[0]

    result = nb08.check_hvp(hvp)
    assert str(result) == (
        "✗ 08.1 a Hessian-vector product: your code raised RuntimeError: element 0 of tensors "
        "does not require grad and does not have a grad_fn -- the gradient has no graph to "
        "differentiate: pass create_graph=True to the first al.autograd.grad")


def test_hvp_placeholder_is_not_attempted():
    def hvp(f, x, v):
        raise NotImplementedError

    assert nb08.check_hvp(hvp).status == "not attempted"
    assert nb08.check_hvp(None).status == "not attempted"


def test_newton_step_solution_passes(solution):
    result = nb08.check_newton_step(solution.newton_step)
    assert result.passed, result


def test_newton_step_gradient_step_gets_the_hint():
    result = nb08.check_newton_step(lambda f, x: x - al.autograd.grad(f(x), x)[0])
    assert str(result).startswith("✗ 08.2 one Newton step: f = sum(x**4)/4 + x.A.x/2 - "
                                  "b.x: the new x, element (0,): expected ")
    assert str(result).endswith(": this is a gradient step with learning rate 1: solve "
                                "H s = g and step by s")


def test_newton_step_wrong_sign_gets_the_hint(solution):
    def uphill(f, x):
        new = solution.newton_step(f, x)
        return 2 * x.detach() - new

    result = nb08.check_newton_step(uphill)
    assert str(result).endswith(": wrong sign: a Newton step goes to x - H^-1 g")


def test_newton_step_placeholder_is_not_attempted():
    def newton_step(f, x):
        raise NotImplementedError

    assert nb08.check_newton_step(newton_step).status == "not attempted"


def test_softplus_solution_passes(solution):
    result = nb08.check_softplus(solution.Softplus)
    assert result.passed, result


def test_softplus_detached_backward_fails_gradgradcheck(solution):
    class Detached(solution.Softplus):
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x.detach().sigmoid()

    assert str(nb08.check_softplus(Detached)) == (
        "✗ 08.3 a Function with a differentiable backward: your backward's values are right "
        "(gradcheck passes) but its own derivative is wrong (gradgradcheck fails): write it "
        "with tensor ops on the saved tensor, without .detach() or NumPy")


def test_softplus_numpy_backward_is_named(solution):
    class ThroughNumpy(solution.Softplus):
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * al.tensor(1 / (1 + np.exp(-x.numpy())))

    result = nb08.check_softplus(ThroughNumpy)
    assert str(result).startswith(
        "✗ 08.3 a Function with a differentiable backward: your backward's values are right, "
        "but differentiating it raised RuntimeError: Can't call numpy() on Tensor that "
        "requires grad.")


def test_softplus_wrong_derivative_names_the_entry(solution):
    class Wrong(solution.Softplus):
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x.exp()

    result = nb08.check_softplus(Wrong)
    assert result.status == "failed"
    assert "output 0 element (0, 0), with respect to input 0 element (0, 0): expected" in str(
        result)


def test_softplus_placeholder_is_not_attempted():
    class Softplus(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp().log1p()

        @staticmethod
        def backward(ctx, grad):
            raise NotImplementedError

    assert nb08.check_softplus(Softplus).status == "not attempted"
