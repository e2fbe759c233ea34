"""Tests of ``al.onnx`` (the package ``autograd_lab/onnx``).

Not named ``tests/onnx``: ``tests/`` is on ``sys.path`` under pytest (``tests/conftest.py``,
no ``tests/__init__.py``), so a package ``tests/onnx`` would be imported as ``onnx`` and
hide the real one.
"""
