"""How much does autograd_lab's graph cost? Timings next to hand-written NumPy and PyTorch.

Two workloads, each run three ways:

* ``chain``: 200 elementwise ops on a 16-element float64 tensor, then ``sum().backward()``.
  The arrays are tiny, so this measures the per-op overhead of recording a node and
  running it backwards. Reported as microseconds per op (forward + backward, total / 200).
* ``mlp``: one training step (forward + backward, no optimizer update) of a
  784-512-512-10 ReLU network on a batch of 256 in float32, with cross-entropy written
  from exp/log/sum. Here the matrix products dominate. Reported as milliseconds per step.

The three ways are autograd_lab; the same maths in NumPy with a backward pass written
by hand (the zero-overhead limit for an engine on NumPy); and PyTorch on the CPU, when it
is importable. Before timing, each workload checks once that all three agree on the
gradients.

    python benchmarks/run.py            # about 30 s
    python benchmarks/run.py --quick    # fewer, shorter repeats
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np

# Run from a checkout without installing: make the package next to this folder importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import autograd_lab as al  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional: its column is then left out.
    torch = None

CHAIN_LENGTH = 200
CHAIN_SIZE = 16
BATCH, LAYERS = 256, (784, 512, 512, 10)
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


# ---------------------------------------------------------------------------------------
# timing
def measure(runs: dict[str, Callable[[], object]], repeats: int, min_time: float) -> dict:
    """Seconds per call of each function in ``runs``, as ``timeit`` would time them.

    Each function is warmed up, then given a loop count: the smallest of 1, 2, 5, 10, 20,
    ... whose loop takes at least ``min_time`` seconds, so that a fast call is not lost in
    the timer's resolution. The repeats take turns (a, b, c, a, b, c, ...), so that a
    burst of load from another process does not hit one contender only, and we keep each
    one's best repeat, as ``timeit``'s documentation advises: slower repeats measure other
    processes competing for the cores (on a small shared machine, often 2x or more).
    """
    timers, numbers = {}, {}
    for name, fn in runs.items():
        fn()  # warm-up: first-call costs (caches, BLAS buffers) are not what we measure
        timers[name] = timeit.Timer(fn)
        for numbers[name] in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
            if timers[name].timeit(numbers[name]) >= min_time:
                break
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name])
    return best


# ---------------------------------------------------------------------------------------
# (a) a chain of elementwise ops
# Step i applies CHAIN_STEPS[i % 4]. Each entry: (forward(x, lib), derivative(x, y)), where
# lib is the module providing sin and tanh (autograd_lab, torch or numpy, which all spell
# them alike) and the derivative, for the hand-written backward, is given in terms of the
# step's input x and output y.
CHAIN_STEPS = (
    (lambda x, lib: x * 1.001, lambda x, y: 1.001),
    (lambda x, lib: x + 0.01, lambda x, y: 1.0),
    (lambda x, lib: lib.sin(x), lambda x, y: np.cos(x)),
    (lambda x, lib: lib.tanh(x), lambda x, y: 1.0 - y * y),
)


def chain_forward(x, lib):
    """The forward of the chain, then its sum."""
    y = x
    for i in range(CHAIN_LENGTH):
        y = CHAIN_STEPS[i % len(CHAIN_STEPS)][0](y, lib)
    return y.sum()


def chain_numpy(x: np.ndarray) -> np.ndarray:
    """Forward and hand-written backward of the chain in NumPy; returns d(sum)/dx."""
    values = [x]  # values[i] is the input of step i, values[i + 1] its output
    for i in range(CHAIN_LENGTH):
        values.append(CHAIN_STEPS[i % len(CHAIN_STEPS)][0](values[-1], np))
    grad = np.ones_like(x)  # d(sum)/d(last output)
    for i in reversed(range(CHAIN_LENGTH)):
        grad = grad * CHAIN_STEPS[i % len(CHAIN_STEPS)][1](values[i], values[i + 1])
    return grad


def chain_framework(x, lib) -> np.ndarray:
    """Forward and backward of the chain with autograd_lab or torch; returns x.grad."""
    x.grad = None
    chain_forward(x, lib).backward()
    return x.grad.numpy()


def bench_chain(repeats: int, min_time: float) -> dict[str, float]:
    """Check the three chains agree, then time each (per op, total / CHAIN_LENGTH)."""
    data = np.random.default_rng(0).standard_normal(CHAIN_SIZE)
    x_al = al.tensor(data, dtype=al.float64, requires_grad=True)
    runs = {
        "autograd_lab": lambda: chain_framework(x_al, al),
        "numpy": lambda: chain_numpy(data),
    }
    if torch is not None:
        x_torch = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        runs["torch"] = lambda: chain_framework(x_torch, torch)
    check_agree("chain", {name: (run(),) for name, run in runs.items()}, rtol=1e-12, atol=1e-14)
    return {name: t / CHAIN_LENGTH for name, t in measure(runs, repeats, min_time).items()}


# ---------------------------------------------------------------------------------------
# (b) one MLP training step
def mlp_data(seed: int = 0):
    """Inputs, integer targets and He-initialised float32 weights, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, LAYERS[0]), dtype=np.float32)
    targets = rng.integers(0, LAYERS[-1], size=BATCH)
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:], strict=True):
        w = rng.standard_normal((fan_in, fan_out), dtype=np.float32) * np.float32(
            np.sqrt(2.0 / fan_in)
        )
        b = np.zeros(fan_out, dtype=np.float32)
        params += [w, b]
    return x, targets, params


def mlp_loss(x, targets, params, lib):
    """Forward of the MLP and its mean cross-entropy, for autograd_lab and torch alike
    (``lib`` is the module: ``al`` or ``torch``).

    The log-softmax subtracts the row maximum (detached: a constant shift that changes
    nothing but keeps exp from overflowing), then the log of the sum of exponentials.
    """
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = h.relu()
    shifted = h - h.amax(dim=1, keepdim=True).detach()
    logp = shifted - shifted.exp().sum(1, keepdim=True).log()
    return -logp[lib.arange(len(targets)), targets].mean()


def mlp_numpy(x, targets, params) -> list[np.ndarray]:
    """Forward and hand-written backward of the MLP step in NumPy; returns the gradients."""
    # forward, keeping each layer's input and pre-activation
    h, layer_inputs, pre_acts = x, [], []
    for i in range(0, len(params), 2):
        layer_inputs.append(h)
        z = h @ params[i] + params[i + 1]
        pre_acts.append(z)
        h = np.maximum(z, 0) if i + 2 < len(params) else z
    shifted = h - h.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    softmax = e / e.sum(axis=1, keepdims=True)
    # backward: d(mean cross-entropy)/dlogits = (softmax - onehot) / batch
    grad = softmax
    grad[np.arange(len(targets)), targets] -= 1
    grad /= len(targets)
    grads = [None] * len(params)
    for layer in reversed(range(len(params) // 2)):
        w = params[2 * layer]
        grads[2 * layer] = layer_inputs[layer].T @ grad
        grads[2 * layer + 1] = grad.sum(axis=0)
        if layer > 0:
            grad = (grad @ w.T) * (pre_acts[layer - 1] > 0)
    return grads


def mlp_framework(x, targets, params, lib) -> list[np.ndarray]:
    """One step with autograd_lab or torch: fresh grads, forward, backward."""
    for p in params:
        p.grad = None
    mlp_loss(x, targets, params, lib).backward()
    return [p.grad.numpy() for p in params]


def bench_mlp(repeats: int, min_time: float) -> dict[str, float]:
    """Check the three MLP steps agree, then time each (per step)."""
    x, targets, params = mlp_data()
    al_args = (
        al.tensor(x),
        al.tensor(targets),
        [al.tensor(p, requires_grad=True) for p in params],
        al,
    )
    runs = {
        "autograd_lab": lambda: mlp_framework(*al_args),
        "numpy": lambda: mlp_numpy(x, targets, params),
    }
    if torch is not None:
        torch_args = (
            torch.from_numpy(x),
            torch.from_numpy(targets),
            [torch.tensor(p, requires_grad=True) for p in params],
            torch,
        )
        runs["torch"] = lambda: mlp_framework(*torch_args)
    # float32 sums of a few hundred terms, in different orders: agree to ~1e-6 relative
    check_agree("mlp", {name: run() for name, run in runs.items()}, rtol=1e-4, atol=1e-6)
    return measure(runs, repeats, min_time)


# ---------------------------------------------------------------------------------------
# checking and reporting
def check_agree(bench: str, grads: dict[str, tuple], rtol: float, atol: float) -> None:
    """Assert every implementation's gradients equal the hand-written NumPy ones."""
    reference = grads["numpy"]
    for name, got in grads.items():
        for i, (g, ref) in enumerate(zip(got, reference, strict=True)):
            assert g.shape == ref.shape and g.dtype == ref.dtype, (
                f"{bench}: {name} gradient {i} is {g.dtype}{list(g.shape)}, "
                f"expected {ref.dtype}{list(ref.shape)}"
            )
            assert np.allclose(g, ref, rtol=rtol, atol=atol), (
                f"{bench}: {name} gradient {i} differs from NumPy's by up to "
                f"{np.abs(g - ref).max():.3g}"
            )
    print(f"check {bench}: gradients of {', '.join(grads)} agree (rtol={rtol:g}, atol={atol:g})")


def numpy_blas() -> str:
    """The BLAS library NumPy was built against, as NumPy reports it (numpy >= 1.26)."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # older NumPy, or a build that does not say
        return "unknown"
    return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()


def machine_info() -> list[str]:
    """What the numbers depend on: versions, cores, threads, BLAS settings."""
    lines = [
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"autograd_lab {al.__version__}, "
        + (
            f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
            if torch
            else "torch not installed"
        ),
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        f"numpy BLAS: {numpy_blas()}",
    ]
    # Set on some machines to work around old OpenBLAS bugs; they can slow NumPy's matmul.
    env = [f"{k}={os.environ[k]}" for k in BLAS_ENV if k in os.environ]
    lines.append(
        "BLAS environment: "
        + (", ".join(env) if env else "none of " + ", ".join(BLAS_ENV) + " set")
    )
    return lines


def table(results: dict[str, tuple[str, float, dict[str, float]]]) -> list[str]:
    """One row per workload: the times, then the ratios to NumPy and to torch."""
    names = ["autograd_lab", "numpy", "torch"]
    header = (
        f"{'benchmark':<22}{'unit':<9}"
        + "".join(f"{n:>14}" for n in names)
        + f"{'al/numpy':>10}{'al/torch':>10}"
    )
    rows = [header, "-" * len(header)]
    for bench, (unit, scale, timings) in results.items():
        cells = [f"{timings[n] * scale:14.3g}" if n in timings else f"{'-':>14}" for n in names]
        ratios = [
            f"{timings['autograd_lab'] / timings[n]:10.1f}" if n in timings else f"{'-':>10}"
            for n in ("numpy", "torch")
        ]
        rows.append(f"{bench:<22}{unit:<9}" + "".join(cells) + "".join(ratios))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repeats")
    args = parser.parse_args(argv)
    repeats, min_time = (3, 0.05) if args.quick else (7, 0.2)

    print("\n".join(machine_info()))
    chain = bench_chain(repeats, min_time)
    mlp = bench_mlp(repeats, min_time)
    results = {
        f"chain ({CHAIN_LENGTH} ops, n={CHAIN_SIZE})": ("us/op", 1e6, chain),
        f"mlp step (b={BATCH})": ("ms/step", 1e3, mlp),
    }
    print(f"\nforward + backward, best of {repeats} repeats (lower is better)")
    print("\n".join(table(results)))


if __name__ == "__main__":
    main()
