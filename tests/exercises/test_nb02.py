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
