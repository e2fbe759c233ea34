"""Solutions to the exercises of notebook 11 (programs and export)."""

# 11.1: loss = x.relu().pow(2).mean() at x = [1, 2, -1, 3]. Reading the program backwards:
# MeanBackward0 spreads the seed 1 as 1/4 to each element; PowBackward0 multiplies by
# 2 * relu_result = [2, 4, 0, 6]; ReluBackward0 keeps it where relu_result > 0.
predicted_grad = [0.5, 1.0, 0.0, 1.5]


def linear_backward(grad, x, weight):
    """out = x @ weight.T + bias: the three formulas of AddmmBackward0 (and TBackward0)."""
    grad_x = grad @ weight          # (batch, out) @ (out, in)
    grad_weight = grad.T @ x        # (out, batch) @ (batch, in): t(t(x) @ grad)
    grad_bias = grad.sum(axis=0)    # bias was broadcast over the batch
    return grad_x, grad_weight, grad_bias
