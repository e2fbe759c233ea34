"""Ship the curriculum inside the wheel, so ``python -m autograd_lab.notebooks DEST`` works
after ``pip install autograd_lab``.

The notebooks live in ``notebooks/`` at the top of the repository (where ``make lab`` opens
them), outside the package; setuptools' package data cannot reach there, so ``build_py``
copies them into ``autograd_lab/_curriculum/`` of the build. All other metadata is in
pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CURRICULUM = ("*.ipynb", "solutions/*.py")


class BuildPyWithNotebooks(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads notebooks/ in place
            return
        source = Path(__file__).parent / "notebooks"
        target = Path(self.build_lib) / "autograd_lab" / "_curriculum"
        shutil.rmtree(target, ignore_errors=True)  # a notebook deleted since the last build
        for pattern in CURRICULUM:
            for path in sorted(source.glob(pattern)):
                destination = target / path.relative_to(source)
                self.mkpath(str(destination.parent))
                self.copy_file(str(path), str(destination))


setup(cmdclass={"build_py": BuildPyWithNotebooks})
