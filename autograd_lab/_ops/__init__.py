"""Built-in ops, one family per module; ``_table`` holds the derivative-table machinery."""
