"""Notebook 10's checkers: the solution passes, likely mistakes fail with their hint."""

import autograd_lab as al
from autograd_lab.exercises import nb10


def _not_implemented(*args):
    raise NotImplementedError


def test_sgd_step_solution_passes(solution):
    result = nb10.check_sgd_step(solution.sgd_step)
    assert result.passed, result


def test_sgd_step_rebinding_is_named():
    def rebinds(params, lr):
        for p in params:
            p = p - lr * p.grad  # noqa: PLW2901 - the mistake under test

    result = nb10.check_sgd_step(rebinds)
    assert result.status == "failed"
    assert str(result).endswith(
        "the parameter did not change: `p = p - lr * p.grad` only rebinds the name p; "
        "update in place with `p -= lr * p.grad` inside `al.no_grad()`")
    assert "lr=0.1: parameter 0 (3, 4) after the step, element (0, 0)" in str(result)


def test_sgd_step_wrong_sign_is_named():
    def uphill(params, lr):
        with al.no_grad():
            for p in params:
                p += lr * p.grad

    result = nb10.check_sgd_step(uphill)
    assert result.status == "failed"
    assert str(result).endswith("wrong sign: the step goes against the gradient")


def test_sgd_step_placeholder_is_not_attempted():
    assert nb10.check_sgd_step(_not_implemented).status == "not attempted"
    assert nb10.check_sgd_step(None).status == "not attempted"


def test_train_step_solution_passes(solution):
    result = nb10.check_train_step(solution.train_step)
    assert result.passed, result


def test_train_step_without_zero_grad_is_named():
    def forgets(model, optimizer, loss_fn, xb, yb):
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss

    result = nb10.check_train_step(forgets)
    assert result.status == "failed"
    assert "after 4 steps, parameter 0, element (0, 0)" in str(result)
    assert str(result).endswith("the gradients add up from step to step: call "
                                "optimizer.zero_grad() before backward()")


def test_train_step_zero_grad_too_late_is_named():
    def too_late(model, optimizer, loss_fn, xb, yb):
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        return loss

    result = nb10.check_train_step(too_late)
    assert result.status == "failed"
    assert "the parameters never move" in str(result)


def test_train_step_placeholder_is_not_attempted():
    assert nb10.check_train_step(_not_implemented).status == "not attempted"


def test_accuracy_solution_passes(solution):
    result = nb10.check_accuracy(solution.accuracy)
    assert result.passed, result


def test_accuracy_count_percentage_and_dim_are_named():
    count = nb10.check_accuracy(lambda logits, t: (logits.argmax(1) == t).float().sum())
    assert str(count) == (
        "✗ 10.3 the accuracy of a batch of logits: accuracy of 10 rows of 10 classes: "
        "expected 0.5, got 5: that is the count of right rows: divide by the batch size")
    percent = nb10.check_accuracy(
        lambda logits, t: 100 * (logits.argmax(1) == t).float().mean().item())
    assert str(percent).endswith("a fraction in [0, 1] please, not a percentage")
    dim0 = nb10.check_accuracy(lambda logits, t: (logits.argmax(0) == t).float().mean())
    assert str(dim0).endswith("argmax over dim 0 picks a row per class: take it over the "
                              "classes, dim 1")


def test_accuracy_placeholder_is_not_attempted():
    assert nb10.check_accuracy(_not_implemented).status == "not attempted"
