"""Tests of ``autograd_lab.nn``.

This file makes ``tests/nn`` a package, so pytest puts ``tests/`` on ``sys.path`` and
``from helpers import ...`` works here (see ``tests/library/__init__.py``).
"""
