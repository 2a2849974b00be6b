"""scalargrad's neural-network library: modules, layers, losses, optimisers and data, built on `engine.Value`."""

from nn.module import Module, load

__all__ = ["Module", "load"]
