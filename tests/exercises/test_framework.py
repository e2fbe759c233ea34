"""The exercise framework: results print deterministically, checkers never raise, and
``progress()`` lists every exercise of the curriculum."""

import re

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab import exercises
from autograd_lab.exercises._backward import check_backward
from autograd_lab.exercises._compare import broadcast_dims, compare
from autograd_lab.exercises._registry import EXERCISES, Wrong, exercise


@exercise("99.1", "a test exercise")
def _check_double(double):
    x = np.arange(3.0)
    compare(double(x), 2 * x, "double(x)", mistakes=[(x, "did you return x itself?")])
    return "double works"


def teardown_module():
    EXERCISES.pop("99.1", None)
    exercises._registry.RESULTS.pop("99.1", None)


def test_result_text_and_html():
    ok = _check_double(lambda x: 2 * x)
    assert str(ok) == "✓ 99.1 a test exercise: double works" and ok.passed
    assert "✓ 99.1 a test exercise</b>: double works" in ok._repr_html_()
    bad = _check_double(lambda x: x)
    assert str(bad) == ("✗ 99.1 a test exercise: double(x), element (1,): expected 2, got 1: "
                        "did you return x itself?")
    with pytest.raises(AssertionError, match="did you return x itself"):
        bad.raise_if_failed()


def test_learner_errors_are_reported_not_raised():
    def double(x):
        return x.nonexistent()

    result = _check_double(double)
    assert result.status == "failed"
    assert result.message.startswith("your code raised AttributeError: ")
    assert "of your code)" in result.message


def test_wrong_type_and_shape_come_before_values():
    assert _check_double(lambda x: [0, 2, 4]).message == (
        "double(x) should be a tensor, got list")
    assert _check_double(lambda x: np.zeros((3, 1))).message == (
        "double(x) has shape (3, 1), expected (3,)")
    assert _check_double(lambda x: np.array([0, 2, 4])).message == (
        "double(x) has dtype int64, expected float64")
    assert _check_double(lambda x: al.tensor(2 * x)).passed


def test_not_attempted_is_told_from_wrong():
    def double(x):
        raise NotImplementedError

    for answer in (None, ..., double):
        assert _check_double(answer).status == "not attempted"


def test_progress_lists_every_exercise_with_its_last_result():
    _check_double(lambda x: x)
    text = str(exercises.progress())
    assert "✗ 99.1   a test exercise (failed)" in text
    ids = re.findall(r"^  . (\d\d\.\d+) ", text, flags=re.M)
    assert "02.1" in text and ids == sorted(ids, key=lambda i: tuple(map(int, i.split("."))))


def test_broadcast_dims():
    assert broadcast_dims((1, 3), (2, 3)) == (0,)
    assert broadcast_dims((3,), (4, 2, 3)) == (0, 1)
    assert broadcast_dims((2, 1), (2, 5)) == (1,)


class _Cube(al.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


class _CubeWrong(_Cube):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x


def test_check_backward_names_the_first_wrong_entry():
    x = al.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=al.float64, requires_grad=True)
    check_backward(_Cube.apply, (x,))
    message = (r"^output 0 element \(0, 0\), with respect to input 0 element \(0, 0\): "
               r"expected 3 \(finite differences\), your backward gives 2$")
    with pytest.raises(Wrong, match=message):
        check_backward(_CubeWrong.apply, (x,))


def test_reachable_as_al_exercises():
    assert al.exercises is exercises and al.exercises.progress().rows
