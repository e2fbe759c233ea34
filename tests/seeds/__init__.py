"""Ports of the PyTorch test files in ../shared/seeds."""
