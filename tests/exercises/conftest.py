"""Load the solutions in notebooks/solutions/ (not a package: notebooks/ holds notebooks)."""

import importlib.util
from pathlib import Path

import pytest

SOLUTIONS = Path(__file__).resolve().parents[2] / "notebooks" / "solutions"


def load_solution(name: str):
    spec = importlib.util.spec_from_file_location(f"solutions_{name}", SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def solution(request):
    """The solutions module named by the test file: test_nb02.py -> solutions/nb02.py."""
    return load_solution(Path(request.fspath).stem.removeprefix("test_"))
