"""The real-browser test: JupyterLab + Debian's chromium + Playwright (see conftest.py).

This file makes ``tests/browser`` a package, like ``tests/nn``.
"""
