"""Tests of ``autograd_lab.trace``: programs traced from the forward and the backward.

This file makes ``tests/trace`` a package, so pytest puts ``tests/`` on ``sys.path`` and
``from opdb.entries import ...`` works here (see ``tests/nn/__init__.py``).
"""
