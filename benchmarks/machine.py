"""What the figures depend on: the CPU, the versions, the BLAS and its threads, the date.

Only the standard library is imported at the top: run.py reads the variable names below
before it re-executes itself, and NumPy must not be loaded by then (see run.py).
"""

from __future__ import annotations

import datetime
import os
import platform

# Variables that change how fast NumPy's matrix products run (see run.py).
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
OPENBLAS_QUIRK_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def cpu_model() -> str:
    """The CPU's name as /proc/cpuinfo gives it (Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            return int(meminfo.readline().split()[1]) / 2**20  # MemTotal, in kB
    except (OSError, ValueError, IndexError):
        return None


def blas() -> list[str]:
    """Each BLAS/OpenMP pool loaded in this process, as threadpoolctl reports it.

    Without threadpoolctl (it is optional), the BLAS NumPy was built against.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        import numpy as np

        try:
            info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
            return [f"{info.get('name', '?')} {info.get('version', '')} (NumPy's build "
                    "configuration; install threadpoolctl for the kernel and threads)"]
        except Exception:  # older NumPy, or a build that does not say
            return ["unknown (install threadpoolctl to see it)"]
    pools = []
    for pool in threadpool_info():
        where = os.path.basename(pool.get("filepath", ""))
        kernel = f", kernel {pool['architecture']}" if pool.get("architecture") else ""
        pools.append(f"{pool.get('internal_api')} {pool.get('version') or ''} ({where}"
                     f"{kernel}), {pool.get('num_threads')} thread(s)")
    return pools


def describe(versions: dict[str, str | None], original_env: dict[str, str]) -> list[str]:
    """Lines describing the machine and the software; ``versions`` maps a name to a
    version or None (not installed); ``original_env`` holds the OpenBLAS variables the
    runner removed for the run."""
    mem = memory_gib()
    lines = [
        f"date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores"
        + (f", {mem:.0f} GiB memory" if mem else ""),
        f"OS: {platform.platform()}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        "versions: " + ", ".join(f"{name} {v}" if v else f"{name} not installed"
                                 for name, v in versions.items()),
        "BLAS: " + "; ".join(blas()),
        "load average (1, 5, 15 min) at the start: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "threads: " + ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in THREAD_VARS),
    ]
    if original_env:
        lines.append("removed for the run (they select a slower OpenBLAS kernel): "
                     + ", ".join(f"{k}={v}" for k, v in original_env.items()))
    else:
        kept = [f"{k}={os.environ[k]}" for k in OPENBLAS_QUIRK_VARS if k in os.environ]
        lines.append("OpenBLAS kernel overrides: " + (", ".join(kept) if kept else
                                                      "none set"))
    return lines
