"""The engines behind one small adapter, so that each workload's forward is written once.

A workload's ``loss(ops, ...)`` calls ``ops.relu(h)``, ``ops.softmax(z, dim=-1)``,
``ops.conv2d(x, w, b, padding=1)`` ... and uses ``+ - * @`` on whatever the engine's
tensors are. Each adapter below maps those few names onto its library, using the
library's own function where it has one (``F.cross_entropy``, MyGrad's
``softmax_crossentropy``, HIPS autograd's ``convolve``), as a user of that library would.

Two styles of engine:

* tape-based, PyTorch's API (autograd_lab, torch, MyGrad): make leaf tensors once, then
  each step clears their ``.grad``, runs the forward, calls ``backward()`` and reads
  ``leaf.grad``;
* functional (HIPS autograd): ``autograd.grad(f)`` returns a function that traces ``f``
  on its inputs and returns the gradients.

Either way ``make_step`` returns a ``Step``: calling it runs one forward + backward and
returns the gradients as NumPy arrays (the thing the runner checks and times).

An engine whose package is not importable is skipped (``load`` says why).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Sequence

import numpy as np


class Step:
    """One forward + backward of a workload on one engine.

    ``step()`` returns the gradients as NumPy arrays; ``step.clear()`` drops the
    gradients an engine keeps on its leaves (W6 calls it before measuring memory).
    """

    def __init__(self, run: Callable[[], list[np.ndarray]], clear: Callable[[], None]):
        self.run, self.clear = run, clear

    def __call__(self) -> list[np.ndarray]:
        return self.run()


class Engine:
    """The adapter's interface; the subclasses below fill it in."""

    name = ""  # column heading
    package = ""  # the distribution, for its version

    def version(self) -> str:
        return importlib.metadata.version(self.package)

    def make_step(self, loss: Callable, params: Sequence[np.ndarray],
                  data: Sequence[np.ndarray]) -> Step:
        raise NotImplementedError


class TapeEngine(Engine):
    """An engine with PyTorch's API: leaves with ``requires_grad``, ``backward()``, ``.grad``."""

    def leaf(self, array: np.ndarray):
        """A differentiable leaf holding a copy of ``array`` (same dtype)."""
        raise NotImplementedError

    def constant(self, array: np.ndarray):
        """A non-differentiable input (data, targets, constants)."""
        raise NotImplementedError

    def clear_grad(self, leaf) -> None:
        leaf.grad = None

    def grad_array(self, leaf) -> np.ndarray:
        return leaf.grad.numpy()

    def make_step(self, loss, params, data) -> Step:
        leaves = [self.leaf(p) for p in params]
        constants = [self.constant(d) for d in data]

        def clear() -> None:
            for leaf in leaves:
                self.clear_grad(leaf)

        def run() -> list[np.ndarray]:
            clear()
            loss(self, *leaves, *constants).backward()
            return [self.grad_array(leaf) for leaf in leaves]

        return Step(run, clear)


class TorchLike(TapeEngine):
    """autograd_lab and PyTorch: the same API, so one adapter serves both.

    ``lib`` is the module (``autograd_lab`` or ``torch``), ``F`` its ``nn.functional``.
    """

    def __init__(self, lib, functional):
        self.lib, self.F = lib, functional

    def leaf(self, array):
        return self.lib.tensor(array, requires_grad=True)

    def constant(self, array):
        return self.lib.tensor(array)

    # the maths a workload may use
    def sin(self, x):
        return self.lib.sin(x)

    def tanh(self, x):
        return self.lib.tanh(x)

    def relu(self, x):
        return self.F.relu(x)

    def sum(self, x):
        return x.sum()

    def mean(self, x, dim):
        return x.mean(dim)

    def softmax(self, x, dim):
        return self.F.softmax(x, dim=dim)

    def cross_entropy(self, logits, targets):
        return self.F.cross_entropy(logits, targets)

    def conv2d(self, x, weight, bias, padding):
        return self.F.conv2d(x, weight, bias, padding=padding)


class AutogradLab(TorchLike):
    name = "autograd_lab"
    package = "autograd_lab"

    def __init__(self):
        import autograd_lab
        import autograd_lab.nn.functional

        super().__init__(autograd_lab, autograd_lab.nn.functional)

    def version(self) -> str:
        return self.lib.__version__  # also right when run from a checkout, not installed


class Torch(TorchLike):
    name = "torch"
    package = "torch"

    def __init__(self):
        import torch
        import torch.nn.functional

        torch.set_num_threads(1)  # one thread, as NumPy's BLAS (run.py sets the env vars)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # "cannot set ... after parallel work has started": harmless
            pass
        super().__init__(torch, torch.nn.functional)

    def constant(self, array):
        return self.lib.from_numpy(array)  # no copy: a constant is only read


class MyGrad(TapeEngine):
    """MyGrad (``mygrad``): NumPy-backed tensors with ``backward()``; ``.grad`` is an array."""

    name = "mygrad"
    package = "mygrad"

    def __init__(self):
        import mygrad
        import mygrad.nnet

        self.mg, self.nnet = mygrad, mygrad.nnet

    def leaf(self, array):
        return self.mg.tensor(array)  # a copy, differentiable by default

    def constant(self, array):
        return array  # MyGrad's ops take NumPy arrays as constants

    def clear_grad(self, leaf) -> None:
        leaf.null_grad()

    def grad_array(self, leaf) -> np.ndarray:
        return leaf.grad

    def sin(self, x):
        return self.mg.sin(x)

    def tanh(self, x):
        return self.mg.tanh(x)

    def relu(self, x):
        return self.nnet.activations.relu(x)

    def sum(self, x):
        return x.sum()

    def mean(self, x, dim):
        return self.mg.mean(x, axis=dim)

    def softmax(self, x, dim):
        return self.nnet.activations.softmax(x, axis=dim)

    def cross_entropy(self, logits, targets):
        return self.nnet.losses.softmax_crossentropy(logits, targets)  # the mean

    def conv2d(self, x, weight, bias, padding):
        out = self.nnet.layers.conv_nd(x, weight, stride=1, padding=padding)
        return out + bias.reshape(1, -1, 1, 1)


class HipsAutograd(Engine):
    """HIPS autograd (``autograd``): traces a function of NumPy arrays, ``grad(f)(x)``."""

    name = "HIPS autograd"
    package = "autograd"

    def __init__(self):
        import autograd
        import autograd.numpy
        import autograd.scipy.signal
        import autograd.scipy.special

        self.autograd, self.anp = autograd, autograd.numpy
        self.convolve = autograd.scipy.signal.convolve
        self.logsumexp = autograd.scipy.special.logsumexp

    def make_step(self, loss, params, data) -> Step:
        # grad of a function of one list returns a list: the gradient for each entry
        grad_fn = self.autograd.grad(lambda leaves: loss(self, *leaves, *data))
        params = list(params)
        return Step(lambda: grad_fn(params), lambda: None)

    def sin(self, x):
        return self.anp.sin(x)

    def tanh(self, x):
        return self.anp.tanh(x)

    def relu(self, x):
        return self.anp.maximum(x, 0)

    def sum(self, x):
        return self.anp.sum(x)

    def mean(self, x, dim):
        return self.anp.mean(x, axis=dim)

    def softmax(self, x, dim):
        return self.anp.exp(x - self.logsumexp(x, axis=dim, keepdims=True))

    def cross_entropy(self, logits, targets):
        logp = logits - self.logsumexp(logits, axis=1, keepdims=True)
        return -self.anp.mean(logp[np.arange(len(targets)), targets])

    def conv2d(self, x, weight, bias, padding):
        # autograd's convolve is a true convolution (the kernel flipped); a network's
        # conv2d is a cross-correlation, so flip the kernel back. Its output is (N, O, H, W).
        p = padding
        x = self.anp.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
        out = self.convolve(x, weight[:, :, ::-1, ::-1], axes=([2, 3], [2, 3]),
                            dot_axes=([1], [1]), mode="valid")
        return out + self.anp.reshape(bias, (1, -1, 1, 1))


# The engines in the order of the table's columns (after hand-written NumPy).
ENGINES: dict[str, type[Engine]] = {
    "autograd_lab": AutogradLab,
    "torch": Torch,
    "HIPS autograd": HipsAutograd,
    "mygrad": MyGrad,
}


def load(names: Sequence[str] = tuple(ENGINES)) -> tuple[dict[str, Engine], dict[str, str]]:
    """The engines that import, by name, and for the others the reason they were skipped."""
    loaded, skipped = {}, {}
    for name in names:
        try:
            loaded[name] = ENGINES[name]()
        except ImportError as error:
            skipped[name] = f"not installed ({error})"
    return loaded, skipped

