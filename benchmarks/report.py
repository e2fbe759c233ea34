"""The results as two tables, printed and as the Markdown page ``docs/benchmarks.md``.

Table 1 is the issue's: each engine's figure divided by the hand-written NumPy one, the
target and whether autograd_lab meets it. Table 2 holds the figures themselves.
A timed cell shows the median and, in brackets, the minimum (or the ratio of the
minimums); W6's memory is one measurement per engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .common import Target

ENGINES = ("numpy", "autograd_lab", "torch", "HIPS autograd", "mygrad")
PEERS = ("torch", "HIPS autograd", "mygrad")
HEADINGS = {"numpy": "NumPy by hand", "autograd_lab": "autograd_lab", "torch": "PyTorch CPU",
            "HIPS autograd": "HIPS autograd", "mygrad": "MyGrad"}


@dataclass
class Row:
    """One workload's results. ``figures[engine] = (median, minimum)`` in ``unit``."""

    key: str  # "W1"
    title: str
    unit: str
    target: Target
    figures: dict[str, tuple[float, float]] = field(default_factory=dict)
    faults: dict[str, float] = field(default_factory=dict)  # engine: page faults per step
    problems: dict[str, str] = field(default_factory=dict)  # engine: why it has no figure
    single: bool = False  # one measurement per engine (W6): no minimum to show
    extra_ok: bool | None = None  # W3: did the 1,000,000-op chain run (None: not run)

    def ratio(self, engine: str, which: int = 0) -> float | None:
        """``engine``'s figure over NumPy's: which=0 medians, which=1 minimums."""
        if engine not in self.figures or "numpy" not in self.figures:
            return None
        return self.figures[engine][which] / self.figures["numpy"][which]

    def verdict(self) -> str:
        """PASS or MISS for autograd_lab against the target (judged on the medians)."""
        if "autograd_lab" not in self.figures:
            return "FAILED" if "autograd_lab" in self.problems else "-"
        ratio = self.ratio("autograd_lab")
        if ratio is None:  # no NumPy figure to compare with
            return "-"
        met = self.target.met(self.figures["autograd_lab"][0], ratio)
        if self.extra_ok is False:  # W3's 1,000,000-op chain failed
            return "MISS"
        not_run = self.target.extra and self.extra_ok is None
        return ("PASS" if met else "MISS") + (" (1M not run)" if not_run else "")


def _number(x: float) -> str:
    return f"{x:.3g}" if x < 1000 else f"{x:,.0f}"


def figure_cell(row: Row, engine: str) -> str:
    if engine not in row.figures:
        return "-"
    median, minimum = row.figures[engine]
    return _number(median) if row.single else f"{_number(median)} ({_number(minimum)})"


def ratio_cell(row: Row, engine: str) -> str:
    median = row.ratio(engine)
    if median is None:
        return "-"
    return f"{median:.2f}x" if row.single else f"{median:.2f}x ({row.ratio(engine, 1):.2f}x)"


def ratio_table(rows: list[Row], titles: bool = False) -> tuple[list[str], list[list[str]]]:
    """The issue's table; ``titles``: the workload's whole title, not only its key."""
    header = ["workload", *(HEADINGS[e] for e in (*PEERS, "autograd_lab")), "target",
              "result"]
    body = [[r.title if titles else r.key, *(ratio_cell(r, e) for e in (*PEERS, "autograd_lab")),
             r.target.describe(r.unit), r.verdict()] for r in rows]
    return header, body


def figure_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    header = ["workload", "unit", *(HEADINGS[e] for e in ENGINES)]
    body = [[r.key, r.unit, *(figure_cell(r, e) for e in ENGINES)] for r in rows]
    return header, body


def fault_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    """Minor page faults per step (median over the repeats), for the timed rows."""
    header = ["workload", *(HEADINGS[e] for e in ENGINES)]
    body = [[r.key, *(f"{r.faults[e]:,.0f}" if e in r.faults else "-" for e in ENGINES)]
            for r in rows if r.faults]
    return header, body


def text_table(header: list[str], body: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell: the first left-aligned, the rest right."""
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return [line(header), "-" * len(line(header)), *(line(cells) for cells in body)]


def markdown_table(header: list[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(cells) + " |" for cells in body)]


def problems(rows: list[Row]) -> list[str]:
    """Why a cell is empty: an engine not installed, or one whose check failed."""
    seen, lines = set(), []
    for row in rows:
        for engine, why in row.problems.items():
            if why.startswith("not installed"):
                if engine not in seen:
                    seen.add(engine)
                    lines.append(f"{engine}: {why} - left out of every row")
            else:
                lines.append(f"{row.key}, {engine}: {why}")
    return lines


def text(rows: list[Row], settings: str, million: str | None) -> list[str]:
    out = ["", "Workloads:"]
    out += [f"  {r.key}  {r.title.split(': ', 1)[-1]}" for r in rows]
    out += ["", f"Ratio to hand-written NumPy: medians (minimums), lower is better. {settings}"]
    out += text_table(*ratio_table(rows))
    if million:
        out += [million]
    out += ["", "Figures: median (minimum)"]
    out += text_table(*figure_table(rows))
    if any(r.faults for r in rows):
        out += ["", "Minor page faults per step (median)"]
        out += text_table(*fault_table(rows))
    if problems(rows):
        out += ["", "Left out:"] + [f"  {p}" for p in problems(rows)]
    return out


def markdown(rows: list[Row], settings: str, million: str | None, machine: list[str],
             hows: dict[str, str], command: str) -> str:
    """The page docs/benchmarks.md."""
    lines = [
        "# Benchmarks",
        "",
        "autograd_lab next to the same computations written by hand in NumPy (forward and "
        "backward: the zero-overhead limit for an engine on NumPy), PyTorch on the CPU, "
        "HIPS autograd and MyGrad. Every pool at one thread. This page is written by "
        f"`{command}` (`make bench`); the code is in `benchmarks/`, one module per workload.",
        "",
        "## Results",
        "",
        f"Each engine's figure divided by the hand-written NumPy one: the ratio of the "
        f"medians, and in brackets the ratio of the minimums. Lower is better. {settings} "
        "The target is the issue's for autograd_lab, judged on the medians.",
        "",
        *markdown_table(*ratio_table(rows, titles=True)),
        "",
    ]
    if million:
        lines += [million, ""]
    lines += ["The figures: median (minimum) of the repeats; W6 is one measurement.", "",
              *markdown_table(*figure_table(rows)), ""]
    if any(r.faults for r in rows):
        lines += ["Minor page faults per step, median over the repeats (each is a fresh 4 KiB "
                  "page the kernel maps and zeroes on first touch; see \"How each figure was "
                  "measured\"):", "", *markdown_table(*fault_table(rows)), ""]
    if problems(rows):
        lines += ["Left out:", "", *(f"- {p}" for p in problems(rows)), ""]
    lines += ["## Where autograd_lab's time went", "",
              "- **Per-op overhead (W1, W3).** A plain backward may run each hot row's "
              "formula on NumPy arrays (docs/ops.md, \"One formula, and a faster road for a "
              "plain backward\") instead of Tensor ops; "
              "the engine's loop, node creation and tensor creation were trimmed of calls and "
              "allocations; the collector is paused during backward; op nodes show their "
              "saved values through properties rather than a `__getattr__` (which slowed "
              "every attribute read on a node); 0-d tensors take NumPy's scalar math for "
              "`+ - *` with a number; broadcast gradients "
              "are checked in plain Python, and reductions call NumPy's ufunc methods without "
              "their Python wrappers. Judged in instructions per op with "
              "`python benchmarks/instructions.py`, which is repeatable where timings are "
              "not: W1 went from 91.3k to 59.9k, then 52.1k instructions per op (NumPy by "
              "hand: 15.8k); W3 from 56.9k to 42.7k. Issue 11 then made the formulas that "
              "run the ones a learner reads (docs/architecture.md, \"Fast paths: the "
              "rule\"): W1 52.3k to 53.5k, W3 43.1k to 43.6k.",
              "- **Whole rows where PyTorch has them (W2, W5).** `conv2d` is one "
              "`ConvolutionBackward0` (im2col in chunks into one batched product, columns "
              "rebuilt in backward rather than kept) and `cross_entropy` is `LogSoftmax` + "
              "`NllLoss`, instead of chains of generic nodes.",
              "- **Sums over some axes (W4).** NumPy reduces a middle axis of a float array "
              "several times slower than memory allows; such sums (and the engine's "
              "broadcast reductions) run as a product with a vector of ones, through BLAS.",
              "- **Fresh memory (W2, W5, W6).** A leaf's first gradient becomes `.grad` without "
              "a copy when nothing else holds it, as in PyTorch, and relu's backward writes "
              "into its incoming gradient under the same test; the convolution's bias rides "
              "in its product (a row of ones), not a pass of its own. On this machine a fresh "
              "2 MB array costs page faults worth several passes over it, so an array not "
              "allocated is most of what these rows gain.",
              "- **relu's forward (W2, W5)** compares against a row of zeros rather than the "
              "scalar 0, which puts NumPy on its vectorised loop (about twice as fast on W5's "
              "output).",
              "- **Convolution (W5)** beats the hand-written im2col + matmul because it works "
              "in chunks of about 1 MB that stay in cache, where the hand-written version "
              "makes the whole 3.5 MB column matrix once; the hand-written one is the "
              "issue's limit, kept as the plain method.",
              "- **What is left on W2.** With no page faults on either side, the step costs "
              "0.4 to 0.7 ms (4 to 7%, by the run) more than the hand-written one. Set phase "
              "by phase against the same arithmetic written in NumPy (bias and relu out of "
              "place, log-softmax then the loss), which itself costs about 0.1 ms more than "
              "the hand-written step, the backward is within 0.06 ms of that NumPy version (timed "
              "node by node, the eight matrix products take what NumPy's take); the forward "
              "is 0.3 ms slower: the Python that records ten ops. On a 4-4-4-2 network that "
              "Python costs about 5 µs an op; between products that stream megabytes through "
              "the caches it runs cold, at about 20 µs an op. Adding and clamping in place "
              "into a temporary, as the hand-written step does, would need to know that "
              "nothing else holds it, which Python code cannot learn safely from reference "
              "counts (a C caller may hold a borrowed reference), so the engine does not.",
              "",
              "## The machine", "", *(f"- {line}" for line in machine), "",
              "On a small shared machine other processes move the figures, sometimes by 2x; "
              "the engines take turns repeat by repeat, so a burst of outside load is spread "
              "over all of them, and the ratios move much less than the times.", "",
              "## How each figure was measured", "",
              "- Before anything is timed, each engine's gradients are checked against the "
              "hand-written NumPy ones: same dtype as the input (float32 stays float32), same "
              "shape, and `allclose` (float32 tolerances: rtol 1e-4; float64 ones for W1 and "
              "W3). An engine that fails is left out of that row, and said so above.",
              "- Every thread pool at one thread: the runner re-executes itself with "
              "`OMP_NUM_THREADS`, `OPENBLAS_NUM_THREADS` and `MKL_NUM_THREADS` set to 1 and "
              "calls `torch.set_num_threads(1)`. It also removes `OPENBLAS_CORETYPE` and "
              "`OPENBLAS_L2_SIZE` if set (some machines set them to dodge bugs of old OpenBLAS "
              "builds; with a current NumPy they select a slower kernel; `--keep-blas-env` "
              "keeps them).",
              "- Each timed workload runs in a process of its own (W6: each engine in one of "
              "its own): one workload's big arrays leave glibc's allocator with raised mmap and "
              "trim thresholds, which change how fast the next workload allocates, and not "
              "equally for every engine (W5 after W2 in one process read 1.32x; alone, 1.16x).",
              "- Within that process the engines share one allocator, and glibc moves its "
              "thresholds as blocks are freed: whether a step's arrays reuse freed memory or "
              "fault in fresh pages depended on which peers ran before (W5's hand-written step "
              "took 318 to 851 page faults per step in one mix of engines and none in another; "
              "at about a microsecond a page, that moved its figure by 2x). So each timed "
              "process starts with `MALLOC_MMAP_THRESHOLD_` = 32 MiB and "
              "`MALLOC_TRIM_THRESHOLD_` = 64 MiB, where glibc's dynamic rule ends up in a "
              "long-running program, the same for every engine (`--malloc-default` keeps the "
              "dynamic rule), and the minor page faults of each step are counted and shown "
              "above (`getrusage`), so that a figure paid for by fresh memory can be told "
              "apart.",
              "- A timed figure is forward + backward of a whole step, each engine's step "
              "called in a loop long enough to time (see above), the engines taking "
              "turns within each repeat (the order rotating), Python's garbage collector on "
              "(as in a user's program) but blind to the objects that existed before timing "
              "(`gc.freeze()`: otherwise torch's import would slow the Python engines' "
              "collections), and collected before each repeat. The step includes "
              "clearing the leaves' `.grad` and reading the gradients back as NumPy arrays.",
              "- The hand-written NumPy versions are forward plus a backward derived by hand, "
              "op by op; W2's applies bias and ReLU in place and takes ReLU's mask from its "
              "output, as a careful person would (the least time and memory that step takes).",
              "- The peers use their own functions where they have them (each engine's "
              "adapter is in `benchmarks/engines.py`); the forward of each workload is "
              "written once, against that adapter.",
              ""]
    lines += [f"- **{key}**: {how}" for key, how in hows.items()]
    return "\n".join(lines) + "\n"
