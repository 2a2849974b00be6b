"""scalargrad's neural-network library: modules, layers, losses, optimisers and data, built on `engine.Value`."""

from nn import functional, optim
from nn.containers import LeakyReLU, ReLU, Sequential, Sigmoid, Tanh
from nn.conv import Conv1d, Conv2d
from nn.functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    log_softmax,
    mse_loss,
    softmax,
)
from nn.interop.onnx_export import export_onnx
from nn.interop.torch_export import to_torch
from nn.interop.torch_import import from_torch
from nn.layers import MLP, Layer, Neuron
from nn.loading import load
from nn.module import Module
from nn.pooling import AvgPool1d, AvgPool2d, Flatten, MaxPool1d, MaxPool2d
from nn.recurrent import RNN, GRUCell, LSTMCell, RNNCell, RNNClassifier
from nn.watch.recorder import Recorder

__all__ = [
    "MLP",
    "RNN",
    "AvgPool1d",
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "Flatten",
    "GRUCell",
    "LSTMCell",
    "Layer",
    "LeakyReLU",
    "MaxPool1d",
    "MaxPool2d",
    "Module",
    "Neuron",
    "RNNCell",
    "RNNClassifier",
    "Recorder",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "export_onnx",
    "from_torch",
    "functional",
    "hinge_loss",
    "load",
    "log_softmax",
    "mse_loss",
    "optim",
    "softmax",
    "to_torch",
]
