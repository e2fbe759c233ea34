"""Small random autograd programs, run the same way in autograd_lab and in PyTorch.

A program is a list of statements over a growing list of named tensors (``t0`` ... ``tN``).
It starts from three leaves: ``t0`` (2x3) and ``t1`` (3,) that require grad, and ``t2``
(2x1) that does not. Every statement names its operands by index, taken modulo the number
of tensors so far, so every program is valid to run. A statement is one of:

* ``op``: an entry of ``OPS`` (pointwise, reductions, views), written once for both
  libraries as ``lambda L, x, y: ...`` where ``L`` is the library module;
* ``inplace``: an in-place op (``INPLACE``) on a view (``VIEWS``) of a tensor, or on the
  tensor itself;
* ``retain_grad``, ``hook`` (a tensor hook that records the gradients it sees),
  ``backward`` (of ``t.sum()``, graph retained or not), ``grad`` (``autograd.grad`` of
  ``t.sum()`` w.r.t. the leaves, with ``create_graph`` or not: its results join the
  tensors, so later statements differentiate them again: second order).

``run(program, L)`` executes a program and returns a trace: per statement, the value,
dtype, ``requires_grad``, ``_version`` and ``grad_fn`` name chain of what it made, or the
type of the exception it raised (the program goes on without it); at the end the leaves'
``.grad``, the retained gradients, what each hook saw, and every tensor's ``_version``.
``compare(trace_a, trace_b)`` returns the first difference as a sentence, or None.
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import strategies as st

# ---- the tables, written once for both libraries --------------------------------------
UNARY = {
    "exp": lambda L, x: L.exp(x),
    "sin": lambda L, x: L.sin(x),
    "tanh": lambda L, x: L.tanh(x),
    "sigmoid": lambda L, x: L.sigmoid(x),
    "relu": lambda L, x: L.relu(x),
    "neg": lambda L, x: L.neg(x),
    "abs": lambda L, x: L.abs(x),
    "square": lambda L, x: x * x,
    "pow3": lambda L, x: x ** 3,
    "log1p_abs": lambda L, x: L.log1p(x.abs()),
    "sqrt": lambda L, x: L.sqrt(x),
    "clamp": lambda L, x: L.clamp(x, -0.5, 0.5),
    "scale": lambda L, x: x * 2.5,
    "radd": lambda L, x: 1.0 + x,
    "rdiv": lambda L, x: 1.0 / (x * x + 1.0),
    "clone": lambda L, x: x.clone(),
    "detach": lambda L, x: x.detach(),
    # reductions
    "sum": lambda L, x: x.sum(),
    "sum0": lambda L, x: x.sum(0),
    "sum_last_keep": lambda L, x: x.sum(-1, keepdim=True),
    "mean": lambda L, x: x.mean(),
    "mean0": lambda L, x: x.mean(0),
    "amax": lambda L, x: x.amax(),
    "max0": lambda L, x: x.max(0)[0],
    "prod": lambda L, x: x.prod(),
    "norm": lambda L, x: x.norm(),
    "logsumexp0": lambda L, x: L.logsumexp(x, 0),
    "cumsum0": lambda L, x: L.cumsum(x, 0),
    "var": lambda L, x: x.var(),
    # views
    "T": lambda L, x: x.t(),
    "transpose": lambda L, x: x.transpose(0, -1),
    "reshape_flat": lambda L, x: x.reshape(-1),
    "view_flat": lambda L, x: x.view(-1),
    "unsqueeze0": lambda L, x: x.unsqueeze(0),
    "squeeze": lambda L, x: x.squeeze(),
    "select0": lambda L, x: x[0],
    "slice": lambda L, x: x[1:],
    "narrow": lambda L, x: x.narrow(-1, 0, 1),
    "expand": lambda L, x: x.expand(2, *x.shape),
    "flatten": lambda L, x: x.flatten(),
    "diagonal": lambda L, x: x.diagonal(),
    "index_list": lambda L, x: x[[0, 0]],
}
BINARY = {
    "add": lambda L, x, y: L.add(x, y),
    "sub": lambda L, x, y: x - y,
    "mul": lambda L, x, y: L.mul(x, y),
    "div": lambda L, x, y: x / (y * y + 1.0),
    "maximum": lambda L, x, y: L.maximum(x, y),
    "where": lambda L, x, y: L.where(x > y, x, y),
    "matmul": lambda L, x, y: L.matmul(x, y),
    "cat": lambda L, x, y: L.cat([x, y]),
    "stack": lambda L, x, y: L.stack([x, y]),
}
OPS = {**{k: (1, f) for k, f in UNARY.items()}, **{k: (2, f) for k, f in BINARY.items()}}

VIEWS = {
    "self": lambda x: x,
    "select0": lambda x: x[0],
    "slice": lambda x: x[:1],
    "T": lambda x: x.t(),
    "view_flat": lambda x: x.view(-1),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "diagonal": lambda x: x.diagonal(),
}
INPLACE = {
    "mul_": lambda v, y: v.mul_(2.0),
    "add_": lambda v, y: v.add_(1.5),
    "add_t": lambda v, y: v.add_(y),
    "mul_t": lambda v, y: v.mul_(y),
    "exp_": lambda v, y: v.exp_(),
    "sigmoid_": lambda v, y: v.sigmoid_(),
    "zero_": lambda v, y: v.zero_(),
    "copy_": lambda v, y: v.copy_(y),
    "clamp_": lambda v, y: v.clamp_(-0.5, 0.5),
}

TAKES_Y = ("add_t", "mul_t", "copy_")  # the in-place ops with a tensor input
BOOKKEEPING = ("grad_made", "grad_graphs", "inplace_targets", "inplace", "grad_alias",
               "outputs", "hook_targets", "stale_views")

# ---- the strategies ---------------------------------------------------------------------
_index = st.integers(0, 1000)


def statements():
    return st.one_of(
        st.tuples(st.just("op"), st.sampled_from(sorted(OPS)), _index, _index),
        st.tuples(st.just("op"), st.sampled_from(sorted(OPS)), _index, _index),
        st.tuples(st.just("inplace"), st.sampled_from(sorted(VIEWS)),
                  st.sampled_from(sorted(INPLACE)), _index, _index),
        st.tuples(st.just("retain_grad"), _index),
        st.tuples(st.just("hook"), _index),
        st.tuples(st.just("backward"), _index, st.booleans()),
        st.tuples(st.just("grad"), _index, st.booleans()),
    )


def programs(min_size: int = 3, max_size: int = 25):
    return st.tuples(st.integers(0, 2**31 - 1),
                     st.lists(statements(), min_size=min_size, max_size=max_size))


# ---- showing a program as code ----------------------------------------------------------
def source(program) -> str:
    """The program as Python (with ``L`` the library), for failure reports."""
    seed, stmts = program
    lines = [f"# seed {seed}: t0 = leaf (2, 3), t1 = leaf (3,), t2 = constant (2, 1)"]
    n = 3
    for k, s in enumerate(stmts):
        kind = s[0]
        if kind == "op":
            _, name, i, j = s
            arity = OPS[name][0]
            args = f"t{i % n}" + (f", t{j % n}" if arity == 2 else "")
            lines.append(f"[{k}] t{n} = {name}({args})")
            n += 1
        elif kind == "inplace":
            _, view, op, i, j = s
            lines.append(f"[{k}] t{n} = view_{view}(t{i % n}); t{n}.{op}(t{j % n})")
            n += 1
        elif kind == "grad":
            _, i, cg = s
            lines.append(f"[{k}] g = autograd.grad(t{i % n}.sum(), [t0, t1], create_graph={cg}, "
                         "allow_unused=True, retain_graph=True) -> new tensors for non-None")
            n += 2  # may be fewer at run time; indices in the report are approximate then
        elif kind == "backward":
            _, i, keep = s
            lines.append(f"[{k}] t{i % n}.sum().backward(retain_graph={keep})")
        else:
            lines.append(f"[{k}] {kind}(t{s[1] % n})")
    return "\n".join(lines)


# ---- the interpreter ---------------------------------------------------------------------
def _category(exc: BaseException) -> str:
    for t in type(exc).__mro__:
        if t in (IndexError, TypeError, ValueError, RuntimeError, NotImplementedError):
            return t.__name__
    return type(exc).__name__


def _zero_tensor(t) -> bool:
    """PyTorch's ZeroTensor: a gradient its formula knows is zero (SgnBackward0's of a real
    tensor, for one) holds no memory; reading it as NumPy needs ``force=True``."""
    return getattr(t, "_is_zerotensor", None) is not None and t._is_zerotensor()


def _np(t):
    t = t.detach()
    if _zero_tensor(t):
        return np.zeros(tuple(t.shape))
    return np.array(t.numpy(), copy=True)


def _name(fn) -> str:
    return fn.name().removeprefix("torch::autograd::")  # PyTorch's C++ nodes say where they live


FORMULA_GRAPH = " [create_graph]"  # marks the grad_fn of a gradient autograd.grad made
# marks the grad_fn of a stale view: a view whose shared version counter changed after the
# view was made (through it, its base or another view of its base). That is exactly when
# PyTorch regenerates the view's grad_fn, as one AsStridedBackward0 over the base's current
# grad_fn; autograd_lab replays the view's own ops there instead (docs/fuzzing.md).
STALE_VIEW = " [stale view]"


def _chain(fn, depth: int = 8, marks=None):
    """``grad_fn`` as nested ``(name, next chains)``; a node with no next functions, or
    one at the depth limit, is just its name. ``cut`` trims it further for comparing.
    ``marks`` maps node ids to a suffix for the node's name: ``FORMULA_GRAPH`` for the
    grad_fns of the gradients ``autograd.grad`` returned with ``create_graph=True`` (the
    top of a graph the derivative formulas recorded), ``STALE_VIEW`` for the grad_fn a
    stale view had when the interpreter (or the statement) read it."""
    if fn is None:
        return None
    name = _name(fn) + (marks or {}).get(id(fn), "")
    if depth == 0 or not fn.next_functions:
        return name
    return (name, tuple(_chain(n, depth - 1, marks) for n, _ in fn.next_functions))


def cut(chain, depth: int = 6):
    """``chain`` down to ``depth`` levels (deeper nodes by name only)."""
    if not isinstance(chain, tuple):
        return chain
    if depth == 0:
        return chain[0]
    return (chain[0], tuple(cut(c, depth - 1) for c in chain[1]))


def _memory(t) -> np.ndarray:
    """The tensor's memory as a NumPy array (no copy): PyTorch's strides, in bytes. A
    ZeroTensor has none: a new array (sharing nothing) stands for it."""
    if _zero_tensor(t):
        return np.zeros(tuple(t.shape))
    return t.detach().numpy()


def node_names(fn) -> frozenset:
    """The names of the nodes of the graph behind ``fn``."""
    names, seen, stack = set(), set(), [fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        names.add(_name(fn))
        stack.extend(f for f, _ in fn.next_functions)
    return frozenset(names)


def _broadcast(a: np.ndarray) -> bool:
    """Read-only memory, or elements that repeat one memory location (stride 0)."""
    return not a.flags.writeable or any(
        stride == 0 and n > 1 for n, stride in zip(a.shape, a.strides, strict=True))


def _dense(a: np.ndarray) -> bool:
    """PyTorch's is_non_overlapping_and_dense: the elements fill a block of memory once."""
    expected = a.itemsize
    pairs = zip(a.strides, a.shape, strict=True)
    for stride, size in sorted((stride, n) for stride, n in pairs if n != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def overlap(a: np.ndarray, b: np.ndarray) -> str:
    """PyTorch's get_overlap_status of two tensors' memories (as ``_memory`` gives them):
    "full" (the same elements, laid out alike), "partial", "no", or "too hard" (one of
    them is not dense). An in-place op refuses an input that overlaps its output partially."""
    if a.size == 0 or b.size == 0:
        return "no"
    if not (_dense(a) and _dense(b)):
        return "too hard"
    a0, b0 = a.__array_interface__["data"][0], b.__array_interface__["data"][0]
    a1, b1 = a0 + a.nbytes, b0 + b.nbytes
    if (a0, a1) == (b0, b1):
        return "full" if a.strides == b.strides else "partial"
    return "partial" if a0 < b1 and b0 < a1 else "no"


def _describe(t, marks=None):
    return {"value": _np(t), "dtype": str(t.dtype).split(".")[-1], "shape": tuple(t.shape),
            "requires_grad": t.requires_grad, "version": t._version,
            "grad_fn": _chain(t.grad_fn, marks=marks), "is_leaf": t.is_leaf}


def run(program, L):
    """Execute ``program`` with library ``L`` (autograd_lab or torch); return its trace."""
    seed, stmts = program
    rng = np.random.default_rng(seed)
    env = [L.tensor(rng.uniform(-2, 2, (2, 3)), dtype=L.float64, requires_grad=True),
           L.tensor(rng.uniform(-2, 2, (3,)), dtype=L.float64, requires_grad=True),
           L.tensor(rng.uniform(-2, 2, (2, 1)), dtype=L.float64)]
    leaves = env[:2]
    retained, hooks, steps, targets, hook_targets = [], [], [], {}, []
    grad_made, graphs, inplace, outputs = {}, {}, {}, {}  # bookkeeping for classifying
    marked, marks = [], {}  # see _chain (the nodes are kept alive: ids stay theirs)
    view_made = {}  # id of a view -> (the view, kept alive: its id stays its own, the
    #                  value of its version counter when it was made)

    def made(t):
        if t._base is not None:  # a view: when is its grad_fn regenerated (STALE_VIEW)?
            view_made.setdefault(id(t), (t, t._version))  # "self" views: the same tensor

    def stale(t) -> bool:
        return id(t) in view_made and t._version != view_made[id(t)][1]

    def mark_stale(*ts):
        """Mark the grad_fn of each stale view among ``ts``, read before the statement
        reads it (the same node: its version does not change in between)."""
        for t in ts:
            if stale(t):
                try:
                    fn = t.grad_fn
                except Exception:  # noqa: BLE001 - a view PyTorch will not regenerate
                    continue
                if fn is not None and STALE_VIEW not in marks.get(id(fn), ""):
                    marked.append(fn)
                    marks[id(fn)] = marks.get(id(fn), "") + STALE_VIEW

    def describe(t):
        mark_stale(t)
        return _describe(t, marks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, s in enumerate(stmts):
            kind = s[0]
            try:
                if kind == "op":
                    _, name, i, j = s
                    arity, f = OPS[name]
                    x, y = env[i % len(env)], env[j % len(env)]
                    mark_stale(x, y)
                    out = f(L, x) if arity == 1 else f(L, x, y)
                    made(out)
                    env.append(out)
                    outputs[k] = len(env) - 1
                    steps.append((k, "ok", describe(out)))
                elif kind == "inplace":
                    _, view, op, i, j = s
                    x, y = env[i % len(env)], env[j % len(env)]
                    targets[k] = i % len(env)
                    inplace[k] = {
                        "on_grad": any(np.may_share_memory(_memory(x), _memory(env[n]))
                                       for n in grad_made),
                        "broadcast": _broadcast(_memory(x)),
                        "overlap": None,
                    }
                    mark_stale(x, y)
                    v = VIEWS[view](x)
                    made(v)
                    inplace[k]["zero_tensor"] = _zero_tensor(v)
                    if op in TAKES_Y:
                        inplace[k]["overlap"] = overlap(_memory(v), _memory(y))
                    INPLACE[op](v, y)
                    env.append(v)
                    outputs[k] = len(env) - 1
                    steps.append((k, "ok", describe(v), describe(x)))
                elif kind == "retain_grad":
                    t = env[s[1] % len(env)]
                    mark_stale(t)
                    t.retain_grad()
                    retained.append(s[1] % len(env))
                    steps.append((k, "ok"))
                elif kind == "hook":
                    t = env[s[1] % len(env)]
                    mark_stale(t)
                    # PyTorch 2.x crashes (segfault) in register_hook on a view that is stale
                    # since a sibling view changed their base in place; reading grad_fn first
                    # regenerates the view's history, as register_hook would (both libraries)
                    t.grad_fn  # noqa: B018
                    seen = []
                    hooks.append(seen)
                    hook_targets.append(s[1] % len(env))
                    t.register_hook(lambda g, seen=seen: seen.append(_np(g)))
                    steps.append((k, "ok"))
                elif kind == "backward":
                    _, i, keep = s
                    mark_stale(env[i % len(env)])
                    env[i % len(env)].sum().backward(retain_graph=keep)
                    steps.append((k, "ok"))
                elif kind == "grad":
                    _, i, cg = s
                    mark_stale(env[i % len(env)])
                    out = env[i % len(env)].sum()
                    graphs[k] = node_names(out.grad_fn)
                    gs = L.autograd.grad(out, leaves, create_graph=cg,
                                         allow_unused=True, retain_graph=True)
                    new = [g for g in gs if g is not None]
                    grad_made.update(dict.fromkeys(range(len(env), len(env) + len(new)), k))
                    env.extend(new)
                    for g in new:
                        made(g)
                        if g.grad_fn is not None:
                            marked.append(g.grad_fn)
                            marks[id(g.grad_fn)] = FORMULA_GRAPH
                    steps.append((k, "ok", tuple(describe(g) for g in new)))
            except Exception as exc:  # noqa: BLE001 - where and what kind is the result
                steps.append((k, "raised", _category(exc)))
        final = {
            "leaf_grads": [None if t.grad is None else _np(t.grad) for t in leaves],
            "retained": [(i, None if env[i].grad is None else _np(env[i].grad))
                         for i in retained],
            "hooks": hooks,
            "versions": [t._version for t in env],
        }
    final["grad_made"] = grad_made  # tensor -> the grad statement that returned it
    final["grad_graphs"] = graphs  # grad statement -> names of the nodes it went through
    final["inplace_targets"] = targets  # statement -> the tensor an in-place op was on
    final["inplace"] = inplace  # in-place statement -> what its memory shared (see run)
    # tensor -> the grad statement whose result it shares memory with (a gradient, a view
    # of one), for every tensor that does
    final["grad_alias"] = {n: k for n, t in enumerate(env) for g, k in grad_made.items()
                           if np.may_share_memory(_memory(t), _memory(env[g]))}
    final["outputs"] = outputs  # op or in-place statement -> the tensor it made
    final["hook_targets"] = hook_targets  # the tensor each hook is on
    final["stale_views"] = {n for n, t in enumerate(env) if stale(t)}  # see STALE_VIEW
    return {"steps": steps, "final": final}


# ---- comparing two traces ----------------------------------------------------------------
def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.shape == b.shape and np.allclose(a, b, rtol=1e-7, atol=1e-9, equal_nan=True)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _all(a, b, path: str):
    """Every difference between ``a`` and ``b`` as ``(path, a_part, b_part)``, in order."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for k in a:
            if k == "grad_fn":  # one chain is one difference, not one per node below it
                if cut(a[k]) != cut(b[k]):
                    yield (f"{path}.{k}", a[k], b[k])
                continue
            yield from _all(a[k], b[k], f"{path}.{k}")
        return
    if (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
            and not isinstance(a, np.ndarray)):
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _all(x, y, f"{path}[{n}]")
        return
    if not _same(a, b):
        yield (path, a, b)


def differences(ours, theirs):
    """Every difference between two traces as ``(where, ours, theirs)``, in program order.
    ``where`` is like ``steps[4].grad_fn[0]`` (what statement 4 made) or
    ``final.leaf_grads[0]``."""
    yield from _all(ours["steps"], theirs["steps"], "steps")
    skip = BOOKKEEPING  # for classifying differences, not results
    yield from _all({k: v for k, v in ours["final"].items() if k not in skip},
                    {k: v for k, v in theirs["final"].items() if k not in skip}, "final")


def compare(ours, theirs):
    """The first difference between two traces, or None."""
    return next(differences(ours, theirs), None)
