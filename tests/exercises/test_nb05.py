"""Notebook 05's checkers: the solution passes, likely mistakes fail with their hint."""

import autograd_lab as al
from autograd_lab.exercises import nb05


def test_versions_solution_passes(solution):
    result = nb05.check_versions(solution.versions)
    assert result.passed, result


def test_versions_view_with_its_own_counter_is_told():
    result = nb05.check_versions({"a": 3, "b": 2, "c": 1, "d": 3})
    assert result.status == "failed"
    assert str(result) == (
        "✗ 05.1 predict the version counters: versions['b'] is 2, but b._version is not 2: "
        "b is a view of a: it shares a's version counter, so a.add_ counts for b too")


def test_versions_late_view_starting_at_zero_is_told():
    result = nb05.check_versions({"a": 3, "b": 3, "c": 1, "d": 1})
    assert result.status == "failed"
    assert str(result).endswith("a view does not start at 0: it shares a's counter, with "
                                "everything already counted")


def test_versions_copy_sharing_the_counter_is_told():
    result = nb05.check_versions({"a": 3, "b": 3, "c": 3, "d": 3})
    assert "c = a * 2 is a new tensor with its own counter" in str(result)


def test_versions_missing_key_is_told():
    result = nb05.check_versions({"a": 3, "b": 3, "c": 1})
    assert result.status == "failed"
    assert "should have exactly the keys a, b, c, d: missing 'd'" in str(result)


def test_versions_placeholder_is_not_attempted():
    assert nb05.check_versions(None).status == "not attempted"


def test_softplus_solution_passes(solution):
    result = nb05.check_softplus(solution.softplus_sum)
    assert result.passed, result


def _still_in_place(x):
    y = x.exp()
    y += 1
    return y.log().sum()


def _in_place_under_no_grad(x):
    y = x.exp()
    with al.no_grad():
        y += 1
    return y.log().sum()


def test_softplus_still_in_place_is_told():
    for program in (_still_in_place, _in_place_under_no_grad):
        result = nb05.check_softplus(program)
        assert result.status == "failed"
        assert "backward still raises the in-place error: the result of exp() is saved by " \
               "ExpBackward0" in str(result)


def test_softplus_detached_is_told():
    result = nb05.check_softplus(lambda x: (x.detach().exp() + 1).log().sum())
    assert result.status == "failed"
    assert "the loss does not require grad: did you detach" in str(result)


def test_softplus_other_value_is_told():
    result = nb05.check_softplus(lambda x: x.exp().log().sum())
    assert result.status == "failed"
    assert "case 1: the loss's value: expected" in str(result)


def test_softplus_placeholder_is_not_attempted():
    def softplus_sum(x):
        raise NotImplementedError

    assert nb05.check_softplus(softplus_sum).status == "not attempted"


def test_views_solution_passes(solution):
    result = nb05.check_views(solution.bases)
    assert result.passed, result


def test_views_view_of_a_view_is_told(solution):
    result = nb05.check_views({**solution.bases, "s": "v"})
    assert result.status == "failed"
    assert str(result) == (
        "✗ 05.3 which tensors are views of which: bases['s'] is 'v', but s._base is a: s is "
        "a view of a view: its _base is the root, the tensor that owns the memory "
        "(as in PyTorch)")


def test_views_reshape_of_transpose_is_told(solution):
    result = nb05.check_views({**solution.bases, "r": "t"})
    assert "t is not contiguous, so t.reshape(6) cannot be a view: it copies" in str(result)


def test_views_placeholder_is_not_attempted():
    assert nb05.check_views(None).status == "not attempted"
