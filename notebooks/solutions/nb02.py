"""Solutions to the exercises of notebook 02 (tensors, broadcasting, the chain rule)."""



def add_backward(grad, a_shape, b_shape):
    """Each input's gradient is ``grad`` summed back to the input's shape."""
    return _sum_to(grad, a_shape), _sum_to(grad, b_shape)


def _sum_to(grad, shape):
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead)))  # dims broadcasting added in front
    kept = tuple(d for d, n in enumerate(shape) if n == 1 and grad.shape[d] != 1)
    return grad.sum(axis=kept, keepdims=True)  # dims stretched from 1
