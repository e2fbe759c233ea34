"""``al.viz.plots``: ``plot_grad_flow`` and ``plot_jacobians``, and the arrays behind them.

The plots are checked on what matplotlib holds, not on pixels: the bars' heights and
colors, the tick labels, the notes, the images' data. Every expected number is computed
here with NumPy (gradient norms, finite-difference Jacobians), not read back from the
library. A ``GradcheckError`` from a Jacobian mismatch keeps both Jacobians as arrays;
those are checked against an independent finite-difference Jacobian too.
"""

from __future__ import annotations

import os
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import same_color  # noqa: E402

import autograd_lab as al  # noqa: E402
from autograd_lab.autograd import GradcheckError, gradcheck  # noqa: E402
from autograd_lab.autograd.gradcheck import jacobians  # noqa: E402
from autograd_lab.viz.plots import plot_grad_flow, plot_jacobians  # noqa: E402

RED = "tab:red"


# -- helpers ------------------------------------------------------------------------------
def bars(fig):
    """The one bar container of a grad-flow plot."""
    (ax,) = fig.axes
    (container,) = ax.containers
    return list(container.patches)


def notes(ax) -> dict[float, str]:
    """Text notes on the plot, by the x position of their bar."""
    return {round(t.get_position()[0], 6): t.get_text() for t in ax.texts}


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


class TwoHeads(al.nn.Module):
    """A body, the head used in forward, and a head that forward never touches."""

    def __init__(self):
        super().__init__()
        self.body = al.nn.Linear(3, 4)
        self.head = al.nn.Linear(4, 2)
        self.unused = al.nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.body(x).tanh())


def trained_model(batch: int = 5):
    al.manual_seed(0)
    model = al.nn.Sequential(al.nn.Linear(3, 6), al.nn.Tanh(), al.nn.Linear(6, 2))
    model(al.randn(batch, 3)).sum().backward()
    return model


# -- plot_grad_flow -----------------------------------------------------------------------
def test_grad_flow_has_one_bar_per_parameter_whose_height_is_the_grad_norm():
    model = trained_model(batch=5)
    named = list(model.named_parameters())
    fig = plot_grad_flow(model.named_parameters())
    (ax,) = fig.axes
    patches = bars(fig)
    assert len(patches) == len(named) == 4
    expected = [np.sqrt(np.sum(np.square(p.grad.numpy().astype(np.float64)))) for _, p in named]
    np.testing.assert_allclose([b.get_height() for b in patches], expected, rtol=1e-12)
    # the last bias's gradient is known by hand: d sum(W h + b) / db = batch size, per output
    np.testing.assert_allclose(patches[-1].get_height(), 5 * np.sqrt(2), rtol=1e-6)
    assert [t.get_text() for t in ax.get_xticklabels()] == [n for n, _ in named]
    assert [n for n, _ in named] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert ax.get_yscale() == "log"
    # the second marker: max |grad| per parameter
    (dots,) = [line for line in ax.lines if line.get_label() == "max |grad|"]
    np.testing.assert_allclose(dots.get_ydata(), [np.abs(p.grad.numpy()).max() for _, p in named],
                               rtol=1e-6)
    assert not any(same_color(b.get_facecolor(), RED) for b in patches)
    assert len(ax.texts) == 0   # nothing to note
    assert repr(fig) == "<Figure size 400x400 with 1 Axes>"


def test_grad_flow_marks_a_parameter_without_grad():
    al.manual_seed(0)
    model = TwoHeads()
    model(al.randn(4, 3)).sum().backward()
    names = [n for n, _ in model.named_parameters()]
    assert model.unused.weight.grad is None and model.unused.bias.grad is None
    fig = plot_grad_flow(model.named_parameters())
    (ax,) = fig.axes
    patches = bars(fig)
    assert len(patches) == 6
    marked = {names.index("unused.weight"), names.index("unused.bias")}
    assert notes(ax) == {float(k): "no grad" for k in marked}
    for k, (bar, label) in enumerate(zip(patches, ax.get_xticklabels(), strict=True)):
        if k in marked:
            assert bar.get_height() == 0
            assert same_color(label.get_color(), "0.55"), label.get_text()
        else:
            assert bar.get_height() > 0
            assert not same_color(label.get_color(), "0.55"), label.get_text()


@pytest.mark.parametrize("bad, word", [(float("nan"), "NaN"), (float("inf"), "inf")])
def test_grad_flow_shows_nan_and_inf_in_red(bad, word):
    good = al.tensor([3.0, 4.0], requires_grad=True)
    broken = al.tensor([1.0, 2.0], requires_grad=True)
    (good * 1.0).sum().backward()
    with np.errstate(invalid="ignore"):
        (broken * bad).sum().backward()
    fig = plot_grad_flow([("good", good), ("broken", broken)])
    (ax,) = fig.axes
    ok_bar, bad_bar = bars(fig)
    assert same_color(bad_bar.get_facecolor(), RED)
    assert not same_color(ok_bar.get_facecolor(), RED)
    np.testing.assert_allclose(ok_bar.get_height(), np.sqrt(2.0))
    # a NaN/inf bar reaches the top of the plot: seen at a glance
    assert bad_bar.get_height() == pytest.approx(ax.get_ylim()[1])
    assert notes(ax) == {1.0: word}
    ok_label, bad_label = ax.get_xticklabels()
    assert same_color(bad_label.get_color(), RED) and not same_color(ok_label.get_color(), RED)


def test_grad_flow_notes_an_exactly_zero_grad_and_draws_linear_on_request():
    zero = al.tensor([1.0, 2.0], requires_grad=True)
    small = al.tensor([1e-6, 0.0], requires_grad=True)
    (zero * 0.0).sum().backward()
    (small * small).sum().backward()   # grad 2 * small
    fig = plot_grad_flow({"zero": zero, "small": small}, log=False)
    (ax,) = fig.axes
    assert ax.get_yscale() == "linear"
    assert [b.get_height() for b in bars(fig)] == pytest.approx([0.0, 2e-6], rel=1e-6, abs=1e-18)
    assert notes(ax) == {0.0: "0"}


def test_grad_flow_draws_into_a_given_axes():
    from matplotlib.figure import Figure

    model = trained_model()
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plot_grad_flow(model.named_parameters(), ax=right) is fig
    assert len(right.containers) == 1 and len(left.containers) == 0


def test_grad_flow_bad_input_says_what_to_pass():
    model = trained_model()
    with pytest.raises(ValueError, match=r"no parameters \(an empty iterable\).*"
                                         r"model\.named_parameters\(\)"):
        plot_grad_flow([])
    used = model.named_parameters()
    plot_grad_flow(used)
    with pytest.raises(ValueError, match="used up after one pass"):
        plot_grad_flow(used)
    with pytest.raises(ValueError, match=r"got a Tensor at position 0 instead of a \(name, "
                                         r"tensor\) pair.*model\.parameters\(\) gives tensors"):
        plot_grad_flow(model.parameters())
    with pytest.raises(ValueError, match="the value for 'w' is ndarray .*not an autograd_lab "
                                         "Tensor"):
        plot_grad_flow([("w", np.ones(3))])
    with pytest.raises(ValueError, match="the value for 'w' is float"):
        plot_grad_flow({"w": 1.0})
    with pytest.raises(ValueError, match="item 0 is tuple"):
        plot_grad_flow([("w",)])
    with pytest.raises(ValueError, match="got a single Tensor"):
        plot_grad_flow(al.tensor([1.0]))
    with pytest.raises(ValueError, match="got int, which is not iterable"):
        plot_grad_flow(3)


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)   # import fails
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_grad_flow(trained_model().named_parameters())


# -- GradcheckError keeps the Jacobians ---------------------------------------------------
M = np.array([[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]])   # (3, 2)


class MatmulWrongWeightGrad(al.autograd.Function):
    """x @ m, whose gradient for m is 10% too large; the one for x is right."""

    @staticmethod
    def forward(ctx, x, m):
        ctx.save_for_backward(x, m)
        return x @ m

    @staticmethod
    def backward(ctx, grad_output):
        x, m = ctx.saved_tensors
        return grad_output @ m.mT, (x.mT @ grad_output) * 1.1


def matmul_inputs():
    x = np.random.default_rng(1).standard_normal((4, 3))
    return (al.tensor(x, dtype=al.float64, requires_grad=True),
            al.tensor(M, dtype=al.float64, requires_grad=True))


def finite_difference_jacobian(f, arrays, which: int, eps: float = 1e-6) -> np.ndarray:
    """(out numel, in numel) Jacobian of NumPy function ``f`` in argument ``which``."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out_size = np.asarray(f(*arrays)).size
    target = arrays[which]
    jac = np.zeros((out_size, target.size))
    for c in range(target.size):
        flat = target.reshape(-1)
        saved = flat[c]
        flat[c] = saved + eps
        hi = np.asarray(f(*arrays)).reshape(-1)
        flat[c] = saved - eps
        lo = np.asarray(f(*arrays)).reshape(-1)
        flat[c] = saved
        jac[:, c] = (hi - lo) / (2 * eps)
    return jac


@pytest.mark.parametrize("fast_mode", [False, True])
def test_a_mismatch_error_keeps_both_jacobians(fast_mode):
    x, m = matmul_inputs()
    with pytest.raises(GradcheckError) as info:
        gradcheck(MatmulWrongWeightGrad.apply, (x, m), fast_mode=fast_mode)
    err = info.value
    assert (err.output_index, err.input_index) == (0, 1)   # m is input 1; x (input 0) is right
    # the message is the one gradcheck always wrote
    first = "Jacobian mismatch for output 0 with respect to input 1"
    assert str(err).startswith(first + ("" if not fast_mode else " (fast mode)"))
    assert "numerical" in str(err) and "analytical" in str(err)

    fd = finite_difference_jacobian(np.matmul, [x.detach().numpy(), M], which=1)
    assert fd.shape == (8, 6)   # (output numel, input numel): out is (4, 2), m is (3, 2)
    # by hand: d out[i, k] / d m[j, k'] = x[i, j] if k == k'
    exact = np.einsum("ij,kl->ikjl", x.detach().numpy(), np.eye(2)).reshape(8, 6)
    np.testing.assert_allclose(fd, exact, atol=1e-8)
    assert err.numerical.shape == err.analytical.shape == (8, 6)
    assert err.numerical.dtype == err.analytical.dtype == np.float64
    np.testing.assert_allclose(err.numerical, fd, atol=1e-8)
    np.testing.assert_allclose(err.analytical, 1.1 * exact, atol=1e-12)


def test_other_gradcheck_errors_have_no_jacobians():
    class NotMultipliedByGradOutput(al.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t.sum()

        @staticmethod
        def backward(ctx, grad_output):
            return al.ones(3, dtype=al.float64)

    x = al.tensor([1.0, 2.0, 3.0], dtype=al.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="backward not multiplied by grad_output") as info:
        gradcheck(NotMultipliedByGradOutput.apply, (x,))
    err = info.value
    assert (err.numerical, err.analytical, err.output_index, err.input_index) == (None,) * 4
    with pytest.raises(ValueError, match="not a Jacobian mismatch.*backward not multiplied"):
        plot_jacobians(err)


def test_jacobians_returns_every_block_as_gradcheck_sees_them():
    x, m = matmul_inputs()
    numerical, analytical = jacobians(MatmulWrongWeightGrad.apply, (x, m))
    assert len(numerical) == len(analytical) == 1 and len(numerical[0]) == 2
    xs = x.detach().numpy()
    np.testing.assert_allclose(numerical[0][0],
                               finite_difference_jacobian(np.matmul, [xs, M], 0), atol=1e-8)
    np.testing.assert_allclose(analytical[0][0], numerical[0][0], atol=1e-8)   # right
    np.testing.assert_allclose(analytical[0][1], 1.1 * numerical[0][1], atol=1e-8)   # 10% off
    with pytest.raises(ValueError, match="no output of func requires grad"):
        jacobians(lambda t: t.detach(), (x,))


# -- plot_jacobians -----------------------------------------------------------------------
def test_plot_jacobians_from_an_error_draws_its_arrays_and_their_difference():
    x, m = matmul_inputs()
    with pytest.raises(GradcheckError) as info:
        gradcheck(MatmulWrongWeightGrad.apply, (x, m))
    err = info.value
    fig = plot_jacobians(err)
    heat = image_axes(fig)
    assert len(heat) == 3
    assert len(fig.axes) == 6   # and a colorbar for each
    data = [np.asarray(ax.images[0].get_array()) for ax in heat]
    np.testing.assert_array_equal(data[0], err.numerical)
    np.testing.assert_array_equal(data[1], err.analytical)
    np.testing.assert_array_equal(data[2], err.analytical - err.numerical)
    assert [ax.get_title() for ax in heat] == [
        "numerical (central differences)", "analytical (backward passes)",
        "analytical − numerical"]
    # the same color scale for the two Jacobians; the difference centred at 0
    assert heat[0].images[0].get_clim() == heat[1].images[0].get_clim()
    low, high = heat[2].images[0].get_clim()
    worst = np.abs(err.analytical - err.numerical).max()
    assert (low, high) == pytest.approx((-worst, worst))
    title = fig.get_suptitle()
    assert "output 0 with respect to input 1" in title
    assert f"max |analytical − numerical| = {worst:.3g}" in title
    assert heat[0].get_xlabel() == "input 1 entry (column)"
    assert heat[0].get_ylabel() == "output 0 entry (row)"


def test_plot_jacobians_from_a_function_and_inputs():
    rng = np.random.default_rng(2)
    xs, ws = rng.standard_normal(4), rng.standard_normal(4)
    x = al.tensor(xs, dtype=al.float64, requires_grad=True)
    w = al.tensor(ws, dtype=al.float64, requires_grad=True)

    def fn(a, b):
        return (a * b).tanh(), (a * a).sum()

    fig = plot_jacobians(fn, (x, w))   # output 0, input 0 by default
    numerical, analytical, difference = (np.asarray(ax.images[0].get_array())
                                         for ax in image_axes(fig))
    exact = np.diag(ws * (1 - np.tanh(xs * ws) ** 2))
    np.testing.assert_allclose(analytical, exact, atol=1e-12)
    np.testing.assert_allclose(numerical, exact, atol=1e-8)
    np.testing.assert_array_equal(difference, analytical - numerical)

    fig = plot_jacobians(fn, (x, w), output_index=1, input_index=0)
    numerical, analytical, _ = (np.asarray(ax.images[0].get_array()) for ax in image_axes(fig))
    assert analytical.shape == (1, 4)   # a scalar output: one row
    np.testing.assert_allclose(analytical, [2 * xs], atol=1e-12)
    np.testing.assert_allclose(numerical, [2 * xs], atol=1e-7)
    assert "output 1 with respect to input 0" in fig.get_suptitle()


def test_plot_jacobians_bad_input_says_what_to_pass():
    x = al.tensor([1.0, 2.0], dtype=al.float64, requires_grad=True)
    with pytest.raises(ValueError, match="a function needs its inputs"):
        plot_jacobians(lambda t: t * t)
    with pytest.raises(ValueError, match="output_index 1 is out of range"):
        plot_jacobians(lambda t: t * t, (x,), output_index=1)
    with pytest.raises(ValueError, match="input_index 2 is out of range"):
        plot_jacobians(lambda t: t * t, (x,), input_index=2)
    with pytest.raises(TypeError, match="a GradcheckError or a function"):
        plot_jacobians(np.eye(2))
    err = GradcheckError("Jacobian mismatch", numerical=np.eye(2), analytical=np.eye(2),
                         output_index=0, input_index=0)
    with pytest.raises(ValueError, match="pass no inputs"):
        plot_jacobians(err, (x,))


# -- in a notebook ------------------------------------------------------------------------
def test_a_returned_figure_shows_once_as_an_image_in_a_notebook():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    source = (
        "import autograd_lab as al\n"
        "from autograd_lab.viz.plots import plot_grad_flow\n"
        "w = al.tensor([1.0, 2.0], requires_grad=True)\n"
        "(w * w).sum().backward()\n"
        "plot_grad_flow({'w': w})"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}   # Jupyter's default
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3")
    client.execute(env=env)
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["execute_result"]   # shown once
    assert "image/png" in outputs[0].data
    assert outputs[0].data["text/plain"] == "<Figure size 400x400 with 1 Axes>"
