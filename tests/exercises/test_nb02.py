"""Notebook 02's checkers: the solution passes, likely mistakes fail with their hint."""

from autograd_lab.exercises import nb02


def test_add_backward_solution_passes(solution):
    result = nb02.check_add_backward(solution.add_backward)
    assert result.passed, result


def test_add_backward_not_summed_names_the_broadcast_dim():
    result = nb02.check_add_backward(lambda grad, a, b: (grad, grad))
    assert result.status == "failed"
    assert str(result) == (
        "✗ 02.1 the backward of a broadcast add: case 1 (a (2, 3), b (1, 3)): grad_b has "
        "shape (2, 3), expected (1, 3): did you forget to sum over the broadcast dim 0?")


def test_add_backward_summed_too_far_names_the_element(solution):
    def summed_everything(grad, a_shape, b_shape):
        ga, gb = solution.add_backward(grad, a_shape, b_shape)
        return ga, gb * 0 + gb.sum()

    result = nb02.check_add_backward(summed_everything)
    assert result.status == "failed"
    assert "grad_b, element (0, 0): expected" in str(result)


def test_add_backward_placeholder_is_not_attempted():
    def add_backward(grad, a_shape, b_shape):
        raise NotImplementedError

    assert nb02.check_add_backward(add_backward).status == "not attempted"
    assert nb02.check_add_backward(None).status == "not attempted"


def test_matmul_sum_grads_solution_passes(solution):
    result = nb02.check_matmul_sum_grads(solution.matmul_sum_grads)
    assert result.passed, result


def test_matmul_sum_grads_unrepeated_row_says_shape():
    import numpy as np

    result = nb02.check_matmul_sum_grads(lambda A, B: (B.sum(1), np.ones_like(B)))
    assert result.status == "failed"
    assert str(result) == (
        "✗ 02.2 predict the gradients of (A @ B).sum(): case 1 (A 3x4, B 4x2): grad_A has "
        "shape (4,), expected (3, 4): a gradient has its input's shape: this row must be "
        "repeated for every row of A")


def test_matmul_sum_grads_ones_for_b_names_the_rule(solution):
    import numpy as np

    def ones_for_b(A, B):
        return solution.matmul_sum_grads(A, B)[0], np.ones_like(B)

    result = nb02.check_matmul_sum_grads(ones_for_b)
    assert result.status == "failed"
    assert str(result).startswith(
        "✗ 02.2 predict the gradients of (A @ B).sum(): case 1 (A 3x4, B 4x2): grad_B, "
        "element (0, 0): expected ")
    assert str(result).endswith(
        ", got 1: the gradient of A @ B with respect to B depends on A: A.T @ grad, with "
        "grad all ones")


def test_matmul_sum_grads_column_not_repeated(solution):
    def column(A, B):
        return solution.matmul_sum_grads(A, B)[0], A.sum(0)[:, None]

    result = nb02.check_matmul_sum_grads(column)
    assert str(result) == (
        "✗ 02.2 predict the gradients of (A @ B).sum(): case 1 (A 3x4, B 4x2): grad_B has "
        "shape (4, 1), expected (4, 2): right numbers, but grad_B has B's shape: repeat the "
        "column for all 2 columns of B")


def test_matmul_sum_grads_placeholder_is_not_attempted():
    def matmul_sum_grads(A, B):
        raise NotImplementedError

    assert nb02.check_matmul_sum_grads(matmul_sum_grads).status == "not attempted"


def buggy_mul_backward(grad, a, b):
    return grad * b, grad * a


def test_mul_backward_solution_passes(solution):
    result = nb02.check_mul_backward(solution.mul_backward)
    assert result.passed, result


def test_mul_backward_bug_as_shipped_names_the_dim():
    result = nb02.check_mul_backward(buggy_mul_backward)
    assert result.status == "failed"
    assert str(result) == (
        "✗ 02.3 fix the backward of a broadcast mul: case 1 (a (2, 3), b (3,)): grad_b has "
        "shape (2, 3), expected (3,): still the broadcast shape: sum over the broadcast dim 0 "
        "back to (3,)")


def test_mul_backward_swapped_factors(solution):
    def swapped(grad, a, b):
        return solution._sum_to(grad * a, a.shape), solution._sum_to(grad * b, b.shape)

    result = nb02.check_mul_backward(swapped)
    assert result.status == "failed"
    assert str(result).endswith(
        "d(a * b)/da is b, not a: each input's gradient is grad times the OTHER input")
    assert "case 1 (a (2, 3), b (3,)): grad_a, element (0, 0): expected" in str(result)


def test_mul_backward_summed_one_dim_only(solution):
    def first_dim_only(grad, a, b):
        ga, gb = grad * b, grad * a
        ga = ga.sum(axis=0) if ga.shape != a.shape and ga.ndim > a.ndim else ga
        gb = gb.sum(axis=0) if gb.shape != b.shape and gb.ndim > b.ndim else gb
        return ga, gb

    result = nb02.check_mul_backward(first_dim_only)
    assert result.status == "failed"
    assert str(result).startswith("✗ 02.3 fix the backward of a broadcast mul: case 2 "
                                  "(a (3, 1), b (1, 4)): grad_a has shape (3, 4), expected "
                                  "(3, 1)")


def test_mul_backward_placeholder_is_not_attempted():
    def mul_backward(grad, a, b):
        raise NotImplementedError

    assert nb02.check_mul_backward(mul_backward).status == "not attempted"
    assert nb02.check_mul_backward(None).status == "not attempted"
