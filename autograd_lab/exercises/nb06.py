"""Exercises of notebook 06 (hooks: tensor, node, post-accumulate, saved-tensor hooks)."""

from __future__ import annotations

import numpy as np

from ._compare import compare
from ._registry import Wrong, exercise


def _rng(exercise_id: str) -> np.random.Generator:
    """Seeded per exercise: the same inputs on every run, different from the notebook's."""
    return np.random.default_rng(sum(map(ord, exercise_id)))


@exercise("06.1", "a gradient-clipping hook")
def check_clip_hook(make_clip_hook) -> str:
    """``make_clip_hook(max_norm)`` returns a tensor hook that rescales a gradient whose
    norm exceeds ``max_norm`` to norm ``max_norm`` (and leaves smaller ones alone)."""
    import autograd_lab as al

    rng = _rng("06.1")
    cases = [(0.5, 4.0), (3.0, 0.1), (1.0, 10.0)]  # (max_norm, scale of the gradient)
    for k, (max_norm, scale) in enumerate(cases, 1):
        x = al.tensor(rng.standard_normal((2, 3)), dtype=al.float64, requires_grad=True)
        weight = rng.standard_normal((2, 3)) * scale
        hook = make_clip_hook(max_norm)
        if not callable(hook):
            raise Wrong(f"make_clip_hook({max_norm}) should return a hook (a function of the "
                        f"gradient), got {type(hook).__name__}")
        x.register_hook(hook)
        (x * al.tensor(weight)).sum().backward()
        norm = float(np.linalg.norm(weight))  # a plain number, as min() below expects
        expected = weight * min(1.0, max_norm / norm)
        clipped_each = np.clip(weight, -max_norm, max_norm)
        mistakes = [(weight, "the gradient came through unchanged: does your hook return "
                             "the clipped gradient?")]
        if not np.allclose(clipped_each, expected):
            mistakes.append((clipped_each, "each element was clipped on its own; rescale the "
                                           "whole gradient by max_norm / norm instead"))
        if norm < max_norm:
            mistakes.append((weight * max_norm / norm, "a gradient already within max_norm "
                                                       "must not be scaled up"))
        if x.grad is None:
            raise Wrong(f"case {k}: x.grad is None after backward")
        compare(x.grad, expected, f"case {k} (max_norm {max_norm}, gradient norm "
                f"{norm:.3g}): x.grad", mistakes=mistakes)
    return f"your hook clips the gradient's norm correctly in {len(cases)} cases"


HOOK_ORDER_NAMES = ("a", "b", "s", "x", "x.grad set")


def _actual_hook_order() -> list[str]:
    """The notebook's 06.2 program, run here: the order the hooks really fire."""
    import autograd_lab as al

    log: list[str] = []
    x = al.tensor([0.5, -1.0, 2.0], dtype=al.float64, requires_grad=True)
    a = x * 3
    b = x.exp()
    s = a + b
    for name, t in (("a", a), ("b", b), ("x", x), ("s", s)):
        t.register_hook(lambda grad, name=name: log.append(name))
    x.register_post_accumulate_grad_hook(lambda t: log.append("x.grad set"))
    s.sum().backward()
    return log


@exercise("06.2", "predict the order hooks fire in")
def check_hook_order(order) -> str:
    """``order``: the labels the hooks of 06.2 append, in the order they fire."""
    if not isinstance(order, list | tuple) or not all(isinstance(o, str) for o in order):
        raise Wrong(f"the answer should be a list of labels such as {list(HOOK_ORDER_NAMES)}, "
                    f"got {type(order).__name__}")
    unknown = [o for o in order if o not in HOOK_ORDER_NAMES]
    if unknown:
        raise Wrong(f"{unknown[0]!r} is not a label of this program; the labels are "
                    f"{list(HOOK_ORDER_NAMES)}")
    actual = _actual_hook_order()
    order = list(order)
    if order == actual:
        return ("right: s first, then b before a (made last, run first), x once with the "
                "summed gradient, and x.grad set last")
    if order.count("x") > 1:
        raise Wrong("x's hook fires once, not once per path: the engine adds the gradients "
                    "from a and b before x's AccumulateGrad runs its hooks")
    missing = [n for n in actual if n not in order]
    if missing:
        raise Wrong(f"{missing[0]!r} fires too: every hook registered here runs once")
    if order.index("x.grad set") < order.index("x"):
        raise Wrong("the post-accumulate hook runs after x.grad is written; x's tensor hook "
                    "runs before (it may still change the gradient)")
    if order[0] != "s":
        raise Wrong("backward starts from the output: s's gradient is known first")
    if order.index("a") < order.index("b"):
        raise Wrong("when a and b are both ready, the engine runs the node made last first "
                    "(b = x.exp() was made after a = x * 3), as PyTorch does")
    raise Wrong(f"not this order; the hooks fire in a different order than {order}")


@exercise("06.3", "a pack/unpack pair that saves in float16")
def check_pack_unpack(pack, unpack) -> str:
    """``pack(t)`` keeps a saved tensor in float16; ``unpack(packed)`` returns a tensor of
    the original dtype. Backward under the pair computes with float16-rounded values."""
    import autograd_lab as al

    rng = _rng("06.3")
    t = al.tensor(rng.standard_normal((3, 4)), dtype=al.float64)
    back = unpack(pack(t))
    if not isinstance(back, al.Tensor):
        raise Wrong(f"unpack(pack(t)) should be a tensor, got {type(back).__name__}")
    if back.shape != t.shape:
        raise Wrong(f"unpack(pack(t)) has shape {tuple(back.shape)}, expected "
                    f"{tuple(t.shape)}")
    if back.dtype != t.dtype:
        raise Wrong(f"unpack(pack(t)) has dtype {back.dtype}, expected {t.dtype}: convert "
                    "back to the dtype the tensor had when it was packed")
    exact = t.numpy()
    rounded = exact.astype(np.float16).astype(np.float64)
    compare(back, rounded, "unpack(pack(t))",
            mistakes=[(exact, "the values came back exactly: pack should keep them in "
                              "float16 (that is the compression)")], atol=0, rtol=1e-12)
    x = al.tensor(rng.standard_normal(5), dtype=al.float64, requires_grad=True)
    w = al.tensor(rng.standard_normal(5), dtype=al.float64, requires_grad=True)
    with al.autograd.graph.saved_tensors_hooks(pack, unpack):
        loss = (x * w).sum()
    loss.backward()
    w_rounded = w.detach().numpy().astype(np.float16).astype(np.float64)
    compare(x.grad, w_rounded, "x.grad of (x * w).sum() under your hooks", atol=0,
            rtol=1e-12)
    return "saved tensors go through float16 and come back with their dtype"
