"""Tests of ``autograd_lab.library``.

This file makes ``tests/library`` a package: pytest (prepend import mode) then puts
``tests/`` on ``sys.path``, so ``from helpers import ...`` works here as in ``tests/``,
and these modules are named ``library.test_*`` (no clash with same-named files elsewhere).
"""
