"""W6: the peak memory of one W2 step (forward + backward) at batch 4,096.

Each engine is measured in a fresh Python process of its own (``python -m
benchmarks.w6_memory ENGINE``), so that nothing another engine allocated or cached is
counted, and the process prints its figure as one line of JSON.

What is measured: the growth of the process's resident set (RSS) during one step. The
process sets up the inputs and the engine and runs one warm-up step (lazy imports, BLAS
buffers, first-call caches), drops that step's gradients, then resets the kernel's
high-water mark (writing 5 to ``/proc/self/clear_refs``), reads the current RSS, runs the
measured step, and reads the high-water mark (``VmHWM``) while the gradients are still
held. The figure is high-water mark minus the RSS before: the activations, the saved
values, the gradients and the temporaries at their fullest, plus whatever the engine's
graph itself occupies.

Why RSS and not ``tracemalloc``: NumPy reports its array allocations to tracemalloc,
so tracemalloc would see autograd_lab, MyGrad, HIPS autograd and the hand-written
version fully, but PyTorch allocates through its own C++ allocator, which tracemalloc
never sees: torch would look free (it shows 0 MB). RSS counts every byte the process
touches, whoever allocated it; for the NumPy-based engines the two agree to within 2 MB.
Its catch is that a freed block may stay in the process (malloc keeps it for reuse) and
so hide from the next measurement; hence the fresh process per engine,
and glibc's ``MALLOC_MMAP_THRESHOLD_`` fixed at 128 KiB for the child, so that every
large array gets pages of its own from the kernel and gives them back when freed
(without the variable, glibc raises the threshold after the first large free and then
keeps freed arrays in its heap).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from .common import Target

BATCH = 4096
TARGET = Target(1.2)
ROOT = Path(__file__).resolve().parent.parent
HOW = (f"The W2 step at batch {BATCH:,}, each engine in a fresh process: after one warm-up "
       "step, the growth of the resident set (RSS high-water mark, reset through "
       "`/proc/self/clear_refs`, minus the RSS before the step) during one more step, "
       "gradients included; glibc's `MALLOC_MMAP_THRESHOLD_` fixed at 128 KiB so that freed "
       "arrays go back to the kernel. RSS rather than tracemalloc: tracemalloc sees NumPy's "
       "allocations but not PyTorch's (torch would show 0 MB); for the NumPy-based engines "
       "the two agree to within 2 MB.")
TITLE = f"W6: peak memory of one W2 step at batch {BATCH:,}"


# ---------------------------------------------------------------------------------------
# in the parent: one fresh process per engine
def measure(engine: str, timeout: float = 300.0) -> dict:
    """Run the child for ``engine`` ("numpy" for the hand-written step); its JSON result."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.w6_memory", engine], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"exit {proc.returncode}: {last}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# in the child
def _status_kib(field: str) -> int:
    """A ``VmRSS:``/``VmHWM:`` line of /proc/self/status, in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> bool:
    """Reset the RSS high-water mark to the current RSS (Linux >= 4.0); False if we can't."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child(engine_name: str) -> dict:
    from . import engines, w2_mlp
    from .common import check_grads

    params, data = w2_mlp.make_data(BATCH)
    if engine_name == "numpy":
        step = engines.Step(lambda: w2_mlp.numpy_grads(params, data), lambda: None)
    else:
        loaded, skipped = engines.load([engine_name])
        if skipped:
            return {"error": skipped[engine_name]}
        step = loaded[engine_name].make_step(w2_mlp.loss, params, data)

    step()  # warm-up
    step.clear()
    gc.collect()
    exact = _reset_peak()
    before = _status_kib("VmRSS") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    grads = step()
    peak = _status_kib("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "mb": (peak - before) / 1024, "baseline_mb": before / 1024,
        "method": "VmHWM - VmRSS" if exact else "ru_maxrss delta (peak not reset: a lower bound)",
    }
    if engine_name != "numpy":  # after the measurement, so that it costs it nothing
        check_grads(engine_name, grads, w2_mlp.numpy_grads(params, data), rtol=1e-4, atol=1e-6)
    return result


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1])))
