"""Benchmarks: scalargrad's training step against micrograd, PyTorch and hand-written float loops."""
