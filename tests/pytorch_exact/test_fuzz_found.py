"""Issue 14: differences the differential fuzzer (tests/fuzz/) found, fixed.

Each test checks a hand-written expectation, and the same program in PyTorch when it is
installed (only that comparison is skipped without torch)."""
import autograd_lab as al

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _libraries():
    return (al,) if torch is None else (al, torch)


# --- a view a formula makes of a gradient summed in place shares its version ---------------
def _versions(L):
    """``_version`` of gradients whose graph sums two fresh gradients at a 0-d tensor (the
    engine adds the second into the first in place) and then views the sum (sum's expand,
    a reshape's view)."""
    x = L.ones(3, dtype=L.float64, requires_grad=True) * 1
    s = x.sum()
    r = s.reshape(-1)
    out = []
    for q in (s * s, s / s, r * r, r / r, (r + r).sum()):
        g, = L.autograd.grad(q.sum(), x, retain_graph=True)
        out.append(g._version)
    return out


def test_a_view_of_a_gradient_summed_in_place_shares_its_version():
    """s * s sends two fresh gradients to s: the second is added into the first in place
    (version 1), and sum's gradient, an expand of it, is a view with the same counter.
    r + r passes one gradient to both paths: nothing is summed in place (version 0)."""
    expected = [1, 1, 1, 1, 0]
    assert _versions(al) == expected
    if torch is not None:
        assert _versions(torch) == expected


def test_the_shared_version_moves_with_the_gradient_it_views():
    """sum's gradient is an expand (stride 0): zero_ may write it, and that write counts
    for the gradient it views."""
    for L in _libraries():
        x = L.ones(3, dtype=L.float64, requires_grad=True) * 1
        s = x.sum()
        g, = L.autograd.grad(s * s, x)
        assert g.tolist() == [6.0, 6.0, 6.0]  # d(s^2)/dx = 2s, s = 3
        assert g._version == 1, L.__name__
        g.zero_()
        assert g._version == 2 and g.tolist() == [0.0, 0.0, 0.0], L.__name__


def test_a_gradient_nothing_summed_in_place_keeps_version_0():
    for L in _libraries():
        x = L.ones(3, dtype=L.float64, requires_grad=True) * 1
        g, = L.autograd.grad(x.sum() * 2, x)
        assert g._version == 0, L.__name__


def _mul_into_a_constant(L):
    a = L.ones(3, requires_grad=True)
    s = a.sum() * 1
    c = L.ones(2, 1)
    c.mul_(s)  # c does not require grad: only s's gradient is needed, which reads c, not s
    with L.no_grad():
        s.add_(1)
    c.sum().backward()
    return a.grad.tolist()


def test_an_in_place_product_saves_only_what_its_gradients_need():
    for L in _libraries():
        assert _mul_into_a_constant(L) == [2.0, 2.0, 2.0], L.__name__


def _layouts(L):
    a = L.ones(2, 1)
    a.t().unsqueeze(0)[0].add_(a.t())  # the same memory, laid out alike: allowed
    x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g, = L.autograd.grad(x.cumsum(0).sum(), x)
    e = L.ones(3).expand(2, 3).clone()
    return a.tolist(), g.is_contiguous(), g.view(-1).tolist(), e.is_contiguous()


def test_layouts_of_unsqueeze_cumsums_gradient_and_a_clone_of_an_expand():
    """unsqueeze's new axis has PyTorch's stride, cumsum's gradient is new memory in C order,
    and a clone of an expanded tensor is in C order: each as PyTorch, so the same in-place
    ops and views work."""
    for L in _libraries():
        assert _layouts(L) == ([[2.0], [2.0]], True, [3.0, 2.0, 1.0], True), L.__name__


def _write_into_a_create_graph_gradient(L):
    x = L.tensor([0.5, 1.0, 2.0], requires_grad=True)
    c = x.clone()
    c[:2].sigmoid_()
    g, = L.autograd.grad(c.sum(), x, create_graph=True)
    g.view(-1).add_(L.tensor([1.0, 1.0, 1.0], requires_grad=True))
    return g.requires_grad, [round(v, 4) for v in g.tolist()]


def test_a_gradient_made_with_create_graph_is_no_no_grad_view():
    """With create_graph=True the formulas run in grad mode, so a gradient that is a view in
    memory is an ordinary one: writing into it with an input that requires grad is allowed,
    as in PyTorch (only a gradient made without create_graph is a no_grad view)."""
    for L in _libraries():
        assert _write_into_a_create_graph_gradient(L) == (True, [1.235, 1.1966, 2.0]), L.__name__
