"""Built-in ops, one family per module (``pointwise``, ``reductions``, ``views`` ...).

The machinery, one job a module: ``_table`` (the rows), ``_node`` (their graph nodes),
``_apply`` (running an op), ``_promotion``, ``_args``, ``_errors``; ``_kernels`` holds
NumPy plumbing and ``_array_formulas`` the NumPy formulas of hot rows, registered last
because they need every family's rows (Note [Two formulas] in ``_table.py``).
"""

from . import _array_formulas as _array_formulas
