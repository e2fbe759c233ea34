"""The benchmark suite: autograd_lab next to hand-written NumPy and other autodiff engines.

Run it with ``make bench`` or ``python benchmarks/run.py [--quick]``. The modules, in the
order you may want to read them:

* ``common.py``: what a workload hands the runner (a ``Case``), its target, and the
  gradient check made before anything is timed.
* ``engines.py``: one small adapter per engine (autograd_lab, PyTorch, HIPS autograd,
  MyGrad), so that each workload's forward is written once for all of them.
* ``w1_chain.py`` ... ``w6_memory.py``: the six workloads, each with its forward and its
  backward written by hand in NumPy (the zero-overhead limit).
* ``timing.py``: interleaved repeats, medians and minimums.
* ``machine.py``: what the figures depend on (CPU, versions, BLAS, threads).
* ``report.py``: the printed tables and the page ``docs/benchmarks.md``.
* ``run.py``: the runner; it pins every thread pool to one thread first.

``gradcheck_fast.py`` is a separate script (fast vs full ``gradcheck``), not part of the suite.
"""
