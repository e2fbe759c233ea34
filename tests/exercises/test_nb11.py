"""Notebook 11's checkers: the solution passes, likely mistakes fail with their hint."""

import autograd_lab as al
from autograd_lab.exercises import nb11


def test_predict_loss_is_what_the_checker_expects(solution):
    x = al.tensor(nb11.PREDICT_INPUT, requires_grad=True)
    nb11.predict_loss(x).backward()
    assert x.grad.tolist() == solution.predicted_grad


def test_predicted_grad_solution_passes(solution):
    result = nb11.check_predicted_grad(solution.predicted_grad)
    assert result.passed, result


def test_predicted_grad_without_the_relu_mask_is_named():
    result = nb11.check_predicted_grad([0.5, 1.0, -0.5, 1.5])
    assert str(result) == (
        "✗ 11.1 predict what a backward program returns: x_grad, element (2,): expected 0, "
        "got -0.5: ReluBackward0's threshold_backward keeps the gradient only where "
        "relu_result > 0: it is 0 at x = -1")


def test_predicted_grad_without_the_mean_or_the_power_is_named():
    no_mean = nb11.check_predicted_grad([2.0, 4.0, 0.0, 6.0])
    assert str(no_mean).endswith("MeanBackward0 divides the seed by the number of elements, 4")
    no_two = nb11.check_predicted_grad([0.25, 0.5, 0.0, 0.75])
    assert str(no_two).endswith("PowBackward0 multiplies by 2 * relu_result (exponent 2)")


def test_predicted_grad_placeholder_is_not_attempted():
    assert nb11.check_predicted_grad(None).status == "not attempted"
    assert nb11.check_predicted_grad(...).status == "not attempted"


def test_linear_backward_solution_passes(solution):
    result = nb11.check_linear_backward(solution.linear_backward)
    assert result.passed, result


def test_linear_backward_untransposed_weight_grad_is_named():
    result = nb11.check_linear_backward(lambda g, x, w: (g @ w, x.T @ g, g.sum(0)))
    assert str(result) == (
        "✗ 11.2 the backward of Linear, by hand: case x (5, 4), weight (3, 4): grad_weight has "
        "shape (4, 3), expected (3, 4): that is the program's matmul_1, t(x) @ grad: "
        "TBackward0 transposes it back to weight's shape")


def test_linear_backward_unsummed_bias_is_named():
    result = nb11.check_linear_backward(lambda g, x, w: (g @ w, g.T @ x, g))
    assert str(result).endswith("bias was broadcast over the batch: sum the gradient over dim 0 "
                                "(the program's sum_to_size)")


def test_linear_backward_transposed_weight_in_grad_x_is_named():
    def transposed(g, x, w):
        grad_x = g @ w.T if w.shape[0] == w.shape[1] else g @ w
        return grad_x, g.T @ x, g.sum(0)

    result = nb11.check_linear_backward(transposed)
    assert "case x (6, 4), weight (4, 4): grad_x, element" in str(result)
    assert str(result).endswith("weight enters transposed (x @ weight.T): grad_x is "
                                "grad @ weight, the program's matmul(mul, t(addmm_mat2))")


def test_linear_backward_one_array_is_wrong():
    result = nb11.check_linear_backward(lambda g, x, w: g @ w)
    assert str(result).endswith("return three gradients (grad_x, grad_weight, grad_bias), "
                                "got ndarray")


def test_linear_backward_placeholder_is_not_attempted():
    def linear_backward(grad, x, weight):
        raise NotImplementedError

    assert nb11.check_linear_backward(linear_backward).status == "not attempted"
