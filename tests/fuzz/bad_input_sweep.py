"""A sweep of the public API with bad inputs, compared with PyTorch when it is installed.

Every function of ``autograd_lab.__all__``, the Tensor methods of the API, ``al.nn.functional``
and ``al.autograd``'s ``grad``/``backward`` are called with bad arguments (a string, None, a
list where a tensor is needed, an int64 tensor where a float one is, a tensor of the wrong
shape) in each argument position the sweep tries. Each call is put in one group:

* ``clear``: refused with TypeError/ValueError/RuntimeError/IndexError/NotImplementedError
  and a message that is not Python's or NumPy's internals;
* ``unclear``: another exception type (AttributeError, ZeroDivisionError, ...) or a message
  with internals ("'str' object has no attribute", "<U1", "dtype object", ...);
* ``accepted where PyTorch refuses``; ``refused where PyTorch accepts`` (with a clear error,
  but still a difference: a program that runs in PyTorch must run here); ``both accept``.

Without PyTorch only the first two groups are told apart (``accepted``: not compared); a
function PyTorch does not have (``al.sum_to_size``) is not compared either. The binary
operators are tried as operators (``x + bad``, see ``OPERATORS``).

Run ``python -m tests.fuzz.bad_input_sweep`` (from the repository root) for the tally and the
list of problems; tests/test_bad_inputs.py checks it against its known list.
"""

from __future__ import annotations

import collections
import dataclasses
import operator
import re
import warnings

import numpy as np

import autograd_lab as al

try:
    import torch
except ImportError:  # the sweep still classifies autograd_lab's errors
    torch = None

CLEAR_TYPES = (TypeError, ValueError, RuntimeError, IndexError, NotImplementedError)
INTERNALS = re.compile(
    r"object has no attribute|<U\d|dtype object|has no identity|"
    r"object is not (subscriptable|iterable|callable)|cannot be interpreted as an integer|"
    r"ufunc|not supported between instances of '(?!Tensor')|division by zero|unhashable type|"
    r"only integer scalar arrays|numpy\.|_data\b")

# (Python's own "'<' not supported between instances of 'Tensor' and 'str'" for ``x < "a"``
# names the user's operands and is PyTorch's message too: it is clear; the same words about
# two other types, "'str' and 'int'", come from inside a function and are not.)

# Bad values, as functions of the library (so that tensors exist in both).
BAD = {
    "str": lambda L: "x",
    "None": lambda L: None,
    "list": lambda L: [1.0, 2.0],
    "int64 tensor": lambda L: L.ones(2, 3, dtype=L.int64),
    "wrong shape": lambda L: L.ones(5, 7),
}

# Functions of ``al.__all__`` left out: classes, modules, and functions that take no tensor.
SKIP = {"Tensor", "dtype", "float32", "float64", "int64", "bool", "double", "float", "long",
        "autograd", "library", "ops", "special", "nn", "optim", "no_grad", "enable_grad",
        "inference_mode", "get_default_dtype", "is_grad_enabled", "is_inference_mode_enabled"}

METHODS = ("add sub mul div neg pow exp log sqrt abs sigmoid relu clamp sum mean prod var std "
           "max min amax amin argmax argmin logsumexp norm cumsum matmul mm bmm dot outer t "
           "transpose permute reshape view flatten squeeze unsqueeze expand expand_as "
           "broadcast_to repeat tile flip roll narrow select split chunk unbind gather scatter "
           "index_select masked_fill masked_select fill_ copy_ triu tril diagonal backward "
           "register_hook to size item retain_grad requires_grad_ add_ mul_ __getitem__ "
           "__setitem__ __add__ __mul__ __matmul__ __pow__ __truediv__ __eq__ __lt__ type_as "
           "movedim cumprod "
           "where sub_ div_ pow_ clamp_ masked_fill_").split()

# The binary operators are tried as operators: Python calls ``Tensor.__add__``, which in
# PyTorch *returns* NotImplemented for a str, None or a list (so that the other operand may
# answer), and only then raises TypeError. Calling the dunder by hand would count that
# protocol step as "accepted".
OPERATORS = {"__add__": (operator.add, "+"), "__mul__": (operator.mul, "*"),
             "__matmul__": (operator.matmul, "@"), "__pow__": (operator.pow, "**"),
             "__truediv__": (operator.truediv, "/"), "__eq__": (operator.eq, "=="),
             "__lt__": (operator.lt, "<")}

FUNCTIONAL = ("relu gelu silu softplus softmax log_softmax cross_entropy nll_loss mse_loss "
              "binary_cross_entropy linear conv1d conv2d max_pool2d avg_pool2d dropout "
              "layer_norm embedding pad").split()


@dataclasses.dataclass
class Call:
    label: str
    run: object  # run(L) -> result, raising as the library does


def _x(L):
    return L.ones(2, 3, requires_grad=True) * 1.0


def calls():
    """Every call of the sweep."""
    out = []
    for name in sorted(al.__all__):
        if name in SKIP or not callable(getattr(al, name)):
            continue
        for bad in BAD:
            out.append(Call(f"al.{name}({bad})",
                            lambda L, n=name, b=bad: getattr(L, n)(BAD[b](L))))
            out.append(Call(f"al.{name}(x, {bad})",
                            lambda L, n=name, b=bad: getattr(L, n)(_x(L), BAD[b](L))))
    for name in METHODS:
        for bad in BAD:
            if name in OPERATORS:  # ``x + bad``, as a user writes it (see OPERATORS)
                out.append(Call(f"x {OPERATORS[name][1]} {bad}",
                                lambda L, n=name, b=bad: OPERATORS[n][0](_x(L), BAD[b](L))))
                continue
            out.append(Call(f"x.{name}({bad})",
                            lambda L, n=name, b=bad: getattr(_x(L), n)(BAD[b](L))))
    for name in FUNCTIONAL:
        for bad in BAD:
            out.append(Call(f"F.{name}({bad})",
                            lambda L, n=name, b=bad: getattr(L.nn.functional, n)(BAD[b](L))))
            out.append(Call(f"F.{name}(x, {bad})",
                            lambda L, n=name, b=bad: getattr(L.nn.functional, n)(
                                _x(L), BAD[b](L))))
    for bad in BAD:
        out.append(Call(f"autograd.grad({bad}, x)",
                        lambda L, b=bad: L.autograd.grad(BAD[b](L), _x(L))))
        out.append(Call(f"autograd.grad(x.sum(), {bad})",
                        lambda L, b=bad: L.autograd.grad(_x(L).sum(), BAD[b](L))))
        out.append(Call(f"autograd.backward({bad})",
                        lambda L, b=bad: L.autograd.backward(BAD[b](L))))
    return out


def _outcome(call, L):
    """``None`` when accepted, else the exception."""
    default = L.get_default_dtype()
    try:
        with L.enable_grad(), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            call.run(L)
        return None
    except Exception as exc:  # noqa: BLE001 - what was raised is the result
        return exc
    finally:
        L.set_default_dtype(default)


def is_clear(exc) -> bool:
    return isinstance(exc, CLEAR_TYPES) and not INTERNALS.search(str(exc))


def sweep():
    """``(tally, problems)``: counts per group, and ``(group, label, detail)`` per problem."""
    tally = collections.Counter()
    problems = []
    for call in calls():
        tally["calls tried"] += 1
        ours = _outcome(call, al)
        theirs = _outcome(call, torch) if torch is not None else "not compared"
        if isinstance(theirs, AttributeError) and str(theirs).startswith("module 'torch'"):
            theirs = "not compared"  # ours only (al.sum_to_size): PyTorch has no such function
        if ours is not None:
            if is_clear(ours):
                tally["clear errors"] += 1
                if theirs is None:
                    tally["refused where PyTorch accepts"] += 1
                    problems.append(("refused", call.label,
                                     f"{type(ours).__name__}: {str(ours)[:150]}"))
            else:
                tally["unclear errors"] += 1
                problems.append(("unclear", call.label,
                                 f"{type(ours).__name__}: {str(ours)[:150]}"))
        elif theirs is None or theirs == "not compared":
            tally["accepted (as PyTorch does)" if theirs is None else "accepted"] += 1
        else:
            tally["accepted where PyTorch refuses"] += 1
            problems.append(("accepted", call.label,
                             f"PyTorch: {type(theirs).__name__}: {str(theirs)[:150]}"))
    return tally, problems


def main() -> None:
    np.seterr(all="ignore")
    tally, problems = sweep()
    for key in ("calls tried", "clear errors", "unclear errors", "accepted where PyTorch refuses",
                "refused where PyTorch accepts", "accepted (as PyTorch does)", "accepted"):
        if key in tally or key in ("unclear errors", "accepted where PyTorch refuses"):
            print(f"{key:32s} {tally[key]}")
    for group, label, detail in problems:
        print(f"  [{group}] {label}: {detail}")


if __name__ == "__main__":
    main()
