"""Check gradients against finite differences: ``gradcheck`` and ``gradgradcheck``.

Reverse mode gives, for an output ``y = f(x)`` and a seed ``g``, the vector-Jacobian
product ``g^T J``. Seeding ``g`` with each one-hot vector in turn gives ``J`` row by row:
the *analytical* Jacobian, exactly what ``al.autograd.grad`` computes. The *numerical*
Jacobian comes from the definition of a derivative, one input entry at a time::

    dy/dx[k]  ~  (f(x + eps e_k) - f(x - eps e_k)) / (2 eps)

Why central differences: the one-sided quotient ``(f(x + eps) - f(x)) / eps`` is off by a
term proportional to ``eps * f''``; the symmetric one cancels that term and is off by
``eps**2 * f'''`` only, so ``eps = 1e-6`` gives about 12 correct digits instead of 6.

Why float64: the difference ``f(x + eps) - f(x - eps)`` loses every digit that the two
values share. In float32 (7 significant digits) a step of 1e-6 is a few units in the
last place, so the quotient is mostly rounding noise; in float64 (16 digits) about 10
digits survive. Inputs that require grad and are not float64 get a warning.

Why ``fast_mode``: the full Jacobian costs ``2 * n_in`` evaluations of ``f`` and
``n_out`` backward passes. Fast mode projects ``J`` onto two random directions: it
compares the number ``u^T J v`` computed analytically (one vector-Jacobian product with
``u``, dotted with ``v``) and numerically (one directional difference along ``v``, dotted
with ``u``). A wrong ``J`` almost surely gives a wrong ``u^T J v`` too. Only when they
disagree are the full Jacobians computed, to show where.

The checker uses only the public API (``al.autograd.grad``, tensors and their methods):
what it verifies is exactly what a user of the library gets.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from .engine import grad as _grad
from .function import Function

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "jacobians"]

# The random directions of fast mode and the default grad_outputs of gradgradcheck come
# from generators seeded with these, so a check gives the same verdict on every run.
_FAST_MODE_SEED = 0
_GRAD_OUTPUTS_SEED = 0


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when a check fails (a ``RuntimeError``).

    When the failure is a Jacobian mismatch, the error keeps the two Jacobians it compared,
    so they can be inspected or drawn (``al.viz.plot_jacobians(err)``):

    - ``numerical``, ``analytical``: float64 arrays of shape (output numel, input numel),
      ``J[r, c] = d output[r] / d input[c]`` with both tensors flattened in C order;
      ``numerical`` from central differences, ``analytical`` from backward passes;
    - ``output_index``, ``input_index``: the pair, counted as in the message: output ``i``
      is the ``i``-th output of ``func`` that requires grad, input ``j`` the ``j``-th input
      that requires grad.

    Every other failure (reentrancy, shapes, dtypes, undefined grads, ...) has them None.
    """

    def __init__(self, message: str, *, numerical: np.ndarray | None = None,
                 analytical: np.ndarray | None = None, output_index: int | None = None,
                 input_index: int | None = None) -> None:
        super().__init__(message)
        self.numerical = numerical
        self.analytical = analytical
        self.output_index = output_index
        self.input_index = input_index


# ---------------------------------------------------------------------------------------
# public entry points
def gradcheck(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, fast_mode: bool = False,
              masked: bool | None = None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    ``func`` takes ``*inputs`` and returns a tensor or a tuple of tensors. For every
    output ``i`` that requires grad and every input ``j`` that requires grad, the
    Jacobian block ``J[r, c] = d output_i[r] / d input_j[c]`` built by backward passes
    (``al.autograd.grad`` with one-hot ``grad_outputs``) must satisfy
    ``|analytical - numerical| <= atol + rtol * |numerical|`` elementwise, where the
    numerical Jacobian is ``(f(x + eps) - f(x - eps)) / (2 eps)``, entry by entry.

    It also checks, as PyTorch does, that:

    - backward is reentrant: two runs with the same seed agree to within ``nondet_tol``;
    - gradients have their inputs' shapes (and dtypes, with ``check_grad_dtypes``), and
      a zero ``grad_output`` gives zero gradients ("backward multiplied by grad_output");
    - with ``check_undefined_grad``, backward copes with an output whose gradient is
      undefined (``None``, as a Function with ``ctx.set_materialize_grads(False)`` sees it):
      it must return zeros or ``None``, not crash.

    Why float64: see the module docstring; an input that requires grad in another dtype
    gets a ``UserWarning`` (the check still runs, and will likely fail).
    Why ``fast_mode``: it compares ``u^T J v`` for random ``u``, ``v`` instead of ``J``
    itself (one backward pass and two evaluations of ``func`` per pair instead of one per
    entry); on a mismatch the full Jacobians are computed for the message.

    ``check_batched_grad`` and ``masked`` are accepted for PyTorch compatibility and
    ignored: autograd_lab has no ``vmap`` and no sparse tensors.

    Returns True if every check passes. A failure raises ``GradcheckError`` whose message
    shows both Jacobians side by side (a mismatch also keeps them as arrays, ``err.numerical``
    and ``err.analytical``); with ``raise_exception=False`` it returns False.

    >>> import autograd_lab as al
    >>> x = al.tensor([0.5, -1.0, 2.0], dtype=al.float64, requires_grad=True)
    >>> al.autograd.gradcheck(lambda t: (t * t).tanh(), (x,))
    True
    >>> class SloppySquare(al.autograd.Function):   # d(x*x)/dx = 2x, but we return 2.1x
    ...     @staticmethod
    ...     def forward(ctx, t):
    ...         ctx.save_for_backward(t)
    ...         return t * t
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (t,) = ctx.saved_tensors
    ...         return grad_output * 2.1 * t
    >>> al.autograd.gradcheck(SloppySquare.apply, (x,), raise_exception=False)
    False
    """
    try:
        return _gradcheck(func, _as_tuple(inputs), eps=eps, atol=atol, rtol=rtol,
                          nondet_tol=nondet_tol, check_undefined_grad=check_undefined_grad,
                          check_grad_dtypes=check_grad_dtypes, fast_mode=fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func: Callable, inputs, grad_outputs=None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check second derivatives: ``gradcheck`` applied to the gradient of ``func``.

    The function under check is ``(inputs, grad_outputs) -> al.autograd.grad(func(*inputs),
    inputs, grad_outputs, create_graph=True)``: a vector-Jacobian product, differentiated
    with respect to the inputs (that is the Hessian-like part) and to ``grad_outputs``
    (that part is ``J`` again, since the product is linear in ``grad_outputs``). It
    passes only if ``func``'s backward is itself differentiable: written with tensor ops,
    not with NumPy, ``.detach()`` or ``@once_differentiable``.

    ``grad_outputs`` defaults to one random tensor per differentiable output (uniform in
    [-1, 1), the output's dtype, ``requires_grad=True``) from a seeded generator, so the
    verdict is the same on every run; ``gen_non_contig_grad_outputs`` makes their arrays
    non-contiguous. The other arguments are ``gradcheck``'s. Output ``k`` in a failure
    message is the gradient with respect to the ``k``-th input that requires grad; the
    inputs are ``func``'s inputs followed by the ``grad_outputs``.

    >>> import autograd_lab as al
    >>> x = al.tensor([0.5, -1.0, 2.0], dtype=al.float64, requires_grad=True)
    >>> al.autograd.gradgradcheck(lambda t: t.exp() * t, (x,))
    True
    """
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(_GRAD_OUTPUTS_SEED)
        outputs = _differentiable_outputs(func(*tupled_inputs))
        tupled_grad_outputs = tuple(
            _random_grad_output(o, rng, gen_non_contig_grad_outputs) for o in outputs)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grad_outputs)
    diff_input_indices = [i for i, x in enumerate(tupled_inputs) if _requires_grad(x)]
    diff_grad_output_indices = {i for i, g in enumerate(tupled_grad_outputs)
                                if _requires_grad(g)}

    def grad_of_func(*args):
        """func's vector-Jacobian product, with a graph (create_graph=True)."""
        # gradcheck's numerical pass calls this with fresh leaves that require grad
        # wherever the original argument did, so the graph below is always recorded.
        input_args = args[:len(args) - num_outputs]
        seeds = args[len(args) - num_outputs:]
        outputs = _differentiable_outputs(func(*input_args))
        if not outputs:
            return ()
        wrt = tuple(input_args[i] for i in diff_input_indices)
        grads = _grad(outputs, wrt, seeds, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    n_in, n_seeds = len(diff_input_indices), len(diff_grad_output_indices)
    context = (
        f"(gradgradcheck checks the gradient of func: output k is func's gradient with "
        f"respect to its k-th input that requires grad; its inputs are func's inputs that "
        f"require grad ({_span('input', 0, n_in)}) followed by the grad_outputs "
        f"({_span('input', n_in, n_in + n_seeds)}). A mismatch here means "
        "func's backward may give the right values (gradcheck checks that) but its own "
        "derivative is wrong: write backward with tensor ops, without .detach(), NumPy "
        "or @once_differentiable.)"
    )
    try:
        return _gradcheck(grad_of_func, tupled_inputs + tupled_grad_outputs, eps=eps, atol=atol,
                          rtol=rtol, nondet_tol=nondet_tol,
                          check_undefined_grad=check_undefined_grad,
                          check_grad_dtypes=check_grad_dtypes, fast_mode=fast_mode,
                          context=context)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    except Exception as err:  # e.g. differentiating through @once_differentiable
        err.add_note("(raised inside gradgradcheck, which differentiates the gradient of func: "
                     "func's backward must be differentiable)")
        raise


def jacobians(func: Callable, inputs, *, eps: float = 1e-6,
              nondet_tol: float = 0.0) -> tuple[list, list]:
    """The numerical and analytical Jacobians that ``gradcheck`` compares, without comparing.

    Returns ``(numerical, analytical)``, two lists of lists: ``numerical[i][j]`` and
    ``analytical[i][j]`` are float64 arrays of shape (output numel, input numel) for the
    ``i``-th output of ``func`` that requires grad and the ``j``-th input that requires
    grad, ``J[r, c] = d output_i[r] / d input_j[c]`` (both flattened in C order), as in
    ``GradcheckError.numerical``/``.analytical``. Costs ``2 * n_in`` calls of ``func`` and
    ``2 * n_out`` backward passes (twice, as gradcheck, to check reentrancy: a backward that
    differs by more than ``nondet_tol`` raises ``GradcheckError``).

    >>> import autograd_lab as al
    >>> from autograd_lab.autograd.gradcheck import jacobians
    >>> x = al.tensor([1.0, 2.0], dtype=al.float64, requires_grad=True)
    >>> numerical, analytical = jacobians(lambda t: t * t, (x,))
    >>> analytical[0][0]
    array([[2., 0.],
           [0., 4.]])
    >>> bool(abs(numerical[0][0] - analytical[0][0]).max() < 1e-8)
    True
    """
    inputs = _as_tuple(inputs)
    _check_inputs(inputs, stacklevel=3)
    func_out = _as_tuple(func(*inputs))
    outputs = _differentiable_outputs(func_out)
    if not outputs:
        raise ValueError("jacobians: no output of func requires grad, so there is no "
                         "analytical Jacobian; gradcheck(func, inputs) says whether the "
                         "function still depends on its inputs.")
    numerical = _numerical_jacobians(func, inputs, eps)
    result: tuple[list, list] = ([], [])
    for i, j, n, a in _jacobian_pairs(numerical, func_out, outputs, inputs, nondet_tol, False):
        if j == 0:
            result[0].append([])
            result[1].append([])
        result[0][i].append(np.ascontiguousarray(n))
        result[1][i].append(a)
    return result


# ---------------------------------------------------------------------------------------
# the checks, in PyTorch's order
def _gradcheck(func, inputs: tuple, *, eps, atol, rtol, nondet_tol, check_undefined_grad,
               check_grad_dtypes, fast_mode, context: str = "") -> bool:
    _check_inputs(inputs)
    func_out = _as_tuple(func(*inputs))
    outputs = _differentiable_outputs(func_out)
    labels = _Labels(inputs, func_out, context)
    check = _fast_check if fast_mode else _slow_check
    check(func, inputs, func_out, outputs, labels, eps=eps, atol=atol, rtol=rtol,
          nondet_tol=nondet_tol, check_grad_dtypes=check_grad_dtypes)
    if outputs:
        _check_zero_grad_outputs(outputs, inputs)
        if check_undefined_grad:
            _check_undefined_grad(func, inputs, labels)
    return True


def _check_inputs(inputs: tuple, stacklevel: int = 4) -> None:
    """At least one input must require grad; warn about those that are not float64."""
    any_requires_grad = False
    for index, x in enumerate(inputs):
        if _requires_grad(x):
            any_requires_grad = True
            if _np_dtype(x) != np.float64:
                warnings.warn(
                    f"Input #{index} requires gradient and is not a double precision floating "
                    f"point tensor (it is {x.dtype}). Finite differences in a lower precision "
                    "lose most of their digits to rounding, so this check will likely fail; "
                    "pass float64 inputs (x.double()).",
                    UserWarning, stacklevel=stacklevel,
                )
    if not any_requires_grad:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them has requires_grad=True: nothing to check."
        )


def _slow_check(func, inputs, func_out, outputs, labels, *, eps, atol, rtol, nondet_tol,
                check_grad_dtypes) -> None:
    """Compare every (output i, input j) Jacobian block, entry by entry."""
    numerical = _numerical_jacobians(func, inputs, eps)  # [tensor output k][diff input j]
    if not outputs:
        _check_no_differentiable_outputs(numerical, labels, atol)
        return
    for i, j, n, a in _jacobian_pairs(numerical, func_out, outputs, inputs, nondet_tol,
                                      check_grad_dtypes):
        if not _allclose(a, n, atol, rtol):
            raise GradcheckError(_mismatch_message(a, n, i, j, atol, rtol, labels),
                                 numerical=n, analytical=a, output_index=i, input_index=j)


def _jacobian_pairs(numerical, func_out, outputs, inputs, nondet_tol, check_grad_dtypes):
    """``(i, j, numerical J_ij, analytical J_ij)`` for each output i and input j requiring grad.

    ``numerical`` is ``_numerical_jacobians``'s (every tensor output); the analytical
    blocks of output ``i`` are built only when it is reached.
    """
    numerical = [n for o, n in zip(_tensor_outputs(func_out), numerical, strict=True)
                 if o.requires_grad]
    for i, output in enumerate(outputs):
        analytical = _analytical_jacobians(output, inputs, nondet_tol, check_grad_dtypes, i)
        for j, (a, n) in enumerate(zip(analytical, numerical[i], strict=True)):
            yield i, j, n, a


def _fast_check(func, inputs, func_out, outputs, labels, *, eps, atol, rtol, nondet_tol,
                check_grad_dtypes) -> None:
    """Compare ``u_i^T J_ij v_j`` for random unit vectors ``u_i`` (outputs), ``v_j`` (inputs)."""
    rng = np.random.default_rng(_FAST_MODE_SEED)
    diff_inputs = [x for x in inputs if _requires_grad(x)]
    vs = [_unit_vector(x.shape, rng) for x in diff_inputs]
    us = [_unit_vector(o.shape, rng) for o in outputs]
    # numerical: one directional difference along v_j per input gives J_kj v_j for all outputs
    jvps = [_numerical_jvp(func, inputs, j, v, eps) for j, v in enumerate(vs)]
    if not outputs:
        for j, per_output in enumerate(jvps):
            for k, jvp in enumerate(per_output):
                if np.abs(jvp).max(initial=0.0) > atol:
                    raise GradcheckError(_not_zero_message(k, j, jvp, labels))
        return
    diff_positions = [k for k, o in enumerate(_tensor_outputs(func_out)) if o.requires_grad]
    for i, (output, u) in enumerate(zip(outputs, us, strict=True)):
        # analytical: one vector-Jacobian product with u_i gives u_i^T J_ij for all inputs
        uJ = _analytical_vjp(output, inputs, u, nondet_tol, check_grad_dtypes, i)
        for j, v in enumerate(vs):
            analytical = float(np.dot(uJ[j].ravel(), v.ravel()))
            numerical = float(np.dot(u.ravel(), jvps[j][diff_positions[i]].ravel()))
            # each entry may be off by atol: u^T E v <= atol * sum(u) * sum(v) (u, v >= 0)
            tol = atol * float(u.sum()) * float(v.sum()) + rtol * abs(numerical)
            if not abs(analytical - numerical) <= tol:
                a_full = _analytical_jacobians(output, inputs, nondet_tol, check_grad_dtypes,
                                               i)[j]
                n_full = _numerical_jacobians(func, inputs, eps, only=j)[diff_positions[i]][0]
                header = (
                    f"Jacobian mismatch for output {i} with respect to input {j} (fast mode),\n"
                    f"u^T J v with random unit vectors u (output) and v (input):\n"
                    f"  numerical:  {numerical:.10g}\n  analytical: {analytical:.10g}\n"
                    f"  difference: {abs(analytical - numerical):.3g} > allowed {tol:.3g}\n"
                    "Recomputing the full Jacobians (slow mode) to show where they differ:\n"
                )
                raise GradcheckError(
                    header + _mismatch_message(a_full, n_full, i, j, atol, rtol, labels,
                                               fast=True),
                    numerical=n_full, analytical=a_full, output_index=i, input_index=j)


def _check_no_differentiable_outputs(numerical, labels, atol) -> None:
    """No output requires grad: then the function must not depend on its inputs."""
    for k, per_input in enumerate(numerical):
        for j, n in enumerate(per_input):
            if np.abs(n).max(initial=0.0) > atol:
                raise GradcheckError(_not_zero_message(k, j, n, labels))


def _not_zero_message(k, j, values, labels) -> str:
    return (
        f"Numerical gradient for function expected to be zero: no output of func requires "
        f"grad, so its analytical Jacobian is zero, yet output #{k} of func changes when "
        f"input {j} ({labels.input_name(j)}) does (largest numerical derivative "
        f"{np.abs(values).max():.6g}). The graph was cut somewhere: a .detach(), a NumPy "
        f"round trip, or an output marked non-differentiable.{labels.context_line()}"
    )


def _check_zero_grad_outputs(outputs, inputs) -> None:
    """Zero grad_outputs must give zero gradients of the inputs' shapes and dtypes."""
    diff_inputs = [x for x in inputs if _requires_grad(x)]
    zeros = [Tensor(np.zeros(o.shape, _np_dtype(o))) for o in outputs]
    grads = _grad(outputs, diff_inputs, zeros, allow_unused=True)
    for j, (g, x) in enumerate(zip(grads, diff_inputs, strict=True)):
        if g is None:
            continue
        if g.shape != x.shape:
            raise GradcheckError(f"grad is incorrect size: input {j} has shape "
                                 f"{tuple(x.shape)} but its gradient has shape {tuple(g.shape)}")
        if g.dtype != x.dtype:
            raise GradcheckError(f"grad is incorrect type: input {j} is {x.dtype} but its "
                                 f"gradient is {g.dtype}")
        if np.any(g.detach().numpy() != 0):
            raise GradcheckError(
                f"backward not multiplied by grad_output: with every grad_output zero, the "
                f"gradient of input {j} should be zero but is\n{g.detach().numpy()}")


class _UndefinedGrad(Function):
    """Identity whose backward sends no gradient (``None``) to the function under check."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad_output):
        return None


def _check_undefined_grad(func, inputs, labels) -> None:
    """Backward must cope with undefined (None) output gradients, all or one at a time.

    Built-in nodes skip themselves when no gradient reaches them; a Function with
    ``ctx.set_materialize_grads(False)`` receives ``None`` and must handle it.
    """
    diff_inputs = [x for x in inputs if _requires_grad(x)]
    outputs = _differentiable_outputs(func(*inputs))
    cases = [("every output", tuple(_UndefinedGrad.apply(o) for o in outputs))]
    if len(outputs) > 1:
        for k in range(len(outputs)):
            fresh = _differentiable_outputs(func(*inputs))
            cases.append((f"output {k}", tuple(_UndefinedGrad.apply(o) if m == k else o
                                               for m, o in enumerate(fresh))))
    for which, outs in cases:
        zeros = [Tensor(np.zeros(o.shape, _np_dtype(o))) for o in outs]
        try:
            grads = _grad(outs, diff_inputs, zeros, allow_unused=True)
        except Exception as err:
            raise GradcheckError(
                f"Expected backward function to handle undefined output grads: with the "
                f"gradient of {which} undefined (None), backward raised "
                f"{type(err).__name__}: {err}\nA Function that calls "
                "ctx.set_materialize_grads(False) receives None for such outputs and must "
                "treat it as zero (or return None). Pass check_undefined_grad=False to skip "
                f"this check.{labels.context_line()}"
            ) from err
        for j, g in enumerate(grads):
            if g is not None and np.any(g.detach().numpy() != 0):
                raise GradcheckError(
                    f"Expected all input grads to be undefined or zero when all output grads "
                    f"are undefined or zero: with the gradient of {which} undefined, input {j} "
                    f"got\n{g.detach().numpy()}{labels.context_line()}")


# ---------------------------------------------------------------------------------------
# Jacobians
def _numerical_jacobians(func, inputs, eps, only: int | None = None) -> list:
    """Central differences: ``result[k][j]`` is (output k numel, input j numel), float64.

    ``k`` runs over every tensor output of ``func`` (even those that do not require
    grad), ``j`` over the inputs that require grad (only input ``only`` if given).
    Each evaluation gets fresh leaf tensors (same dtype and requires_grad as the
    originals), so the user's tensors and their graphs are never touched.
    """
    arrays = [np.array(x.detach().numpy(), copy=True, order="C") if _requires_grad(x) else None
              for x in inputs]
    varied = [a for a in arrays if a is not None]  # the arrays of the inputs that require grad
    if only is not None:
        varied = [varied[only]]
    base = _evaluate(func, inputs, arrays)
    # filled column by column: column-major, so that each column is contiguous
    result = [[np.empty((out.size, a.size), order="F") for a in varied] for out in base]
    for j, array in enumerate(varied):
        flat = array.reshape(-1)  # a view: writing flat[c] changes what _evaluate reads
        for c in range(flat.size):
            original = flat[c]
            flat[c] = original - eps
            lo = _evaluate(func, inputs, arrays)
            flat[c] = original + eps
            hi = _evaluate(func, inputs, arrays)
            flat[c] = original
            for k, (plus, minus) in enumerate(zip(hi, lo, strict=True)):
                result[k][j][:, c] = ((plus - minus) / (2 * eps)).reshape(-1)
    return result


def _numerical_jvp(func, inputs, j, v, eps) -> list:
    """Central difference along direction ``v`` of input ``j``: ``J_kj v`` for every output k."""
    arrays = [np.array(x.detach().numpy(), copy=True) if _requires_grad(x) else None
              for x in inputs]
    p = [q for q, a in enumerate(arrays) if a is not None][j]
    original = arrays[p]
    step = (eps * v).astype(original.dtype)
    arrays[p] = original - step
    lo = _evaluate(func, inputs, arrays)
    arrays[p] = original + step
    hi = _evaluate(func, inputs, arrays)
    return [(h - lo_) / (2 * eps) for h, lo_ in zip(hi, lo, strict=True)]


def _evaluate(func, inputs, arrays) -> list:
    """``func`` on fresh leaves wrapping ``arrays``; every tensor output as a float64 array."""
    args = [x if a is None else Tensor(a, requires_grad=True)
            for x, a in zip(inputs, arrays, strict=True)]
    out = _as_tuple(func(*args))
    return [np.array(o.detach().numpy(), dtype=np.float64, copy=True)
            for o in _tensor_outputs(out)]


def _analytical_jacobians(output, inputs, nondet_tol, check_grad_dtypes, i) -> list:
    """Row ``r`` of each block is the gradient for the one-hot seed at ``output[r]``.

    Built twice: the two must agree to within ``nondet_tol`` (reentrancy).
    """
    diff_inputs = [x for x in inputs if _requires_grad(x)]
    n_rows = output.numel()
    blocks = [np.zeros((n_rows, x.numel())) for x in diff_inputs]
    for r, grads in enumerate(_jacobian_rows(output, diff_inputs, check_grad_dtypes, i)):
        for block, g in zip(blocks, grads, strict=True):
            block[r] = g.reshape(-1)
    # the second pass is compared row by row, so it never holds a second Jacobian
    for r, grads in enumerate(_jacobian_rows(output, diff_inputs, check_grad_dtypes, i)):
        _check_reentrant([b[r] for b in blocks], [g.reshape(-1) for g in grads], nondet_tol, i)
    return blocks


def _jacobian_rows(output, diff_inputs, check_grad_dtypes, i):
    """For each entry r of ``output``, the gradients for the one-hot seed at r."""
    for r in range(output.numel()):
        seed = np.zeros(output.shape, _np_dtype(output))
        seed.reshape(-1)[r] = 1
        yield _vjp(output, diff_inputs, seed, check_grad_dtypes, i)


def _analytical_vjp(output, inputs, u, nondet_tol, check_grad_dtypes, i) -> list:
    """``u^T J_ij`` for every input ``j`` (as arrays of the inputs' shapes), computed twice."""
    diff_inputs = [x for x in inputs if _requires_grad(x)]
    seed = u.astype(_np_dtype(output))
    first = _vjp(output, diff_inputs, seed, check_grad_dtypes, i)
    second = _vjp(output, diff_inputs, seed, check_grad_dtypes, i)
    _check_reentrant(first, second, nondet_tol, i)
    return first


def _vjp(output, diff_inputs, seed, check_grad_dtypes, i) -> list:
    """One backward pass; gradients as float64 arrays (None gives zeros), checked."""
    grads = _grad(output, diff_inputs, Tensor(seed), retain_graph=True, allow_unused=True)
    result = []
    for j, (g, x) in enumerate(zip(grads, diff_inputs, strict=True)):
        if g is None:
            result.append(np.zeros(x.shape))
            continue
        if g.shape != x.shape:
            raise GradcheckError(
                f"Analytical gradient has incorrect size: the gradient of output {i} with "
                f"respect to input {j} has shape {tuple(g.shape)}, the input {tuple(x.shape)}")
        if check_grad_dtypes and g.dtype != x.dtype:
            raise GradcheckError(
                f"Gradient has dtype mismatch: the gradient of output {i} with respect to "
                f"input {j} is {g.dtype}, the input {x.dtype}")
        result.append(np.array(g.detach().numpy(), dtype=np.float64, copy=True))
    return result


def _check_reentrant(first, second, nondet_tol, i) -> None:
    for j, (a, b) in enumerate(zip(first, second, strict=True)):
        diff = float(np.abs(a - b).max(initial=0.0))
        if not diff <= nondet_tol:
            raise GradcheckError(
                f"Backward is not reentrant: running backward twice with the same input and "
                f"grad_output gave different gradients for output {i} with respect to input "
                f"{j} (they differ by up to {diff:.3g}; nondet_tol is {nondet_tol}). A backward "
                "that uses randomness or global state must say so: pass nondet_tol > 0.")


def _allclose(a: np.ndarray, n: np.ndarray, atol: float, rtol: float) -> bool:
    """``|a - n| <= atol + rtol * |n|`` everywhere (in slices: Jacobians can be large)."""
    step = max(1, 2**22 // max(1, a.shape[1]))
    for start in range(0, a.shape[0], step):
        a_part, n_part = a[start:start + step], n[start:start + step]
        if not np.all(np.abs(a_part - n_part) <= atol + rtol * np.abs(n_part)):
            return False
    return True


# ---------------------------------------------------------------------------------------
# the failure message
class _Labels:
    """Names for the indices in messages: output i / input j count only what requires grad."""

    def __init__(self, inputs, func_out, context: str) -> None:
        self.input_positions = [p for p, x in enumerate(inputs) if _requires_grad(x)]
        self.input_shapes = [tuple(inputs[p].shape) for p in self.input_positions]
        tensors = list(_tensor_outputs(func_out))
        self.output_positions = [p for p, o in enumerate(tensors) if o.requires_grad]
        self.output_shapes = [tuple(tensors[p].shape) for p in self.output_positions]
        self.single_output = len(func_out) == 1
        self.context = context

    def input_name(self, j: int) -> str:
        return f"inputs[{self.input_positions[j]}], shape {self.input_shapes[j]}"

    def output_name(self, i: int) -> str:
        if self.single_output:
            return f"func's result, shape {self.output_shapes[i]}"
        return f"func's result[{self.output_positions[i]}], shape {self.output_shapes[i]}"

    def context_line(self) -> str:
        return f"\n{self.context}" if self.context else ""


_MAX_ROWS = 12
_MAX_COLS = 6


def _mismatch_message(a, n, i, j, atol, rtol, labels, fast: bool = False) -> str:
    """Numerical and analytical Jacobians side by side, the worst entries marked."""
    out_shape = labels.output_shapes[i]
    in_shape = labels.input_shapes[j]
    diff = np.abs(a - n)
    allowed = atol + rtol * np.abs(n)
    bad = ~(diff <= allowed)
    worst = np.unravel_index(int(np.argmax(np.where(np.isnan(diff), np.inf, diff))), diff.shape)
    r_w, c_w = int(worst[0]), int(worst[1])
    rows = _pick(diff.max(axis=1, initial=0.0), _MAX_ROWS, r_w)
    cols = _pick(diff.max(axis=0, initial=0.0), _MAX_COLS, c_w)
    digits = _digits_to_tell_apart(n[r_w, c_w], a[r_w, c_w])

    num_cells = [[_fmt(n[r, c], digits) for c in cols] for r in rows]
    ana_cells = [[_fmt(a[r, c], digits) for c in cols] for r in rows]
    col_heads = [_index(c, in_shape) for c in cols]
    row_heads = [_index(r, out_shape) for r in rows]
    width = max(len(s) for s in col_heads + [x for row in num_cells + ana_cells for x in row])
    label_w = max(len(s) for s in row_heads + ["row"])
    block_w = len(cols) * (width + 1) - 1

    lines = [
        f"output {i} is {labels.output_name(i)}; input {j} is {labels.input_name(j)}.",
        f"J[row, col] = d output{i}[row] / d input{j}[col]; entries marked * differ by more "
        "than atol + rtol * |numerical|.",
    ]
    if len(rows) < a.shape[0] or len(cols) < a.shape[1]:
        lines.append(f"(showing {len(rows)} of {a.shape[0]} rows and {len(cols)} of {a.shape[1]}"
                     " columns: those with the largest differences)")
    lines.append("")
    lines.append(f"{'':>{label_w}}  {'numerical':<{block_w}}  |  analytical")
    left_heads = " ".join(h.rjust(width) for h in col_heads)
    right_heads = " ".join(h.rjust(width) + " " for h in col_heads)
    lines.append(f"{'row':>{label_w}}  {left_heads}  |  {right_heads}".rstrip())
    for r, head, nums, anas in zip(rows, row_heads, num_cells, ana_cells, strict=True):
        left = " ".join(s.rjust(width) for s in nums)
        right = " ".join(s.rjust(width) + ("*" if bad[r, c] else " ")
                         for s, c in zip(anas, cols, strict=True))
        mark = "  <-- max difference" if r == r_w else ""
        lines.append(f"{head:>{label_w}}  {left}  |  {right}{mark}".rstrip())
    lines += [
        "",
        f"max |analytical - numerical| = {diff[r_w, c_w]:.6g} at J[{r_w}, {c_w}] "
        f"(output{i}{_index(r_w, out_shape)}, input{j}{_index(c_w, in_shape)}): "
        f"numerical {_fmt(n[r_w, c_w], digits)}, analytical {_fmt(a[r_w, c_w], digits)}",
        f"allowed there: atol + rtol * |numerical| = {atol:g} + {rtol:g} * "
        f"{abs(n[r_w, c_w]):.6g} = {allowed[r_w, c_w]:.6g}",
        f"{int(bad.sum())} of {bad.size} entries differ beyond the tolerance.",
    ]
    if not fast:
        lines.insert(0, f"Jacobian mismatch for output {i} with respect to input {j},")
    return "\n".join(lines) + labels.context_line()


def _pick(scores: np.ndarray, limit: int, must: int) -> list:
    """All indices if few; else ``must`` and the others with the largest scores, in order."""
    if scores.size <= limit:
        return list(range(scores.size))
    chosen = {must}
    for k in np.argsort(-np.nan_to_num(scores, nan=np.inf), kind="stable"):
        if len(chosen) == limit:
            break
        chosen.add(int(k))
    return sorted(chosen)


def _span(word: str, start: int, stop: int) -> str:
    """``input 0``, ``inputs 1 and 2``, ``inputs 1 to 3``."""
    if stop - start == 1:
        return f"{word} {start}"
    if stop - start == 2:
        return f"{word}s {start} and {start + 1}"
    return f"{word}s {start} to {stop - 1}"


def _index(flat: int, shape: tuple) -> str:
    return "[" + ",".join(str(int(k)) for k in np.unravel_index(flat, shape)) + "]"


def _digits_to_tell_apart(x: float, y: float) -> int:
    """Significant digits (6 to 12) needed for ``x`` and ``y`` to print differently."""
    for digits in range(6, 13):
        if _fmt(x, digits) != _fmt(y, digits):
            return digits
    return 6


def _fmt(value: float, digits: int = 6) -> str:
    value = float(value)
    if abs(value) < 1e-12:
        return "0"
    return f"{value:.{digits}g}"


# ---------------------------------------------------------------------------------------
# small helpers
def _as_tuple(x) -> tuple:
    return x if isinstance(x, tuple) else (x,) if not isinstance(x, list) else tuple(x)


def _requires_grad(x: Any) -> bool:
    return isinstance(x, Tensor) and x.requires_grad


def _np_dtype(t: Tensor) -> np.dtype:
    return t.detach().numpy().dtype


def _tensor_outputs(outputs: Sequence) -> tuple:
    return tuple(o for o in outputs if isinstance(o, Tensor))


def _differentiable_outputs(outputs) -> tuple:
    return tuple(o for o in _as_tuple(outputs) if isinstance(o, Tensor) and o.requires_grad)


def _unit_vector(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """Uniform in [0, 1), scaled to unit length (non-negative, for the fast-mode tolerance)."""
    vec = rng.random(shape)
    norm = float(np.sqrt((vec * vec).sum()))
    return vec / norm if norm > 0 else vec


def _random_grad_output(output: Tensor, rng: np.random.Generator, non_contiguous: bool) -> Tensor:
    dtype = _np_dtype(output) if _np_dtype(output).kind == "f" else np.float64
    values = rng.uniform(-1.0, 1.0, output.shape).astype(dtype)
    if non_contiguous:  # every other element of a buffer twice as long
        buffer = np.empty(output.shape + (2,), dtype)
        array = buffer[..., 0]
        array[...] = values
    else:
        array = values
    return Tensor(array, requires_grad=True)
