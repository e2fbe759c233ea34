"""``plot_grad_flow`` and ``plot_jacobians``: matplotlib plots where a picture says more.

``plot_grad_flow(model.named_parameters())`` draws the gradient norm of each parameter, in
the model's order, on a log scale: gradients that shrink layer after layer (vanishing) or
grow (exploding) show as a slope. ``plot_jacobians`` draws a gradcheck's numerical and
analytical Jacobians side by side with their difference, so a wrong backward shows where
it is wrong (a diagonal off by 10%, a missing transpose, a column of zeros).

Both return a matplotlib ``Figure``: the value of a notebook cell shows as the image (its
``text/plain`` is matplotlib's deterministic ``<Figure size ... with N Axes>``); in a
script, ``fig.savefig("grads.png")``. matplotlib is imported on first use only.

Why pyplot makes the figure and then lets go of it: Jupyter shows a ``Figure`` as an image
only once matplotlib's inline backend has registered its display hook, which importing
pyplot does; a bare ``matplotlib.figure.Figure()`` shows as text alone. The figure is then
closed in pyplot (removed from its list of open figures) at once: otherwise the inline
backend would show it a second time at the end of the cell, and figures made in a loop
would pile up. A closed figure still draws, displays and saves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .._tensor import Tensor
from ..autograd.gradcheck import GradcheckError, jacobians

if TYPE_CHECKING:  # matplotlib is optional: imported inside the functions
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

__all__ = ["plot_grad_flow", "plot_jacobians"]

_NO_GRAD_COLOR = "0.55"    # grey: the name and the "no grad" note
_BAD_COLOR = "tab:red"     # NaN or inf
_BAR_COLOR = "tab:blue"
_MAX_COLOR = "black"


def _pyplot():
    """matplotlib.pyplot, or an ImportError that says how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(
            "al.viz's plots need matplotlib, which is not installed: pip install matplotlib "
            "(it comes with autograd_lab's test and lab extras), then restart the kernel."
        ) from err
    return plt


def _new_figure(figsize: tuple[float, float]) -> Figure:
    """A figure that a notebook shows once when returned (see the module docstring)."""
    plt = _pyplot()
    fig = plt.figure(figsize=figsize, layout="constrained")
    plt.close(fig)
    return fig


# ---------------------------------------------------------------------------------------
# gradient flow
def plot_grad_flow(named_parameters: Iterable[tuple[str, Tensor]] | Mapping[str, Tensor],
                   ax: Axes | None = None, log: bool = True) -> Figure | SubFigure:
    """A bar per parameter, the norm of its ``.grad``: the vanishing-gradient lesson.

    ``named_parameters`` is an iterable of ``(name, tensor)`` pairs, such as
    ``model.named_parameters()``, or a dict name -> tensor. Call it after ``backward()``.
    Each bar's height is the L2 norm of the parameter's gradient (all entries, flattened);
    a black dot marks its largest absolute entry. The tick labels are the names.

    - a parameter whose ``.grad`` is None (not reached by backward, or not requiring grad)
      has a zero-height bar, a grey name and a "no grad" note;
    - a gradient that is exactly zero is noted "0" (a log scale cannot show it);
    - a gradient with NaN or inf has a red bar up to the top of the plot, a red name and
      a "NaN"/"inf" note.

    ``log`` (default True) uses a log scale for the norms, so that 1e-8 and 1 fit on one
    plot. ``ax`` draws into an existing matplotlib ``Axes``; without it a new ``Figure`` is
    made. Returns the figure drawn into (the ``SubFigure`` of an ``ax`` that is in one).

    >>> import autograd_lab as al
    >>> from autograd_lab.viz.plots import plot_grad_flow   # also al.viz.plot_grad_flow
    >>> model = al.nn.Sequential(al.nn.Linear(3, 4), al.nn.Tanh(), al.nn.Linear(4, 1))
    >>> model(al.randn(8, 3)).sum().backward()
    >>> fig = plot_grad_flow(model.named_parameters())
    >>> fig
    <Figure size 400x400 with 1 Axes>
    """
    params = _named_tensors(named_parameters)
    names = [name for name, _ in params]
    stats = [_grad_stats(t) for _, t in params]
    norms = np.array([s[0] for s in stats])
    max_abs = np.array([s[1] for s in stats])
    kinds = [s[2] for s in stats]   # "ok", "none", "zero" or "nan"/"inf"
    bad = [k in ("NaN", "inf") for k in kinds]

    fig: Figure | SubFigure
    if ax is None:
        fig = _new_figure((max(4.0, 2.0 + 0.45 * len(params)), 4.0))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    x = np.arange(len(params))

    positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in (norms, max_abs)])
    if log:
        ax.set_yscale("log")
        low, high = ((positive.min() / 10, positive.max() * 10) if positive.size
                     else (1e-8, 1.0))
    else:
        low, high = 0.0, (positive.max() * 1.15 if positive.size else 1.0)
    heights = np.where(np.isfinite(norms), norms, 0.0)   # None grads: 0
    heights = np.where(bad, high, heights)              # NaN/inf: the full height, red
    colors = [_BAD_COLOR if b else _BAR_COLOR for b in bad]
    ax.bar(x, heights, width=0.6, color=colors, label="‖grad‖ (L2 norm)")
    shown = np.where(np.isfinite(max_abs) & ((max_abs > 0) | (not log)), max_abs, np.nan)
    ax.plot(x, shown, linestyle="none", marker="o", markersize=4, color=_MAX_COLOR,
            label="max |grad|")
    ax.set_ylim(low, high)

    notes = {"none": ("no grad", _NO_GRAD_COLOR), "zero": ("0", _NO_GRAD_COLOR),
             "NaN": ("NaN", _BAD_COLOR), "inf": ("inf", _BAD_COLOR)}
    bottom = ax.get_xaxis_transform()   # x in data, y in axes coordinates
    for k, kind in enumerate(kinds):
        if kind in notes:
            text, color = notes[kind]
            ax.text(k, 0.02, text, transform=bottom, rotation=90, ha="center", va="bottom",
                    color="white" if kind in ("NaN", "inf") else color, fontsize=9,
                    fontweight="bold" if kind in ("NaN", "inf") else "normal")

    ax.set_xticks(x, names, rotation=45 if len(params) > 3 else 0,
                  ha="right" if len(params) > 3 else "center")
    for label, kind in zip(ax.get_xticklabels(), kinds, strict=True):
        if kind in notes:
            label.set_color(notes[kind][1])
    ax.set_xlim(-0.6, len(params) - 0.4)
    ax.set_ylabel("gradient norm" + (" (log scale)" if log else ""))
    ax.set_title("Gradient flow: ‖grad‖ per parameter")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def _named_tensors(named_parameters) -> list[tuple[str, Tensor]]:
    """The ``(name, tensor)`` pairs as a list, or a ValueError that says what to pass."""
    how = ("pass model.named_parameters() (an iterable of (name, tensor) pairs) or a dict "
           "name -> tensor")
    if isinstance(named_parameters, Tensor):
        raise ValueError(f"plot_grad_flow got a single Tensor: {how}, e.g. "
                         "{'w': w} for one tensor.")
    if isinstance(named_parameters, Mapping):
        named_parameters = named_parameters.items()
    try:
        items = list(named_parameters)
    except TypeError:
        raise ValueError(f"plot_grad_flow got {type(named_parameters).__name__}, which is "
                         f"not iterable: {how}.") from None
    if not items:
        raise ValueError(f"plot_grad_flow got no parameters (an empty iterable): {how} of a "
                         "model that has parameters. A generator such as named_parameters() "
                         "is used up after one pass: call it again for each plot.")
    pairs = []
    for position, item in enumerate(items):
        if isinstance(item, Tensor):
            raise ValueError(f"plot_grad_flow got a Tensor at position {position} instead of "
                             f"a (name, tensor) pair: {how} (model.parameters() gives tensors "
                             "without names).")
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise ValueError(f"plot_grad_flow expects (name, tensor) pairs, but item "
                             f"{position} is {_short(item)}: {how}.")
        name, tensor = item
        if not isinstance(tensor, Tensor):
            raise ValueError(f"plot_grad_flow expects (name, tensor) pairs, but the value "
                             f"for {name!r} is {_short(tensor)}, not an autograd_lab Tensor: "
                             f"{how}.")
        pairs.append((str(name), tensor))
    return pairs


def _grad_stats(tensor: Tensor) -> tuple[float, float, str]:
    """``(L2 norm, max |entry|, kind)`` of ``tensor.grad``; kind is ok/none/zero/NaN/inf."""
    grad = tensor.grad
    if grad is None:
        return np.nan, np.nan, "none"
    values = np.abs(np.asarray(grad.detach().numpy(), dtype=np.float64)).reshape(-1)
    if np.isnan(values).any():
        return np.nan, np.nan, "NaN"
    if np.isinf(values).any():
        return np.inf, np.inf, "inf"
    norm = float(np.linalg.norm(values))
    top = float(values.max(initial=0.0))
    return norm, top, "zero" if top == 0 else "ok"


def _short(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


# ---------------------------------------------------------------------------------------
# Jacobians
def plot_jacobians(source: GradcheckError | Callable, inputs=None, *,
                   output_index: int | None = None, input_index: int | None = None,
                   eps: float = 1e-6, cmap: str = "viridis") -> Figure:
    """Numerical and analytical Jacobians side by side, and their difference, as heatmaps.

    ``source`` is either

    - a ``GradcheckError`` from a Jacobian mismatch: its ``numerical`` and ``analytical``
      arrays are drawn, for its ``output_index``/``input_index`` pair; or
    - a function, with ``inputs`` (a tensor or tuple, as for ``gradcheck``): both
      Jacobians are computed as gradcheck computes them, for output ``output_index`` and
      input ``input_index`` (default 0 and 0; counted as in gradcheck's messages: the
      outputs and the inputs that require grad).

    Rows are the entries of the output, columns the entries of the input (both flattened):
    ``J[r, c] = d output[r] / d input[c]``. The first two heatmaps share one color scale;
    the third is ``analytical - numerical`` on a diverging scale centred at 0. The title
    names the pair and the largest ``|analytical - numerical|``. Returns the ``Figure``
    (three heatmaps, each with a colorbar).

    >>> import autograd_lab as al
    >>> from autograd_lab.viz.plots import plot_jacobians   # also al.viz.plot_jacobians
    >>> class SloppySquare(al.autograd.Function):   # d(x*x)/dx = 2x, but we return 2.2x
    ...     @staticmethod
    ...     def forward(ctx, t):
    ...         ctx.save_for_backward(t)
    ...         return t * t
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (t,) = ctx.saved_tensors
    ...         return grad_output * 2.2 * t
    >>> x = al.tensor([0.5, -1.0, 2.0], dtype=al.float64, requires_grad=True)
    >>> try:
    ...     al.autograd.gradcheck(SloppySquare.apply, (x,))
    ... except al.autograd.GradcheckError as err:
    ...     fig = plot_jacobians(err)
    >>> fig
    <Figure size 1300x420 with 6 Axes>
    >>> fig = plot_jacobians(lambda t: (t * t).tanh(), (x,))   # from a function
    """
    numerical, analytical, i, j = _jacobian_pair(source, inputs, output_index, input_index,
                                                 eps)
    plt = _pyplot()
    difference = analytical - numerical

    fig = _new_figure((13.0, 4.2))
    axes = fig.subplots(1, 3)
    finite = np.concatenate([m[np.isfinite(m)] for m in (numerical, analytical)])
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    shared = plt.get_cmap(cmap).with_extremes(bad="red")
    finite_diff = np.abs(difference[np.isfinite(difference)])
    worst = float(finite_diff.max()) if finite_diff.size else 0.0
    limit = worst if worst > 0 else 1.0
    panels = [
        (numerical, "numerical (central differences)", shared, vmin, vmax),
        (analytical, "analytical (backward passes)", shared, vmin, vmax),
        (difference, "analytical − numerical", plt.get_cmap("RdBu_r").with_extremes(
            bad="black"), -limit, limit),
    ]
    for ax, (values, title, colormap, low, high) in zip(axes, panels, strict=True):
        image = ax.imshow(values, cmap=colormap, vmin=low, vmax=high, aspect="auto",
                          interpolation="nearest")
        fig.colorbar(image, ax=ax, shrink=0.9)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f"input {j} entry (column)")
        ax.set_ylabel(f"output {i} entry (row)")
        _integer_ticks(ax, values.shape)

    summary = f"max |analytical − numerical| = {worst:.3g}"
    if finite_diff.size:
        r, c = np.unravel_index(int(np.argmax(np.where(np.isfinite(difference),
                                                       np.abs(difference), -1.0))),
                                difference.shape)
        summary += f" at J[{r}, {c}]"
    if finite_diff.size < difference.size:
        summary += f"; {difference.size - finite_diff.size} NaN/inf entries (red/black)"
    fig.suptitle(f"Jacobian of output {i} with respect to input {j}, "
                 f"J[r, c] = d output{i}[r] / d input{j}[c]: {summary}", fontsize=11)
    return fig


def _jacobian_pair(source, inputs, output_index, input_index, eps):
    """``(numerical, analytical, i, j)`` from a GradcheckError or a function and inputs."""
    if isinstance(source, GradcheckError):
        if inputs is not None or output_index is not None or input_index is not None:
            raise ValueError("plot_jacobians(err) draws the Jacobians the GradcheckError "
                             "kept, for its own output/input pair: pass no inputs, "
                             "output_index or input_index with it.")
        if source.numerical is None or source.analytical is None:
            first_line = str(source).splitlines()[0] if str(source) else ""
            raise ValueError(
                f"This GradcheckError is not a Jacobian mismatch ({first_line!r}), so it "
                "holds no Jacobians to draw. plot_jacobians(fn, inputs) computes them for a "
                "function.")
        return (np.asarray(source.numerical), np.asarray(source.analytical),
                source.output_index, source.input_index)
    if not callable(source):
        raise TypeError(f"plot_jacobians expects a GradcheckError or a function, got "
                        f"{_short(source)}.")
    if inputs is None:
        raise ValueError("plot_jacobians(fn, inputs): a function needs its inputs (a tensor "
                         "or a tuple of tensors, some with requires_grad=True, as for "
                         "gradcheck).")
    i = 0 if output_index is None else output_index
    j = 0 if input_index is None else input_index
    numerical, analytical = jacobians(source, inputs, eps=eps)
    n_out, n_in = len(numerical), len(numerical[0])
    if not 0 <= i < n_out:
        raise ValueError(f"output_index {i} is out of range: the function has {n_out} "
                         "output(s) that require grad (counted from 0).")
    if not 0 <= j < n_in:
        raise ValueError(f"input_index {j} is out of range: {n_in} input(s) require grad "
                         "(counted from 0).")
    return numerical[i][j], analytical[i][j], i, j


def _integer_ticks(ax: Axes, shape: tuple[int, int]) -> None:
    from matplotlib.ticker import MaxNLocator

    for axis, size in ((ax.xaxis, shape[1]), (ax.yaxis, shape[0])):
        axis.set_major_locator(MaxNLocator(nbins=min(size, 8), integer=True))
