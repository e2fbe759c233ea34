"""The curriculum as a whole: every notebook is shaped for a learner, its exercises ship
unsolved, and a wheel hands the notebooks out (``python -m autograd_lab.notebooks DEST``).

nbval (``make test``) runs the notebooks and compares their outputs; this file checks what
nbval does not: structure, the kernel name, where outputs may be ignored, the package data.
"""

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograd_lab import exercises
from autograd_lab.exercises._registry import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# The kernel JupyterLab names when it opens a notebook; any other name looks edited at once.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _load(path):
    return json.loads(path.read_text())


def _text(cell, key="source"):
    value = cell.get(key, "")
    return "".join(value) if isinstance(value, list) else value


def test_numbered_in_order_with_the_tour_first():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(NOTEBOOKS))) and NOTEBOOKS[0].name == "00_tour.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_reads_as_a_lesson(path):
    nb = _load(path)
    assert nb["metadata"]["kernelspec"] == KERNELSPEC
    cells = nb["cells"]
    first = _text(cells[0])
    assert cells[0]["cell_type"] == "markdown" and first.startswith(f"# {path.name[:2]} · ")
    markdown = "\n".join(_text(c) for c in cells if c["cell_type"] == "markdown")
    assert re.search(r"what you will learn", markdown, re.I), "what the learner will learn"
    assert re.search(r"^## Summary", markdown, re.M), "a Summary section"
    if path != NOTEBOOKS[-1]:
        following = NOTEBOOKS[NOTEBOOKS.index(path) + 1].name
        assert f"]({following})" in markdown, f"a link to the next notebook, {following}"


def _outputs_ignorable(cell) -> bool:
    """What NBVAL_IGNORE_OUTPUT may hide: drawings (SVG), plots (PNG), a tqdm bar."""
    kinds = {k for o in cell.get("outputs", []) for k in o.get("data", {})}
    return bool(kinds & {"image/svg+xml", "image/png"}) or "tqdm" in _text(cell)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_ignored_only_for_pictures(path):
    for n, cell in enumerate(_load(path)["cells"]):
        if cell["cell_type"] == "code" and "NBVAL_IGNORE_OUTPUT" in _text(cell):
            assert _outputs_ignorable(cell), f"cell {n} ignores an output that is no picture"
        assert "NBVAL_SKIP" not in _text(cell), f"cell {n} is skipped"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if int(p.name[:2]) >= 2],
                         ids=lambda p: p.stem)
def test_exercises_ship_unsolved_and_all_are_checked(path):
    nn = path.name[:2]
    exercises.progress()  # imports every nbNN module
    ids = {e for e in EXERCISES if e.startswith(f"{nn}.")}
    assert ids, f"notebook {nn} has exercises (autograd_lab/exercises/nb{nn}.py)"
    stored = []
    for cell in _load(path)["cells"]:
        if cell["cell_type"] == "code" and f"nb{nn}.check_" in _text(cell):
            stored += [_text(o, "text") or _text(o.get("data", {}), "text/plain")
                       for o in cell.get("outputs", [])]
    shown = {m.group(1) for s in stored for m in re.finditer(r"^. (\d\d\.\d+) ", s, re.M)}
    assert shown == ids, "every exercise is checked in its notebook"
    not_attempted = {m.group(1) for s in stored for m in re.finditer(r"^… (\d\d\.\d+) ", s, re.M)}
    assert not_attempted == ids, "exercises ship unsolved: each check says not attempted yet"
    assert (ROOT / "notebooks" / "solutions" / f"nb{nn}.py").exists()


def test_a_wheel_carries_the_curriculum(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(tmp_path)], check=True)
    (wheel,) = tmp_path.glob("autograd_lab-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # and the type information editors and checkers read (tests/test_types.py)
    assert (site / "autograd_lab" / "py.typed").is_file()
    assert (site / "autograd_lab" / "_bound_methods.pyi").is_file()
    where = subprocess.run([sys.executable, "-c", "import autograd_lab.notebooks as n; "
                            "print(n.curriculum_dir())"], cwd=tmp_path,
                           env={"PYTHONPATH": str(site)}, capture_output=True, text=True,
                           check=True)
    assert where.stdout.strip() == str(site / "autograd_lab" / "_curriculum")
    dest = tmp_path / "course"
    run = subprocess.run([sys.executable, "-m", "autograd_lab.notebooks", str(dest)],
                         cwd=tmp_path, env={"PYTHONPATH": str(site)}, capture_output=True,
                         text=True, check=True)
    assert sorted(p.name for p in dest.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    assert (dest / "solutions").is_dir()
    assert run.stdout.startswith(f"copied {len(NOTEBOOKS)} notebooks to {dest}")
    again = subprocess.run([sys.executable, "-m", "autograd_lab.notebooks", str(dest)],
                           cwd=tmp_path, env={"PYTHONPATH": str(site)}, capture_output=True,
                           text=True)
    assert again.returncode == 1 and "pass --force to overwrite" in again.stderr
