"""Fixtures shared by the test files."""

from __future__ import annotations

import pytest

import autograd_lab as al


@pytest.fixture(params=["fast", "definitions"])
def formula_setting(request):
    """Run the test twice: with the fast paths a plain backward may take ("fast"), and
    with only the definitions ("definitions": ``al.autograd.fast_formulas(False)``).
    Use it in a whole file with ``pytestmark = pytest.mark.usefixtures("formula_setting")``.
    """
    with al.autograd.fast_formulas(request.param == "fast"):
        yield request.param
