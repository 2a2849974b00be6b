"""scalargrad's neural-network library: modules, layers, losses, optimisers and data, built on `engine.Value`."""

from nn import functional
from nn.functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    log_softmax,
    mse_loss,
    softmax,
)
from nn.layers import MLP, Layer, Neuron
from nn.module import Module, load

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "functional",
    "hinge_loss",
    "load",
    "log_softmax",
    "mse_loss",
    "softmax",
]
