"""Solutions to the exercises of notebook 05 (in-place ops and views)."""

# 05.1: a, b = a.view(2, 2) and d = b.t() share one counter: a.add_(1), b[0].mul_(3) and
# d[1, 1] = 0.0 each add 1. c = a * 2 is new memory with its own counter: only c.sub_(1).
versions = {"a": 3, "b": 3, "c": 1, "d": 3}


def softplus_sum(x):
    """05.2: ExpBackward0 saves its result, so add 1 out of place: a new tensor."""
    y = x.exp() + 1           # or: y = x.exp().clone(); y += 1
    return y.log().sum()


# 05.3: t, v are views of a; s is a view of v, and a view's _base is always the root.
# r = t.reshape(6) and p = t.contiguous() must copy (t is not contiguous); clone copies.
bases = {"t": "a", "r": None, "v": "a", "s": "a", "c": None, "p": None}
