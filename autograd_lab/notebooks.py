"""Hand a learner the curriculum: ``python -m autograd_lab.notebooks DEST``.

Copies the numbered notebooks (and their solutions) into ``DEST``, from the installed
package (a wheel carries them in ``autograd_lab/_curriculum``) or, in a source checkout,
from ``notebooks/``. Existing files are kept unless ``--force``: a learner's work in a
notebook must never be overwritten by accident.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

__all__ = ["copy_curriculum", "curriculum_dir"]


def curriculum_dir() -> Path:
    """Where this installation keeps the notebooks."""
    installed = Path(__file__).parent / "_curriculum"
    if installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parents[1] / "notebooks"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("this installation of autograd_lab has no notebooks: install it "
                            "from a wheel or a source checkout of the repository")


def copy_curriculum(dest, *, force: bool = False) -> list[Path]:
    """Copy every notebook and solution into ``dest``; return the paths written."""
    source, dest = curriculum_dir(), Path(dest)
    files = sorted(source.glob("*.ipynb")) + sorted(source.glob("solutions/*.py"))
    targets = [dest / f.relative_to(source) for f in files]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise FileExistsError(f"{existing[0]} exists (and {len(existing) - 1} more): choose "
                              "an empty directory, or pass --force to overwrite them")
    for f, t in zip(files, targets, strict=True):
        t.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, t)
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograd_lab.notebooks",
                                     description="Copy the autograd_lab notebooks into DEST.")
    parser.add_argument("dest", help="directory to copy the notebooks into (created if needed)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    try:
        written = copy_curriculum(args.dest, force=args.force)
    except (FileExistsError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    notebooks = sum(1 for p in written if p.suffix == ".ipynb")
    print(f"copied {notebooks} notebooks to {args.dest}; open them with: jupyter lab {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
