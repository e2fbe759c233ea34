"""Notebook 09's checkers: the solution passes, likely mistakes fail with their hint."""

from autograd_lab.exercises import nb09


def test_softplus_solution_passes(solution):
    result = nb09.check_softplus_autograd(solution.setup_context, solution.backward)
    assert result.passed, result


def test_softplus_wrong_derivative_names_the_element(solution):
    def backward(ctx, grad):
        return grad * ctx.x.exp()  # the derivative of e^x, not of log(1 + e^x)

    result = nb09.check_softplus_autograd(solution.setup_context, backward)
    assert result.status == "failed"
    assert str(result).startswith("✗ 09.1 register the backward of a custom op: output 0 "
                                  "element (0,), with respect to input 0 element (0,): "
                                  "expected ")


def test_softplus_nothing_saved_says_where(solution):
    def setup_context(ctx, inputs, output):
        pass  # forgot to keep x

    result = nb09.check_softplus_autograd(setup_context, solution.backward)
    assert result.status == "failed"
    assert "your code raised AttributeError" in str(result)
    assert "(line " in str(result)


def test_softplus_op_is_destroyed_even_after_a_failure(solution):
    import autograd_lab as al

    def backward(ctx, grad):
        raise ValueError("boom")

    nb09.check_softplus_autograd(solution.setup_context, backward)
    assert not [n for n in dir(al.ops.exercise_nb09) if n.startswith("softplus_")]


def test_softplus_placeholder_is_not_attempted():
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    def backward(ctx, grad):
        raise NotImplementedError

    assert nb09.check_softplus_autograd(setup_context, backward).status == "not attempted"


def test_fallback_outcomes_are_pytorchs():
    assert {k: nb09.fallback_outcome(*case) for k, case in nb09.FALLBACK_CASES.items()} == {
        "A": "warning, no gradient", "B": "warning and gradient", "C": "error",
        "D": "gradient"}


def test_fallback_solution_passes(solution):
    assert nb09.check_fallback_predictions(solution.predictions).passed


def test_fallback_wrong_prediction_is_explained(solution):
    guess = dict(solution.predictions, B="gradient")
    assert str(nb09.check_fallback_predictions(guess)) == (
        "✗ 09.2 predict what the fallback does: case B (mode 'warn', tensor ops kernel): not "
        "'gradient' but 'warning and gradient': the kernel's own tensor ops record a graph, so "
        "the gradient is right, but warn mode cannot know that and warns anyway")


def test_fallback_unknown_outcome_and_missing_case(solution):
    result = nb09.check_fallback_predictions(dict(solution.predictions, C="crash"))
    assert "case C: 'crash' is not one of the outcomes" in str(result)
    result = nb09.check_fallback_predictions({"A": "error"})
    assert "no prediction for case B" in str(result)


def test_fallback_placeholder_is_not_attempted():
    assert nb09.check_fallback_predictions(None).status == "not attempted"
