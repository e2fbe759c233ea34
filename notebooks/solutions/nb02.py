"""Solutions to the exercises of notebook 02 (tensors, broadcasting, the chain rule)."""

import numpy as np


def add_backward(grad, a_shape, b_shape):
    """Each input's gradient is ``grad`` summed back to the input's shape."""
    return _sum_to(grad, a_shape), _sum_to(grad, b_shape)


def _sum_to(grad, shape):
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead)))  # dims broadcasting added in front
    kept = tuple(d for d, n in enumerate(shape) if n == 1 and grad.shape[d] != 1)
    return grad.sum(axis=kept, keepdims=True)  # dims stretched from 1


def matmul_sum_grads(A, B):
    """L = (A @ B).sum(): the gradient flowing into the matmul is all ones, of the shape of
    A @ B; the matmul's backward turns it into grad @ B.T (A's shape) and A.T @ grad
    (B's shape)."""
    grad = np.ones((A.shape[0], B.shape[1]))
    return grad @ B.T, A.T @ grad


def mul_backward(grad, a, b):
    """The fixed backward of a broadcast mul: each input's gradient is grad times the other
    input, summed back to the input's shape."""
    return _sum_to(grad * b, a.shape), _sum_to(grad * a, b.shape)
