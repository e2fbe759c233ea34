"""Differential fuzzing against PyTorch and the bad-input sweep (see docs/fuzzing.md)."""
