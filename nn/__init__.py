"""scalargrad's neural-network library: modules, layers, losses, optimisers and data, built on `engine.Value`."""

from nn.layers import MLP, Layer, Neuron
from nn.module import Module, load

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "load",
]
