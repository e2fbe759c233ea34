"""Exercises of notebook 09 (custom ops and the autograd fallback)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from ._backward import check_backward
from ._registry import Wrong, exercise

_fresh = itertools.count()


def _rng(exercise_id: str) -> np.random.Generator:
    """Seeded per exercise: the same inputs on every run, different from the notebook's."""
    return np.random.default_rng(sum(map(ord, exercise_id)))


def _softplus_op():
    """A fresh ``softplus`` custom op with a NumPy kernel (so no graph of its own)."""
    import autograd_lab as al

    def np_softplus(x):
        return al.tensor(np.logaddexp(0.0, x.numpy()), dtype=x.dtype)

    return al.library.custom_op(f"exercise_nb09::softplus_{next(_fresh)}",
                                mutates_args=(), schema="(Tensor x) -> Tensor")(np_softplus)


@exercise("09.1", "register the backward of a custom op")
def check_softplus_autograd(setup_context, backward) -> str:
    """``op.register_autograd(backward, setup_context=setup_context)`` for softplus."""
    import autograd_lab as al

    rng = _rng("09.1")
    op = _softplus_op()
    try:
        op.register_autograd(backward, setup_context=setup_context)
        for shape in ((4,), (2, 3)):
            x = al.tensor(rng.standard_normal(shape) * 2, dtype=al.float64,
                          requires_grad=True)
            check_backward(op, [x])
    finally:
        op._destroy()
    return ("your formula matches finite differences: softplus(x) = log(1 + e^x) has the "
            "derivative sigmoid(x)")


FALLBACK_CASES = {
    "A": ("warn", "numpy"),
    "B": ("warn", "tensor ops"),
    "C": ("nothing", "numpy"),
    "D": ("nothing", "tensor ops"),
}
OUTCOMES = ("gradient", "warning and gradient", "warning, no gradient", "error")


def fallback_outcome(mode: str, kernel: str) -> str:
    """Run ``loss = op(x).sum(); loss.backward()`` for an op defined with ``Library`` and
    only a CPU kernel, in fallback ``mode``: one of ``OUTCOMES``."""
    import autograd_lab as al

    ns = f"exercise_nb09_fallback_{next(_fresh)}"
    lib = al.library.Library(ns, "DEF")
    try:
        lib.define("my_cos(Tensor x) -> Tensor")
        if kernel == "numpy":
            lib.impl("my_cos", lambda x: al.tensor(np.cos(x.detach().numpy()), dtype=x.dtype),
                     "CPU")
        else:
            lib.impl("my_cos", lambda x: x.cos(), "CPU")
        x = al.tensor([0.5, 1.0], dtype=al.float64, requires_grad=True)
        with al.library.autograd_fallback_mode(mode), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                getattr(al.ops, ns).my_cos(x).sum().backward()
            except RuntimeError:
                return "error"
        warned = any("autograd kernel was not registered" in str(w.message) for w in caught)
        if x.grad is None:
            return "warning, no gradient" if warned else "no gradient"
        return "warning and gradient" if warned else "gradient"
    finally:
        lib._destroy()


_WHY = {
    ("warn", "numpy"): "the NumPy kernel records no graph, so the gradient would vanish: "
                       "warn mode warns during backward, and x.grad stays None",
    ("warn", "tensor ops"): "the kernel's own tensor ops record a graph, so the gradient is "
                            "right, but warn mode cannot know that and warns anyway",
    ("nothing", "numpy"): "in 'nothing' mode the output simply does not require grad, so "
                          "backward raises 'does not require grad'",
    ("nothing", "tensor ops"): "the kernel's tensor ops record a graph, and 'nothing' mode "
                               "adds no warning: the gradient flows silently",
}


@exercise("09.2", "predict what the fallback does")
def check_fallback_predictions(predictions) -> str:
    """``predictions``: {"A": outcome, ...} for the four cases of ``FALLBACK_CASES``."""
    if not isinstance(predictions, dict):
        raise Wrong(f"the answer should be a dict such as {{'A': 'gradient', ...}}, got "
                    f"{type(predictions).__name__}")
    missing = [k for k in FALLBACK_CASES if k not in predictions]
    if missing:
        raise Wrong(f"no prediction for case {missing[0]}: give one for each of "
                    f"{', '.join(FALLBACK_CASES)}")
    for case, guess in predictions.items():
        if guess not in OUTCOMES:
            raise Wrong(f"case {case}: {guess!r} is not one of the outcomes {list(OUTCOMES)}")
    for case, (mode, kernel) in FALLBACK_CASES.items():
        actual = fallback_outcome(mode, kernel)
        if predictions[case] != actual:
            raise Wrong(f"case {case} (mode {mode!r}, {kernel} kernel): not "
                        f"{predictions[case]!r} but {actual!r}: {_WHY[(mode, kernel)]}")
    return "all four right: the fallback never invents a gradient, it only warns (or not)"
