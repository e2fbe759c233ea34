"""How much faster is fast gradcheck? Both modes on one 100x100 float64 input.

Full mode builds the whole 10,000 x 10,000 Jacobian: 20,000 evaluations of the function
(central differences, one input entry at a time) and 2 x 10,000 backward passes (one per
output entry, twice, to check that backward is reentrant). Fast mode compares the single
number ``u^T J v`` for random unit vectors ``u`` and ``v``: two evaluations and two backward
passes per (output, input) pair. Both checks should pass; the script prints their times
and the ratio.

On a shared machine a 100x100 matrix product sometimes stalls for tens of milliseconds
(a multi-threaded BLAS waiting for a busy core; see README.md), which hits fast mode's
few products hard: hence the best of many fast-mode runs.

    python benchmarks/gradcheck_fast.py            # full mode takes a while (tens of seconds)
    python benchmarks/gradcheck_fast.py --size 40  # a smaller input, for a quick look
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

# Run from a checkout without installing: make the package next to this folder importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import autograd_lab as al  # noqa: E402


def func(x):
    return (x @ x).tanh()


def timed(fast_mode: bool, x, repeats: int) -> float:
    """Best wall time of ``repeats`` runs of gradcheck (the check must pass every time)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        assert al.autograd.gradcheck(func, (x,), fast_mode=fast_mode)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100, help="the input is size x size")
    parser.add_argument("--repeats", type=int, default=20, help="fast-mode repeats (best of)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    # scaled so that x @ x stays O(1) and tanh is not saturated
    data = rng.standard_normal((args.size, args.size)) / np.sqrt(args.size)
    x = al.tensor(data, dtype=al.float64, requires_grad=True)

    fast = timed(True, x, args.repeats)
    print(f"fast mode: {fast * 1e3:10.2f} ms   (best of {args.repeats})")
    full = timed(False, x, 1)
    print(f"full mode: {full * 1e3:10.2f} ms   (one run)")
    print(f"full / fast = {full / fast:,.0f}x on a {args.size}x{args.size} input "
          f"({args.size ** 2:,} x {args.size ** 2:,} Jacobian)")


if __name__ == "__main__":
    main()
