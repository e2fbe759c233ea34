"""Exercises of notebook 11 (the forward and the backward as programs; ONNX export)."""

from __future__ import annotations

import numpy as np

from ._compare import compare
from ._registry import Wrong, exercise

# Exercise 11.1's function and input, also printed by the notebook as a program to read.
PREDICT_INPUT = [1.0, 2.0, -1.0, 3.0]


def predict_loss(x):
    """``loss = x.relu().pow(2).mean()``: the function whose backward program 11.1 reads."""
    return x.relu().pow(2).mean()


def _rng(exercise_id: str) -> np.random.Generator:
    """Seeded per exercise: the same inputs on every run, different from the notebook's."""
    return np.random.default_rng(sum(map(ord, exercise_id)))


@exercise("11.1", "predict what a backward program returns")
def check_predicted_grad(prediction) -> str:
    """``prediction``: the ``x_grad`` the program returns for ``x = PREDICT_INPUT``."""
    x = np.array(PREDICT_INPUT)
    n = x.size
    positive = x > 0
    expected = np.where(positive, 2 * x / n, 0.0)
    mistakes = [(2 * x / n, "ReluBackward0's threshold_backward keeps the gradient only where "
                            "relu_result > 0: it is 0 at x = -1"),
                (np.where(positive, 2 * x, 0.0), "MeanBackward0 divides the seed by the "
                                                 f"number of elements, {n}"),
                (np.where(positive, x / n, 0.0), "PowBackward0 multiplies by "
                                                 "2 * relu_result (exponent 2)"),
                (np.where(positive, 2 / n, 0.0), "PowBackward0 multiplies by relu_result "
                                                 "too, not by 2 alone")]
    compare(np.asarray(prediction, dtype=np.float64), expected, "x_grad", mistakes=mistakes)
    return f"x_grad = {expected.tolist()}: you read the program as the engine runs it"


@exercise("11.2", "the backward of Linear, by hand")
def check_linear_backward(linear_backward) -> str:
    """``linear_backward(grad, x, weight) -> (grad_x, grad_weight, grad_bias)`` for
    ``out = x @ weight.T + bias``, compared with the captured backward program's outputs."""
    import autograd_lab as al

    rng = _rng("11.2")
    for batch, n_in, n_out in ((5, 4, 3), (6, 4, 4)):
        x = al.tensor(rng.standard_normal((batch, n_in)), requires_grad=True)
        weight = al.tensor(rng.standard_normal((n_out, n_in)), requires_grad=True)
        bias = al.tensor(rng.standard_normal(n_out), requires_grad=True)
        grad = rng.standard_normal((batch, n_out))
        loss = (al.nn.functional.linear(x, weight, bias) * al.tensor(grad)).sum()
        program = al.trace.capture_backward(loss, params={"x": x, "weight": weight,
                                                          "bias": bias})
        expected = [g.numpy() for g in program()]
        got = linear_backward(grad.copy(), x.detach().numpy().copy(),
                              weight.detach().numpy().copy())
        if not isinstance(got, tuple | list) or len(got) != 3:
            raise Wrong("return three gradients (grad_x, grad_weight, grad_bias), got "
                        f"{type(got).__name__}")
        w, xn = weight.detach().numpy(), x.detach().numpy()
        case = f"case x {(batch, n_in)}, weight {(n_out, n_in)}"
        transposed = [] if n_in != n_out else [
            (grad @ w.T, "weight enters transposed (x @ weight.T): grad_x is grad @ weight, "
                         "the program's matmul(mul, t(addmm_mat2))")]
        compare(got[0], expected[0], f"{case}: grad_x", mistakes=transposed)
        compare(got[1], expected[1], f"{case}: grad_weight",
                mistakes=[(xn.T @ grad, "that is the program's matmul_1, t(x) @ grad: "
                                        "TBackward0 transposes it back to weight's shape")])
        compare(got[2], expected[2], f"{case}: grad_bias",
                mistakes=[(grad, "bias was broadcast over the batch: sum the gradient over "
                                 "dim 0 (the program's sum_to_size)")])
    return "your three gradients match the captured backward program on 2 shapes"
