"""Tests of ``autograd_lab.optim`` (a package, so ``from helpers import ...`` works)."""
