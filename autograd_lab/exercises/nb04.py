"""Exercises of notebook 04 (custom autograd Functions)."""

from __future__ import annotations

import numpy as np

from ._backward import check_backward
from ._registry import Wrong, exercise


def _rng(exercise_id: str) -> np.random.Generator:
    """Seeded per exercise: the same inputs on every run, different from the notebook's."""
    return np.random.default_rng(sum(map(ord, exercise_id)))


def _inputs(rng, *shapes):
    import autograd_lab as al

    return [al.tensor(rng.standard_normal(s), dtype=al.float64, requires_grad=True)
            for s in shapes]


def _is_function(cls, name: str) -> None:
    import autograd_lab as al

    if not (isinstance(cls, type) and issubclass(cls, al.autograd.Function)):
        raise Wrong(f"{name} should be a subclass of al.autograd.Function, got "
                    f"{type(cls).__name__}")


@exercise("04.1", "the backward of Sigmoid")
def check_sigmoid(Sigmoid) -> str:  # noqa: N803 - the learner's class
    """``Sigmoid.apply(x)``: forward saves what backward needs; backward is the learner's."""
    _is_function(Sigmoid, "Sigmoid")
    rng = _rng("04.1")
    shapes = [(5,), (2, 3), ()]
    for shape in shapes:
        check_backward(Sigmoid.apply, _inputs(rng, shape))
    return (f"your backward matches finite differences on {len(shapes)} inputs "
            "(shapes (5,), (2, 3) and a scalar)")


@exercise("04.2", "a Function with two outputs")
def check_sin_cos(SinCos) -> str:  # noqa: N803 - the learner's class
    """``SinCos.apply(x) -> (sin x, cos x)``; backward gets one gradient per output."""
    _is_function(SinCos, "SinCos")
    rng = _rng("04.2")
    (x,) = _inputs(rng, (2, 3))
    outputs = SinCos.apply(x)
    if not isinstance(outputs, tuple) or len(outputs) != 2:
        raise Wrong("SinCos.apply(x) should return a tuple of two tensors (sin x, cos x)")
    check_backward(SinCos.apply, [x])
    # Only one output used: the other's gradient arrives as zeros (materialized).
    (y,) = _inputs(rng, (4,))
    s, _ = SinCos.apply(y)
    s.sum().backward()
    if y.grad is None or not np.allclose(y.grad.numpy(), np.cos(y.detach().numpy())):
        raise Wrong("with only sin x used, x.grad should be cos x: the unused output's "
                    "gradient arrives as zeros, add both terms")
    return "both outputs' gradients add up in x.grad, also when only one output is used"


@exercise("04.3", "find the bug: one gradient per argument")
def check_scale(Scale) -> str:  # noqa: N803 - the learner's class
    """``Scale.apply(x, scale)`` with ``scale`` a Python float: ``x * scale``."""
    _is_function(Scale, "Scale")
    rng = _rng("04.3")
    for scale in (float(rng.uniform(0.5, 2.0)), -3.0):
        (x,) = _inputs(rng, (3,))
        try:
            check_backward(lambda t, s=scale: Scale.apply(t, s), [x])
        except RuntimeError as e:
            if "incorrect number of gradients" in str(e):
                raise Wrong("backward returned one gradient, forward takes two arguments "
                            "(x and scale): return a gradient for each, None for the "
                            "float scale") from None
            raise
    return "backward returns one gradient per forward argument (None for the float)"
