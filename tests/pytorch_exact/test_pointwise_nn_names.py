"""Issue 14 (pointwise ops and nn): what PyTorch saves and frees, its node names and graph
structure, and the graphs ``autograd.grad(create_graph=True)`` builds.

Each test states a hand-written expectation that runs without PyTorch, and runs the same
program in PyTorch too where it is installed (``LIBS``), so the expectation is PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al

try:
    import torch
except ImportError:  # pragma: no cover - the torch comparison is optional
    torch = None

LIBS = ["al"] + (["torch"] if torch is not None else [])
SECOND_TIME = "Trying to backward through the graph a second time"


def _lib(name):
    return torch if name == "torch" else al


def _arr(t):
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)  # abs'' is PyTorch's ZeroTensor
    return t.detach().numpy()


# --- a saved Python number is freed by backward ------------------------------------------
SCALAR_OPS = {
    "x * 2": (lambda x: x * 2, "MulBackward0", 2, [2.0, 2.0]),
    "2 * x": (lambda x: 2 * x, "MulBackward0", 2, [2.0, 2.0]),
    "x * 2.5": (lambda x: x * 2.5, "MulBackward0", 2.5, [2.5, 2.5]),
    "x / 2": (lambda x: x / 2, "DivBackward0", 2, [0.5, 0.5]),
    "x / 0.5": (lambda x: x / 0.5, "DivBackward0", 0.5, [2.0, 2.0]),
    "x.clone().mul_(3)": (lambda x: x.clone().mul_(3), "MulBackward0", 3, [3.0, 3.0]),
    "x.clone().div_(4)": (lambda x: x.clone().div_(4), "DivBackward0", 4, [0.25, 0.25]),
    "div(x, 2, floor)": (lambda x: x.div(2, rounding_mode="floor"), "DivBackward2", 2,
                         [0.0, 0.0]),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", SCALAR_OPS)
def test_a_saved_number_is_freed_by_backward(lib, case):
    m = _lib(lib)
    fn, name, number, grad = SCALAR_OPS[case]
    x = m.tensor([1.0, 3.0], requires_grad=True)
    y = fn(x)
    node = y.grad_fn
    assert type(node).__name__ == name
    # the number, saved as PyTorch wraps it: a 0-d int64 / float64 tensor
    saved = node._saved_other
    assert saved.dim() == 0 and saved.item() == number
    assert str(saved.dtype).rsplit(".", 1)[-1] == ("int64" if type(number) is int else "float64")
    assert node._saved_self is None  # the number needs no gradient: self is not saved
    y.sum().backward()
    np.testing.assert_allclose(_arr(x.grad), grad)
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.sum().backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        _ = node._saved_other
    np.testing.assert_allclose(_arr(x.grad), grad)  # the failed backward added nothing


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", ["x * 2", "x / 2", "div(x, 2, floor)"])
def test_a_saved_number_survives_retain_graph(lib, case):
    m = _lib(lib)
    fn, _, _, grad = SCALAR_OPS[case]
    x = m.tensor([1.0, 3.0], requires_grad=True)
    y = fn(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_allclose(_arr(x.grad), 2 * np.array(grad))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("op", ["x + 2", "x - 2", "2 - x", "-x", "x.sign()"])
def test_a_node_without_saved_values_runs_twice(lib, op):
    m = _lib(lib)
    x = m.tensor([1.0, 3.0], requires_grad=True)
    y = eval(op)  # noqa: S307 - a fixed list of expressions
    y.sum().backward()
    y.sum().backward()  # nothing was saved, nothing freed: PyTorch allows it
    expected = {"x + 2": 2.0, "x - 2": 2.0, "2 - x": -2.0, "-x": -2.0, "x.sign()": 0.0}[op]
    np.testing.assert_allclose(_arr(x.grad), [expected, expected])


@pytest.mark.parametrize("lib", LIBS)
def test_div_rounding_of_two_tensors_saves_what_it_would_read(lib):
    m = _lib(lib)
    x = m.tensor([1.0, 3.0], requires_grad=True)
    c = m.tensor([2.0, 2.0])
    y = x.div(c, rounding_mode="trunc")
    assert type(y.grad_fn).__name__ == "DivBackward2"
    assert y.grad_fn._saved_self is None  # c needs no gradient
    np.testing.assert_allclose(_arr(y.grad_fn._saved_other), [2.0, 2.0])
    y.sum().backward()
    np.testing.assert_allclose(_arr(x.grad), [0.0, 0.0])
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.sum().backward()


# --- graph structure: node names and next_functions, as PyTorch records them -------------
def _chain(node, depth=4):
    """A node as (name, [its next nodes]) down to ``depth``; None for an empty edge."""
    if node is None:
        return None
    name = node.name().rsplit("::", 1)[-1]
    if depth == 0 or not node.next_functions:
        return name
    return (name, [_chain(fn, depth - 1) for fn, _ in node.next_functions])


def _x(m, *shape, positive=False):
    a = np.random.default_rng(0).standard_normal(shape)
    a = np.abs(a) + 0.5 if positive else a
    return m.tensor(a, requires_grad=True)


GRAPHS = {
    "where": (lambda m: m.where(_x(m, 3) > 0, _x(m, 3), _x(m, 3)),
              ("WhereBackward0", ["AccumulateGrad", "AccumulateGrad"])),
    "where with a number": (lambda m: m.where(_x(m, 3) > 0, _x(m, 3), 0.0),
                            ("WhereBackward0", ["AccumulateGrad", None])),
    "add alpha": (lambda m: m.add(_x(m, 3), _x(m, 3), alpha=2),
                  ("AddBackward0", ["AccumulateGrad", "AccumulateGrad"])),
    "add alpha number": (lambda m: m.add(_x(m, 3), 3, alpha=2),
                         ("AddBackward0", ["AccumulateGrad", None])),
    "sub alpha": (lambda m: m.sub(_x(m, 3), _x(m, 3), alpha=2),
                  ("SubBackward0", ["AccumulateGrad", "AccumulateGrad"])),
    "rsub": (lambda m: m.rsub(_x(m, 3), _x(m, 3)),
             ("RsubBackward0", ["AccumulateGrad", "AccumulateGrad"])),
    "rsub alpha": (lambda m: m.rsub(_x(m, 3), _x(m, 3), alpha=2),
                   ("RsubBackward0", ["AccumulateGrad", "AccumulateGrad"])),
    "rsub number": (lambda m: m.rsub(_x(m, 3), 2), ("RsubBackward1", ["AccumulateGrad"])),
    "clamp tensor min": (lambda m: m.clamp(_x(m, 3), min=_x(m, 3)),
                         ("ClampBackward0", ["AccumulateGrad", "AccumulateGrad", None])),
    "clamp tensor max": (lambda m: m.clamp(_x(m, 3), max=_x(m, 3)),
                         ("ClampBackward0", ["AccumulateGrad", None, "AccumulateGrad"])),
    "clamp tensors": (lambda m: m.clamp(_x(m, 3), _x(m, 3), _x(m, 3)),
                      ("ClampBackward0", ["AccumulateGrad", "AccumulateGrad", "AccumulateGrad"])),
    "clamp numbers": (lambda m: m.clamp(_x(m, 3), 0, 1), ("ClampBackward1", ["AccumulateGrad"])),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", GRAPHS)
def test_graph_structure(lib, case):
    fn, expected = GRAPHS[case]
    assert _chain(fn(_lib(lib)).grad_fn) == expected


@pytest.mark.parametrize("lib", LIBS)
def test_where_gradients_go_to_the_two_tensors(lib):
    m = _lib(lib)
    x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = m.tensor([4.0, 5.0, 6.0], requires_grad=True)
    z = m.where(x > 0, x * x, y * 3)
    z.sum().backward()
    np.testing.assert_allclose(_arr(x.grad), [2.0, 0.0, 6.0])
    np.testing.assert_allclose(_arr(y.grad), [0.0, 3.0, 0.0])
    g, = m.autograd.grad(m.where(x > 0, x * x, y).sum(), x, create_graph=True)
    gg, = m.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(_arr(gg), [2.0, 0.0, 2.0])


# --- the graphs autograd.grad(create_graph=True) builds ----------------------------------
ACC = "AccumulateGrad"
CREATE_GRAPH = {
    # op: (function of x, x > 0 only?, the chain of d(sum(op(x)))/dx's grad_fn)
    "x ** 3": (lambda m, x: x ** 3, False,
               ("MulBackward0", [None, ("MulBackward1", [("PowBackward0", [ACC])])])),
    "square": (lambda m, x: x.square(), False,
               ("MulBackward0", [None, ("MulBackward1", [("PowBackward0", [ACC])])])),
    "2 ** x": (lambda m, x: 2 ** x, False,
               ("MulBackward0", [None, ("MulBackward1", [("PowBackward2", [ACC])])])),
    "abs": (lambda m, x: x.abs(), False, ("MulBackward0", [None, ("SgnBackward0", [ACC])])),
    "sqrt": (lambda m, x: x.sqrt(), True,
             ("DivBackward0", [None, ("MulBackward1", [("SqrtBackward0", [ACC])])])),
    "rsqrt": (lambda m, x: x.rsqrt(), True,
              ("MulBackward0", [None, ("PowBackward0", [("RsqrtBackward0", [ACC])])])),
    "expm1": (lambda m, x: x.expm1(), False,
              ("MulBackward0", [None, ("AddBackward1", [("Expm1Backward0", [ACC])])])),
    "log1p": (lambda m, x: x.log1p(), True, ("DivBackward0", [None, ("AddBackward1", [ACC])])),
    "cos": (lambda m, x: x.cos(), False,
            ("MulBackward0", [None, ("NegBackward0", [("SinBackward0", [ACC])])])),
    "tan": (lambda m, x: x.tan(), False,
            ("MulBackward0",
             [None, ("AddBackward1", [("PowBackward0", [("TanBackward0", [ACC])])])])),
    "asin": (lambda m, x: (x / 5).asin(), False,
             ("DivBackward0", [("MulBackward0", [None, ("RsqrtBackward0", [
                 ("AddBackward1", ["MulBackward0"])])]), None])),
    "acos": (lambda m, x: (x / 5).acos(), False,
             ("DivBackward0", [("MulBackward0", [None, ("NegBackward0", [
                 ("RsqrtBackward0", ["AddBackward1"])])]), None])),
    "atan": (lambda m, x: x.atan(), False,
             ("DivBackward0", [None, ("AddBackward1", [("MulBackward0", [ACC, ACC])])])),
    "tanh": (lambda m, x: x.tanh(), False,
             ("TanhBackwardBackward0", [None, ("TanhBackward0", [ACC])])),
    "sigmoid": (lambda m, x: x.sigmoid(), False,
                ("SigmoidBackwardBackward0", [None, ("SigmoidBackward0", [ACC])])),
    "reciprocal": (lambda m, x: x.reciprocal(), True,
                   ("MulBackward0", [None, ("MulBackward0", [("ReciprocalBackward0", [ACC]),
                                                             ("ReciprocalBackward0", [ACC])])])),
    "2 / x": (lambda m, x: 2 / x, True,
              ("MulBackward0", [None, ("MulBackward0", [("ReciprocalBackward0", [ACC]),
                                                        ("ReciprocalBackward0", [ACC])])])),
    "relu": (lambda m, x: x.relu(), False,
             ("ThresholdBackwardBackward0", [None, ("ReluBackward0", [ACC])])),
    # clamp's mask picks the gradient with where (PyTorch's clamp_backward)
    "clamp": (lambda m, x: (x * x).clamp(0.1, 1) * x, False,
              ("AddBackward0", [
                  ("AddBackward0", [("MulBackward0", [None, ("ClampBackward1", ["MulBackward0"])]),
                                    ("MulBackward0", [("WhereBackward0", ["MulBackward0", None]),
                                                      ACC])]),
                  ("MulBackward0", [("WhereBackward0", [("MulBackward0", [None, ACC]), None]),
                                    ACC])])),
}


def _grad_of(m, case):
    fn, positive, _ = CREATE_GRAPH[case]
    x = _x(m, 4, positive=positive)
    g, = m.autograd.grad(fn(m, x).sum(), x, create_graph=True)
    return x, g


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", CREATE_GRAPH)
def test_the_graph_create_graph_builds(lib, case):
    _, g = _grad_of(_lib(lib), case)
    assert _chain(g.grad_fn) == CREATE_GRAPH[case][2]


@pytest.mark.parametrize("case", CREATE_GRAPH)
def test_create_graph_values_first_and_second_derivatives(case):
    x, g = _grad_of(al, case)
    gg, = al.autograd.grad(g.sum(), x)
    fn, positive, _ = CREATE_GRAPH[case]
    assert al.autograd.gradgradcheck(lambda t: fn(al, t), (_x(al, 4, positive=positive),))
    if torch is not None:
        tx, tg = _grad_of(torch, case)
        tgg, = torch.autograd.grad(tg.sum(), tx)
        np.testing.assert_allclose(_arr(g), _arr(tg), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(_arr(gg), _arr(tgg), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", ["tanh", "sigmoid"])
def test_tanh_and_sigmoid_backward_differentiate_twice(op):
    # the third derivative goes through TanhBackwardBackward0's own formula
    x = _x(al, 3)
    assert al.autograd.gradgradcheck(lambda t: getattr(t, op)(), (x,))
    g, = al.autograd.grad(getattr(x, op)().sum(), x, create_graph=True)
    gg, = al.autograd.grad(g.sum(), x, create_graph=True)
    ggg, = al.autograd.grad(gg.sum(), x)
    y = np.tanh(_arr(x)) if op == "tanh" else 1 / (1 + np.exp(-_arr(x)))
    # tanh''' = -2(1 - y²)(1 - 3y²); sigmoid''' = y(1 - y)(1 - 6y + 6y²)
    expected = (-2 * (1 - y * y) * (1 - 3 * y * y) if op == "tanh"
                else y * (1 - y) * (1 - 6 * y + 6 * y * y))
    np.testing.assert_allclose(_arr(ggg), expected, rtol=1e-10)


ALPHA_OPS = {
    # op: (program, d/dx, d/dy) for x = [1, 2], y = [3, 5]
    "add alpha": (lambda m, x, y: m.add(x, y, alpha=2), [1.0, 1.0], [2.0, 2.0]),
    "sub alpha": (lambda m, x, y: m.sub(x, y, alpha=2), [1.0, 1.0], [-2.0, -2.0]),
    "rsub": (lambda m, x, y: m.rsub(x, y), [-1.0, -1.0], [1.0, 1.0]),
    "rsub alpha": (lambda m, x, y: m.rsub(x, y, alpha=3), [-3.0, -3.0], [1.0, 1.0]),
    "clamp tensor max": (lambda m, x, y: m.clamp(x * 4 - 3, max=y - 1), [4.0, 0.0], [0.0, 1.0]),
    "clamp tensor min": (lambda m, x, y: m.clamp(x * 4 - 3, min=y - 1), [0.0, 4.0], [1.0, 0.0]),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", ALPHA_OPS)
def test_alpha_and_one_bound_gradients(lib, case):
    m = _lib(lib)
    fn, dx, dy = ALPHA_OPS[case]
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = m.tensor([3.0, 5.0], requires_grad=True)
    fn(m, x, y).sum().backward()
    np.testing.assert_allclose(_arr(x.grad), dx)
    np.testing.assert_allclose(_arr(y.grad), dy)
    assert al.autograd.gradcheck(lambda a, b: fn(al, a, b),
                                 (_x(al, 3), al.tensor([0.3, -0.2, 2.5], dtype=al.float64,
                                                            requires_grad=True)))


@pytest.mark.parametrize("lib", LIBS)
def test_add_alpha_saves_alpha(lib):
    m = _lib(lib)
    x, y = _x(m, 2), _x(m, 2)
    assert m.add(x, y, alpha=2).grad_fn._saved_alpha == 2
    assert m.sub(x, y, alpha=3).grad_fn._saved_alpha == 3
    assert m.rsub(x, y, alpha=4).grad_fn._saved_alpha == 4
    g, = m.autograd.grad(m.add(x, y * y, alpha=2).sum(), y, create_graph=True)
    assert _chain(g.grad_fn, 1) == ("AddBackward0", ["MulBackward0", "MulBackward0"])


# --- nn: binary_cross_entropy is one node ------------------------------------------------
BCE_X, BCE_T, BCE_W = [0.2, 0.7, 1.0], [0.0, 1.0, 0.5], [1.0, 2.0, 3.0]


def _bce_expected(reduction, weighted):
    """Hand-written: loss = -w (t log x + (1-t) log(1-x)) (logs floored at -100);
    d/dx = w (x - t) / max(x (1 - x), 1e-12); d/dt = w (log(1 - x) - log x)."""
    x, t = np.array(BCE_X), np.array(BCE_T)
    w = np.array(BCE_W) if weighted else np.ones(3)
    with np.errstate(divide="ignore"):
        lx, l1x = np.maximum(np.log(x), -100), np.maximum(np.log(1 - x), -100)
    loss = -w * (t * lx + (1 - t) * l1x)
    dx = w * (x - t) / np.maximum(x * (1 - x), float(np.float32(1e-12)))  # PyTorch's EPSILON
    with np.errstate(divide="ignore"):
        dt = w * (np.log(1 - x) - np.log(x))  # not floored: -inf at x = 1, as PyTorch's
    if reduction == "mean":
        return loss.mean(), dx / 3, dt / 3
    return loss.sum(), dx, dt


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_is_one_node(lib, reduction, weighted):
    m = _lib(lib)
    x = m.tensor(np.array(BCE_X), requires_grad=True)  # float64 arrays
    t = m.tensor(np.array(BCE_T))
    w = m.tensor(np.array(BCE_W)) if weighted else None
    loss = m.nn.functional.binary_cross_entropy(x, t, weight=w, reduction=reduction)
    assert _chain(loss.grad_fn) == ("BinaryCrossEntropyBackward0", [ACC, None])
    assert loss.grad_fn._saved_reduction == {"mean": 1, "sum": 2}[reduction]
    value, dx, dt = _bce_expected(reduction, weighted)
    loss.backward()
    np.testing.assert_allclose(loss.item(), value, rtol=1e-12)
    # x = 1 with t = 0.5: the floored denominator makes d/dx 0.5 w / 1e-12, as in PyTorch
    np.testing.assert_allclose(_arr(x.grad), dx, rtol=1e-12)
    t.requires_grad_(True)
    loss = m.nn.functional.binary_cross_entropy(x, t, weight=w, reduction=reduction)
    assert _chain(loss.grad_fn) == ("BinaryCrossEntropyBackward0", [ACC, ACC])
    loss.backward()
    np.testing.assert_allclose(_arr(t.grad), dt, rtol=1e-12)


def test_binary_cross_entropy_differentiates_twice():
    x = al.tensor([0.2, 0.7, 0.4], dtype=al.float64, requires_grad=True)
    t = al.tensor([0.0, 1.0, 0.5], dtype=al.float64, requires_grad=True)
    w = al.tensor([1.0, 2.0, 3.0], dtype=al.float64)
    F = al.nn.functional
    assert al.autograd.gradgradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight=w), (x, t))
    assert al.autograd.gradgradcheck(
        lambda a, b: F.binary_cross_entropy(a, b, reduction="none"), (x, t))


# --- nn: cross_entropy's graphs, each variant ------------------------------------------
NLL = ("NllLossBackward0", [("LogSoftmaxBackward0", [ACC])])
_LOGITS = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]])
_PROBS = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
CE = {
    "smoothing": (dict(label_smoothing=0.1), "index",
                  ("AddBackward0", [("MulBackward1", [NLL]), ("MulBackward1", [
                      ("DivBackward0", [("SumBackward0", ["MaskedFillBackward0"]), None])])])),
    "smoothing, sum": (dict(label_smoothing=0.1, reduction="sum"), "index",
                       ("AddBackward0", [("MulBackward1", [NLL]), ("MulBackward1", [
                           ("SumBackward0", [("MaskedFillBackward0", ["NegBackward0"])])])])),
    "smoothing, none, ignore_index": (
        dict(label_smoothing=0.1, reduction="none", ignore_index=2), "index",
        ("AddBackward0", [("MulBackward1", [NLL]), ("MulBackward1", [
            ("MaskedFillBackward0", [("NegBackward0", ["SumBackward1"])])])])),
    "probabilities": (dict(), "probs", ("DivBackward1", [("NegBackward0", [("SumBackward0", [
        ("MulBackward0", ["LogSoftmaxBackward0", None])])])])),
    "probabilities, sum": (dict(reduction="sum"), "probs", ("NegBackward0", [
        ("SumBackward0", [("MulBackward0", [("LogSoftmaxBackward0", [ACC]), None])])])),
    "probabilities, none, weight, smoothing": (
        dict(reduction="none", weight=[1.0, 2.0, 3.0], label_smoothing=0.2), "probs",
        ("NegBackward0", [("SumBackward1", [
            ("MulBackward0", [("MulBackward0", ["LogSoftmaxBackward0", None]), None])])])),
}


def _ce_expected(kwargs, kind):
    """Hand-written: log-probabilities, a smoothed target distribution, -sum q·w·logp."""
    logp = _LOGITS - np.log(np.exp(_LOGITS).sum(1, keepdims=True))
    eps, w = kwargs.get("label_smoothing", 0.0), np.array(kwargs.get("weight", [1.0] * 3))
    if kind == "probs":
        q = _PROBS * (1 - eps) + eps / 3
        per = -(q * w * logp).sum(1)
        return {"none": per, "sum": per.sum(), "mean": per.sum() / 2}[
            kwargs.get("reduction", "mean")]
    target, ignore = np.array([0, 2]), kwargs.get("ignore_index", -100)
    keep = target != ignore
    nll = np.where(keep, -logp[[0, 1], target] * w[target], 0.0)
    smooth = np.where(keep, -(logp * w).sum(1), 0.0)
    reduction = kwargs.get("reduction", "mean")
    if reduction == "mean":
        nll, smooth = nll.sum() / (w[target] * keep).sum(), smooth.sum() / keep.sum()
    elif reduction == "sum":
        nll, smooth = nll.sum(), smooth.sum()
    return (1 - eps) * nll + eps / 3 * smooth


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", CE)
def test_cross_entropy_graphs_and_values(lib, case):
    m = _lib(lib)
    kwargs, kind, expected = CE[case]
    kwargs = {k: m.tensor(np.array(v)) if k == "weight" else v for k, v in kwargs.items()}
    x = m.tensor(_LOGITS, requires_grad=True)
    target = m.tensor(_PROBS) if kind == "probs" else m.tensor([0, 2])
    loss = m.nn.functional.cross_entropy(x, target, **kwargs)
    assert _chain(loss.grad_fn) == expected
    np.testing.assert_allclose(_arr(loss), _ce_expected(CE[case][0], kind), rtol=1e-12)
    loss.sum().backward()
    if torch is not None:
        tx = torch.tensor(_LOGITS, requires_grad=True)
        tt = torch.tensor(_PROBS) if kind == "probs" else torch.tensor([0, 2])
        tkw = {k: torch.tensor(np.array(v)) if k == "weight" else v
               for k, v in CE[case][0].items()}
        torch.nn.functional.cross_entropy(tx, tt, **tkw).sum().backward()
        np.testing.assert_allclose(_arr(x.grad), _arr(tx.grad), rtol=1e-12, atol=1e-15)


# --- bad input in pointwise and nn: PyTorch's error kind (its words where they are short) ---
def _raises(call, lib, kind, *fragments):
    with pytest.raises(kind) as info:
        call(_lib(lib))
    if lib == "al":  # PyTorch words some as its overload list; ours names the argument
        for fragment in fragments:
            assert fragment in str(info.value), str(info.value)
    return str(info.value)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
@pytest.mark.parametrize("bad", ["a", None])
def test_a_comparison_takes_a_tensor_or_a_number(lib, name, bad):
    def x(L):
        return L.tensor([1.0, 2.0])

    kind = type(bad).__name__
    _raises(lambda L: getattr(L, name)(x(L), bad), lib, TypeError,
            f"{name}(): argument 'other' (position 2) must be Tensor or Number, not {kind}")
    _raises(lambda L: getattr(L, name)(bad, x(L)), lib, TypeError,
            f"{name}(): argument 'input' (position 1) must be Tensor or Number, not {kind}")
    assert getattr(_lib(lib), name)(x(_lib(lib)), 1.5).tolist() == {
        "eq": [False, False], "ne": [True, True], "lt": [True, False],
        "le": [True, False], "gt": [False, True], "ge": [False, True]}[name]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", ["logical_and", "logical_or"])
def test_logical_and_or_take_tensors_only(lib, name):
    def x(L):
        return L.tensor([True, False])

    for bad in (1, None, "a"):  # a number is refused too, in PyTorch's words
        message = _raises(lambda L, b=bad: getattr(L, name)(x(L), b), lib, TypeError)
        assert message == (f"{name}(): argument 'other' (position 2) must be Tensor, "
                           f"not {type(bad).__name__}")
    message = _raises(lambda L: getattr(L, name)(1, x(L)), lib, TypeError)
    assert message == f"{name}(): argument 'input' (position 1) must be Tensor, not int"


@pytest.mark.parametrize("lib", LIBS)
def test_where_alone_is_the_indices_where_it_holds(lib):
    L = _lib(lib)
    c = L.tensor([[0, 3], [5, 0]])  # any dtype: nonzero(as_tuple=True)
    rows, cols = L.where(c)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert str(rows.dtype).endswith("int64")
    assert [t.tolist() for t in L.where(L.tensor([False, True, True]))] == [[1, 2]]


@pytest.mark.parametrize("lib", LIBS)
def test_where_refuses_none_and_a_missing_other(lib):
    def x(L):
        return L.tensor([1.0, -1.0])

    _raises(lambda L: L.where(x(L) > 0, x(L), None), lib, TypeError, "where()")
    _raises(lambda L: L.where(x(L) > 0, None, x(L)), lib, TypeError, "where()")
    _raises(lambda L: L.where(x(L) > 0, x(L)), lib, TypeError, "where()")
    _raises(lambda L: L.where([True]), lib, TypeError,
            "where(): argument 'condition' (position 1) must be Tensor, not list")
    assert _lib(lib).where(x(_lib(lib)) > 0, x(_lib(lib)), 0.0).tolist() == [1.0, 0.0]


@pytest.mark.parametrize("lib", LIBS)
def test_gelu_approximate_must_be_a_str(lib):
    message = _raises(lambda L: L.nn.functional.gelu(L.tensor([1.0]), approximate=1), lib,
                      TypeError)
    assert message == "gelu(): argument 'approximate' must be str, not int"


@pytest.mark.parametrize("lib", LIBS)
def test_dropout_p_must_be_a_number_and_the_input_a_float(lib):
    L = _lib(lib)
    F = L.nn.functional
    for bad in ("a", None, [0.5]):
        _raises(lambda L, b=bad: L.nn.functional.dropout(L.tensor([1.0]), b), lib, TypeError,
                f"dropout(): argument 'p' must be float, not {type(bad).__name__}")
    for dtype, name in ((L.int64, "Long"), (L.bool, "Bool")):
        message = _raises(lambda L, d=dtype: L.nn.functional.dropout(L.ones(2, dtype=d), 0.5),
                          lib, RuntimeError)
        assert message == f"result type Float can't be cast to the desired output type {name}"
    # in eval mode, or with p = 0, dropout returns its input whatever its dtype (as PyTorch)
    i = L.tensor([1, 2])
    assert F.dropout(i, 0.5, training=False) is i and F.dropout(i, 0.0) is i


@pytest.mark.parametrize("lib", LIBS)
def test_binary_cross_entropy_target_has_the_input_dtype(lib):
    L = _lib(lib)
    bce = L.nn.functional.binary_cross_entropy
    message = _raises(lambda L: bce(L.tensor([0.5, 0.25]), L.tensor([1, 0])), lib, RuntimeError)
    assert message == "Found dtype Long but expected Float"
    # the dtype is checked before the values (an input above one)
    message = _raises(lambda L: bce(L.tensor([0.5, 1.5]), L.tensor([1, 0])), lib, RuntimeError)
    assert message == "Found dtype Long but expected Float"
    message = _raises(lambda L: bce(L.tensor([0.5], dtype=L.float64), L.tensor([1.0])), lib,
                      RuntimeError)
    assert message == "Found dtype Float but expected Double"


@pytest.mark.parametrize("lib", LIBS)
def test_sgn_and_the_softmax_methods_exist_as_in_pytorch(lib):
    L = _lib(lib)
    x = L.tensor([[-2.0, 0.0, 3.0]], requires_grad=True)
    assert x.sgn().tolist() == L.sgn(x).tolist() == [[-1.0, 0.0, 1.0]]
    assert x.sgn().grad_fn.name() == "SgnBackward0"
    assert x.softmax(1).grad_fn.name() == "SoftmaxBackward0"
    assert x.log_softmax(dim=-1).grad_fn.name() == "LogSoftmaxBackward0"
    assert abs(x.softmax(1).sum().item() - 1.0) < 1e-6
