"""Exercises of notebook 05 (in-place ops and views: version counters, CopySlices)."""

from __future__ import annotations

import numpy as np

from ._compare import compare
from ._registry import Wrong, exercise


def _rng(exercise_id: str) -> np.random.Generator:
    """Seeded per exercise: the same inputs on every run, different from the notebook's."""
    return np.random.default_rng(sum(map(ord, exercise_id)))


def _answer_dict(answer, names: tuple[str, ...], what: str) -> dict:
    """The learner's dict, or ``Wrong`` saying which names are missing or extra."""
    if not isinstance(answer, dict):
        raise Wrong(f"{what} should be a dict with keys {', '.join(names)}, got "
                    f"{type(answer).__name__}")
    missing = [n for n in names if n not in answer]
    extra = [n for n in answer if n not in names]
    if missing or extra:
        said = (f"missing {', '.join(map(repr, missing))}" if missing else
                f"unexpected {', '.join(map(repr, extra))}")
        raise Wrong(f"{what} should have exactly the keys {', '.join(names)}: {said}")
    return answer


def _version_program() -> dict:
    """The notebook's program for 05.1, run for real: each tensor's ``_version``."""
    import autograd_lab as al

    a = al.tensor([1.0, 2.0, 3.0, 4.0])
    b = a.view(2, 2)
    c = a * 2
    a.add_(1)
    b[0].mul_(3)
    c.sub_(1)
    d = b.t()
    d[1, 1] = 0.0
    return {"a": a._version, "b": b._version, "c": c._version, "d": d._version}


_VERSION_HINTS = {
    "a": "b[0].mul_ and d[1, 1] = ... write into a's memory through views of a: they count "
         "for a too",
    "b": "b is a view of a: it shares a's version counter, so a.add_ counts for b too",
    "c": "c = a * 2 is a new tensor with its own counter: only c.sub_ changes it",
    "d": "d is made late, but a view does not start at 0: it shares a's counter, with "
         "everything already counted",
}


@exercise("05.1", "predict the version counters")
def check_versions(versions) -> str:
    """``versions``: a dict ``{"a": int, "b": int, "c": int, "d": int}``."""
    answer = _answer_dict(versions, ("a", "b", "c", "d"), "versions")
    expected = _version_program()
    for name, want in expected.items():
        got = answer[name]
        if not isinstance(got, int | np.integer) or isinstance(got, bool):
            raise Wrong(f"versions[{name!r}] should be an int, got {type(got).__name__}")
        if got != want:
            raise Wrong(f"versions[{name!r}] is {got}, but {name}._version is not "
                        f"{got}: {_VERSION_HINTS[name]}")
    return (f"right: a, b and d share one counter ({expected['a']} in-place writes), "
            f"c has its own ({expected['c']})")


@exercise("05.2", "fix the in-place error")
def check_softplus(softplus_sum) -> str:
    """``softplus_sum(x) -> loss``: ``log(exp(x) + 1).sum()``, whose backward must not
    raise and must give ``x.grad = sigmoid(x)``."""
    import autograd_lab as al

    rng = _rng("05.2")
    for k in range(1, 4):
        values = rng.uniform(-3.0, 3.0, 5)
        x = al.tensor(values, dtype=al.float64, requires_grad=True)
        loss = softplus_sum(x)
        if loss is None:
            raise NotImplementedError
        if not isinstance(loss, al.Tensor):
            raise Wrong(f"softplus_sum should return a tensor, got {type(loss).__name__}")
        compare(loss, np.log1p(np.exp(values)).sum(), f"case {k}: the loss's value")
        if not loss.requires_grad:
            raise Wrong(f"case {k}: the loss does not require grad: did you detach, or "
                        "compute under no_grad()? The gradient must flow back to x")
        try:
            loss.backward()
        except RuntimeError as err:
            if "modified by an inplace operation" in str(err):
                raise Wrong(f"case {k}: backward still raises the in-place error: the "
                            "result of exp() is saved by ExpBackward0; add 1 out of place "
                            "(or clone() before the +=), and know that no_grad() does not "
                            "help: the write still bumps the version") from None
            raise
        if x.grad is None:
            raise Wrong(f"case {k}: x.grad is None after backward: the loss is not "
                        "computed from x through the graph (was something detached?)")
        compare(x.grad, 1 / (1 + np.exp(-values)), f"case {k}: x.grad",
                mistakes=[(np.exp(values), "the gradient skipped log: did you detach the "
                                           "sum exp(x) + 1 somewhere?")])
    return "fixed: no in-place write to a saved tensor, and x.grad = sigmoid(x)"


_VIEW_NAMES = ("t", "r", "v", "s", "c", "p")


def _view_program() -> dict:
    """The notebook's program for 05.3: the name of each tensor's ``_base`` (or None)."""
    import autograd_lab as al

    a = al.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    t = a.t()
    r = t.reshape(6)
    v = a.view(6)
    s = v[2:4]
    c = a.clone()
    p = t.contiguous()
    names = {"a": a, "t": t, "r": r, "v": v, "s": s, "c": c, "p": p}
    return {n: next((m for m, y in names.items() if y is names[n]._base), None)
            for n in _VIEW_NAMES}


_VIEW_HINTS = {
    ("s", "v"): "s is a view of a view: its _base is the root, the tensor that owns the "
                "memory (as in PyTorch)",
    ("r", "t"): "t is not contiguous, so t.reshape(6) cannot be a view: it copies",
    ("r", "a"): "t is not contiguous, so t.reshape(6) cannot be a view: it copies",
    ("p", "t"): "contiguous() of a non-contiguous tensor copies into new memory",
    ("p", "a"): "contiguous() of a non-contiguous tensor copies into new memory",
    ("c", "a"): "clone() always copies",
    ("t", None): "a.t() only swaps strides: it is a view of a",
    ("v", None): "a.view(6) reads the same memory: it is a view of a",
    ("s", None): "slicing never copies: s is a view",
}


@exercise("05.3", "which tensors are views of which")
def check_views(bases) -> str:
    """``bases``: a dict from each of ``t, r, v, s, c, p`` to the name of its ``_base``
    (``"a"``, ...) or ``None`` when it owns its memory."""
    answer = _answer_dict(bases, _VIEW_NAMES, "bases")
    expected = _view_program()
    for name in _VIEW_NAMES:
        got, want = answer[name], expected[name]
        if got != want:
            hint = _VIEW_HINTS.get((name, got), "")
            raise Wrong(f"bases[{name!r}] is {got!r}, but {name}._base is "
                        f"{'None' if want is None else want}" + (f": {hint}" if hint else ""))
    n_views = sum(v is not None for v in expected.values())
    return f"right: {n_views} views, all of a; the others own their memory"
