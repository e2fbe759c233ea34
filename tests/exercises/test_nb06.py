"""Notebook 06's checkers: the solution passes, likely mistakes fail with their hint."""

import numpy as np

import autograd_lab as al
from autograd_lab.exercises import nb06


def test_clip_hook_solution_passes(solution):
    result = nb06.check_clip_hook(solution.make_clip_hook)
    assert result.passed, result


def test_clip_hook_returning_nothing_is_explained():
    result = nb06.check_clip_hook(lambda max_norm: (lambda grad: None))
    assert result.status == "failed"
    assert str(result).startswith("✗ 06.1 a gradient-clipping hook: case 1 (max_norm 0.5, "
                                  "gradient norm 10.3): x.grad, element (0, 0): expected ")
    assert str(result).endswith("the gradient came through unchanged: does your hook return "
                                "the clipped gradient?")


def test_clip_hook_elementwise_clipping_is_explained():
    result = nb06.check_clip_hook(lambda max_norm: (lambda grad: grad.clamp(-max_norm, max_norm)))
    assert result.status == "failed"
    assert str(result).endswith("each element was clipped on its own; rescale the whole "
                                "gradient by max_norm / norm instead")


def test_clip_hook_scaling_up_is_explained():
    def make(max_norm):
        return lambda grad: grad * (max_norm / float((grad * grad).sum().sqrt()))

    result = nb06.check_clip_hook(make)
    assert result.status == "failed"
    assert "case 2 (max_norm 3.0, gradient norm 0.22)" in str(result)
    assert str(result).endswith("a gradient already within max_norm must not be scaled up")


def test_clip_hook_placeholder_is_not_attempted():
    def make_clip_hook(max_norm):
        raise NotImplementedError

    assert nb06.check_clip_hook(make_clip_hook).status == "not attempted"


def test_hook_order_solution_passes(solution):
    assert nb06.check_hook_order(solution.order).passed


def test_hook_order_matches_the_library():
    assert nb06._actual_hook_order() == ["s", "b", "a", "x", "x.grad set"]


def test_hook_order_mistakes_are_explained():
    cases = {
        ("s", "b", "a", "x", "x", "x.grad set"): "x's hook fires once, not once per path",
        ("s", "a", "b", "x", "x.grad set"): "the engine runs the node made last first",
        ("s", "b", "a", "x.grad set", "x"): "the post-accumulate hook runs after x.grad",
        ("s", "b", "a", "x"): "'x.grad set' fires too",
        ("x", "b", "a", "s", "x.grad set"): "backward starts from the output",
    }
    for order, text in cases.items():
        result = nb06.check_hook_order(list(order))
        assert result.status == "failed", order
        assert text in str(result), (order, str(result))
    assert str(nb06.check_hook_order(["s", "y"])) == (
        "✗ 06.2 predict the order hooks fire in: 'y' is not a label of this program; the "
        "labels are ['a', 'b', 's', 'x', 'x.grad set']")


def test_hook_order_placeholder_is_not_attempted():
    assert nb06.check_hook_order(None).status == "not attempted"


def test_pack_unpack_solution_passes(solution):
    result = nb06.check_pack_unpack(solution.pack, solution.unpack)
    assert result.passed, result


def test_pack_unpack_dtype_not_restored():
    result = nb06.check_pack_unpack(lambda t: t.detach().numpy().astype(np.float16),
                                    lambda p: al.tensor(p.astype(np.float32)))
    assert str(result) == (
        "✗ 06.3 a pack/unpack pair that saves in float16: unpack(pack(t)) has dtype "
        "autograd_lab.float32, expected autograd_lab.float64: convert back to the dtype the "
        "tensor had when it was packed")


def test_pack_unpack_without_compression():
    result = nb06.check_pack_unpack(lambda t: t, lambda p: p)
    assert result.status == "failed"
    assert str(result).endswith("the values came back exactly: pack should keep them in "
                                "float16 (that is the compression)")


def test_pack_unpack_placeholder_is_not_attempted():
    def pack(t):
        raise NotImplementedError

    def unpack(packed):
        raise NotImplementedError

    assert nb06.check_pack_unpack(pack, unpack).status == "not attempted"
