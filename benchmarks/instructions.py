"""Instructions per op for W1 and W3, counted by valgrind's callgrind: repeatable figures.

Timings on a shared machine move by 2x with the load; the number of instructions the CPU
runs for the same program does not. That makes this the tool for judging a small change
to the engine's hot path: run it before and after (it takes a minute or two).

    python benchmarks/instructions.py            # W1 and W3
    python benchmarks/instructions.py --only W1

Each figure is (instructions of a run that does the workload N times) minus (the same
run doing it 0 times), divided by N times the number of ops: start-up and imports cancel
out. Hash randomisation and BLAS threads are switched off so that two runs agree exactly.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))
REPEATS = 20


def _w1(mode: str):
    import numpy as np

    from benchmarks import w1_chain

    x0 = np.random.default_rng(0).standard_normal(w1_chain.SIZE)
    if mode == "numpy":
        return lambda: w1_chain.numpy_grads([x0], []), w1_chain.LENGTH
    import autograd_lab as al

    x = al.tensor(x0, requires_grad=True)

    def forward():
        return w1_chain.loss(al, x)

    def step():
        x.grad = None
        forward().backward()
        return x.grad

    return (forward if mode == "forward" else step), w1_chain.LENGTH


def _w3(mode: str):
    import numpy as np

    from benchmarks import w3_scalar_chain as w3

    length = 2_000
    if mode == "numpy":
        return lambda: w3.numpy_grads_of_length(length)([np.array(0.5)], []), length
    import autograd_lab as al

    x = al.tensor(0.5, dtype=al.float64, requires_grad=True)

    def forward():
        return w3.chain(x, length)

    def step():
        x.grad = None
        forward().backward()
        return x.grad

    return (forward if mode == "forward" else step), length


WORKLOADS = {"W1": _w1, "W3": _w3}
MODES = ("numpy", "forward", "step")


def _child(workload: str, mode: str, times: int) -> None:
    """What runs under callgrind: warm up twice, then ``times`` more calls."""
    fn, _ = WORKLOADS[workload](mode)
    fn()
    fn()
    for _ in range(times):
        fn()


def _count(workload: str, mode: str, times: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         __file__, "--child", workload, mode, str(times)],
        env=env, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def per_op(workload: str, mode: str) -> float:
    _, ops = WORKLOADS[workload]("numpy")
    return (_count(workload, mode, REPEATS) - _count(workload, mode, 0)) / (REPEATS * ops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="W1,W3", help="workloads, comma-separated")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        workload, mode, times = args.child
        _child(workload, mode, int(times))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    for workload in args.only.split(","):
        counts = {mode: per_op(workload, mode) for mode in MODES}
        numpy, forward, step = (counts[m] for m in MODES)
        print(f"{workload}: autograd_lab {step:,.0f} instructions/op (forward {forward:,.0f}, "
              f"backward {step - forward:,.0f}); NumPy by hand {numpy:,.0f}; "
              f"ratio {step / numpy:.2f}x")


if __name__ == "__main__":
    main()
