"""Run the benchmark suite: six workloads, autograd_lab next to hand-written NumPy and peers.

    python benchmarks/run.py            # about 3 minutes; writes docs/benchmarks.md
    python benchmarks/run.py --quick    # under a minute; prints only (unless --output)
    make bench                          # the same as the first, from .venv with the peers

For each workload (``w1_chain.py`` ... ``w6_memory.py``) and each engine that is
installed (autograd_lab, PyTorch, HIPS autograd, MyGrad; see ``engines.py``), the runner
checks the gradients against the hand-written NumPy ones, then times every engine,
interleaved (``timing.py``), and prints the ratios to NumPy next to the issue's targets.

Before anything else it pins every thread pool to one thread: it sets OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS to 1 and re-executes itself (a BLAS reads them
once, when it loads, so setting them from inside a running Python is too late).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout: the package next to this folder
from benchmarks.machine import OPENBLAS_QUIRK_VARS, THREAD_VARS  # noqa: E402 (stdlib only)

REMOVED = "AUTOGRAD_LAB_BENCH_REMOVED"  # what the re-executed runner was started without

# Note [One allocator state for every engine]
# glibc's malloc moves its mmap and trim thresholds as a program frees large blocks: after
# freeing a block of S bytes (up to 32 MiB) it serves blocks below S from its heap and
# gives heap memory back to the kernel only when more than 2*S lie free at the top. Which
# blocks were freed first decides whether a step's arrays reuse warm memory or fault in
# fresh pages (a fresh 4 KiB page costs about a microsecond here: a W2 step that faults
# in 4 MB pays some 1.5 ms for it). With the engines sharing one process, one peer's
# large frees set the thresholds for all the others, so a figure depended on which peers
# were installed and in what order they ran. The timed children therefore start with
# both thresholds fixed where the dynamic rule ends up in a long-running program (the
# state after it has freed a 32 MiB block): every engine then runs in the state a long
# training loop reaches, whoever ran before it. ``--malloc-default`` keeps glibc's
# dynamic rule instead; the page faults per step are reported either way.
FIXED_MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20),
                    "MALLOC_TRIM_THRESHOLD_": str(64 << 20)}


def pin_threads(keep_blas_env: bool) -> None:
    """Re-execute this script with one thread per pool, unless that is already the case.

    Also drops OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (both together), which some machines
    set to work around old OpenBLAS bugs and which make a current NumPy pick a slower
    kernel; they are recorded in the environment so that the report can say so.
    """
    env = dict(os.environ)
    removed = {} if keep_blas_env else {k: env.pop(k) for k in OPENBLAS_QUIRK_VARS if k in env}
    if all(env.get(k) == "1" for k in THREAD_VARS) and not removed:
        return
    env.update(dict.fromkeys(THREAD_VARS, "1"))
    env[REMOVED] = json.dumps({**json.loads(os.environ.get(REMOVED, "{}")), **removed})
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer and shorter repeats, a 20,000-op W3, no 1,000,000-op run; "
                             "prints only, unless --output is given")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the Markdown page (default: docs/benchmarks.md, "
                             "or nothing with --quick)")
    parser.add_argument("--only", default="W1,W2,W3,W4,W5,W6",
                        help="the workloads to run, comma-separated (default: all)")
    parser.add_argument("--keep-blas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE if they are set")
    parser.add_argument("--malloc-default", action="store_true",
                        help="leave glibc's dynamic mmap/trim thresholds in the timed "
                             "processes (by default both are fixed: see run.py)")
    # internal: run one timed workload and pickle its row to a file (see fresh_process_row)
    parser.add_argument("--child", nargs=2, metavar=("WORKLOAD", "RESULT_FILE"),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> int:
    args = parse_args()
    pin_threads(args.keep_blas_env)

    # Imported only now, in the re-executed process: NumPy loads its BLAS on import.
    import numpy as np

    from benchmarks import (
        engines,
        machine,
        report,
        w1_chain,
        w2_mlp,
        w3_scalar_chain,
        w4_broadcast,
        w5_conv,
        w6_memory,
    )

    repeats, min_time = (3, 0.05) if args.quick else (9, 0.2)
    if args.child:
        key, result_file = args.child
        run_child(key, result_file, args.quick, repeats, min_time)
        return 0
    settings = (f"{'A quick run: m' if args.quick else 'M'}edians of {repeats} repeats of at "
                f"least {min_time:g} s each (W3: {w3_scalar_chain.case(args.quick).repeats} "
                "repeats of one call). "
                + ("glibc's malloc thresholds left dynamic (--malloc-default)."
                   if args.malloc_default else
                   "glibc's malloc thresholds fixed for every engine (mmap 32 MiB, trim "
                   "64 MiB: see \"How each figure was measured\")."))
    workloads = {"W1": w1_chain, "W2": w2_mlp, "W3": w3_scalar_chain, "W4": w4_broadcast,
                 "W5": w5_conv, "W6": w6_memory}
    chosen = [key.strip().upper() for key in args.only.split(",")]
    unknown = set(chosen) - set(workloads)
    if unknown:
        sys.exit(f"unknown workload(s): {', '.join(sorted(unknown))}")

    loaded, skipped = engines.load()
    versions = {"numpy": np.__version__, **{n: e.version() for n, e in loaded.items()},
                **dict.fromkeys(skipped)}
    original_env = json.loads(os.environ.get(REMOVED, "{}"))
    machine_lines = machine.describe(versions, original_env)
    print("\n".join(machine_lines), flush=True)

    started = time.perf_counter()
    rows, million_line = [], None
    for key in chosen:
        if key == "W6":
            row = memory_row(w6_memory, loaded)
        else:
            row, line = fresh_process_row(key, args.quick, args.malloc_default)
            million_line = line or million_line
        row.problems.update(skipped)  # not installed: said once, under the tables
        rows.append(row)

    machine_lines.append(
        "load average at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + f"; the run took {time.perf_counter() - started:.0f} s")
    print("\n".join(report.text(rows, settings, million_line)))
    print(machine_lines[-1])
    output = args.output or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    if output:
        hows = {key: workloads[key].HOW for key in chosen}
        command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
        output.write_text(report.markdown(rows, settings, million_line, machine_lines, hows,
                                          command))
        print(f"\nwrote {output}")
    return 1 if any("autograd_lab" in row.problems for row in rows) else 0


def fresh_process_row(key: str, quick: bool, malloc_default: bool = False):
    """Time workload ``key`` in a process of its own, and return its row (and, for W3, the
    1,000,000-op line). One workload's big arrays leave the memory allocator in a state
    (raised mmap and trim thresholds) that changes how fast the next one allocates, and not
    equally for every engine; a fresh process per workload makes each figure independent
    of the order they run in; within it, the allocator's thresholds are fixed (Note [One
    allocator state for every engine]) unless ``malloc_default``."""
    env = dict(os.environ) if malloc_default else dict(os.environ, **FIXED_MALLOC_ENV)
    with tempfile.TemporaryDirectory() as folder:
        result_file = Path(folder) / "row.pickle"
        command = [sys.executable, __file__, "--child", key, str(result_file)]
        subprocess.run(command + (["--quick"] if quick else []), check=True, env=env)
        with result_file.open("rb") as f:
            return pickle.load(f)


def run_child(key: str, result_file: str, quick: bool, repeats: int, min_time: float) -> None:
    """The child of ``fresh_process_row``: time one workload, pickle ``(row, million_line)``."""
    from benchmarks import engines, w1_chain, w2_mlp, w3_scalar_chain, w4_broadcast, w5_conv

    module = {"W1": w1_chain, "W2": w2_mlp, "W3": w3_scalar_chain, "W4": w4_broadcast,
              "W5": w5_conv}[key]
    loaded, _ = engines.load()
    row = timed_row(key, module, loaded, quick, repeats, min_time)
    million_line = None
    if key == "W3" and not quick and "autograd_lab" in loaded:
        million_line, row.extra_ok = run_million(w3_scalar_chain)
        print(million_line, flush=True)
    with open(result_file, "wb") as f:
        pickle.dump((row, million_line), f)


def timed_row(key: str, module, loaded: dict, quick: bool, repeats: int, min_time: float):
    """Check every engine's gradients on one workload, then time them all, interleaved."""
    from benchmarks.common import CheckFailed, check_grads
    from benchmarks.report import Row
    from benchmarks.timing import interleaved

    case = module.case(quick)
    row = Row(key, case.title, case.unit, module.TARGET)
    print(f"\n{case.title}", flush=True)
    # the hand-written version is the reference; this call is also its warm-up
    expected = case.numpy_grads(case.params, case.data)
    steps = {"numpy": lambda: case.numpy_grads(case.params, case.data)}
    for name, engine in loaded.items():
        try:
            step = engine.make_step(case.loss, case.params, case.data)
            check_grads(name, step(), expected, case.rtol, case.atol)  # and its warm-up
            steps[name] = step
        except CheckFailed as error:
            row.problems[name] = f"gradient check failed: {error}"
        except Exception as error:  # an op missing or broken in that engine
            row.problems[name] = f"error: {type(error).__name__}: {error}"
        if name in row.problems:
            print(f"  {row.problems[name]}")
    print(f"  gradients checked: {', '.join(steps)} agree; timing ...", flush=True)
    timings = interleaved(steps, case.repeats or repeats,
                          min_time if case.min_time is None else case.min_time)
    for name, t in timings.items():
        row.figures[name] = (t.median * case.per_call, t.min * case.per_call)
        row.faults[name] = t.median_faults
        print(f"  {name:14} {t.median * case.per_call:10.3g} {case.unit} median, "
              f"{t.min * case.per_call:10.3g} min")
    return row


def memory_row(w6, loaded: dict):
    """W6: each engine's peak memory for one step, each in a fresh process."""
    from benchmarks.report import Row

    row = Row("W6", w6.TITLE, "MB", w6.TARGET, single=True)
    print(f"\n{w6.TITLE}: each engine in a fresh process ...", flush=True)
    for name in ["numpy", *loaded]:
        result = w6.measure(name)
        if "error" in result:
            row.problems[name] = result["error"]
            print(f"  {name:14} {result['error']}")
        else:
            row.figures[name] = (result["mb"], result["mb"])
            print(f"  {name:14} {result['mb']:8.1f} MB  ({result['method']}; the process "
                  f"held {result['baseline_mb']:.0f} MB before the step)")
    return row


def run_million(w3) -> tuple[str, bool]:
    """The 1,000,000-op chain in autograd_lab: one line for the report, and whether it ran."""
    print("  1,000,000-op chain, autograd_lab only ...", flush=True)
    try:
        r = w3.million()
    except Exception as error:  # RecursionError, MemoryError, ...
        return f"W3, 1,000,000 ops, autograd_lab: failed ({type(error).__name__}: {error})", False
    ok = r["grad_ok"]
    line = (f"W3, 1,000,000 ops, autograd_lab only, run once: {r['total_s']:.1f} s "
            f"({r['us_per_op']:.1f} µs/op: forward {r['forward_s']:.1f} s, backward "
            f"{r['backward_s']:.1f} s, freeing the graph {r['free_s']:.1f} s); gradient "
            + ("correct" if ok else f"WRONG ({r['grad']!r}, expected {r['expected']!r})")
            + (" - over the 60 s budget" if r["over_limit"] else "") + ".")
    return line, ok


if __name__ == "__main__":
    sys.exit(main())
