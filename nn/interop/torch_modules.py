"""The two torch modules `nn.to_torch` writes itself, where torch.nn has no twin of a scalargrad layer.

Both run on batches, batch first, like every module `to_torch` returns: `xs` is `[N, T, input]`.
This file imports torch, so nn imports it only when a conversion asks for torch.
"""

from __future__ import annotations

from typing import Any

import torch


class UnrolledRNN(torch.nn.Module):
    """Runs a cell (RNNCell, LSTMCell or GRUCell) over `xs` `[N, T, input]`, as scalargrad's `nn.RNN` does.

    `forward(xs, state=None) -> (outputs [N, T, hidden], final state)`; the state is h, or (h, c) for an LSTM.
    """

    def __init__(self, cell: torch.nn.RNNCellBase) -> None:
        super().__init__()
        self.cell = cell

    def forward(self, xs: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        if xs.dim() != 3:
            raise ValueError(f"UnrolledRNN: expected a batch of sequences [N, T, input], got shape {list(xs.shape)}")
        outputs = []
        for x in xs.unbind(1):
            state = self.cell(x, state)
            outputs.append(state[0] if isinstance(state, tuple) else state)
        return torch.stack(outputs, 1), state


class RNNClassifier(torch.nn.Module):
    """Stacked UnrolledRNNs read `xs` `[N, T, input]`; the Linear `head` maps the last hidden state to the scores."""

    def __init__(self, layers: list[UnrolledRNN], head: torch.nn.Linear) -> None:
        super().__init__()
        self.layers = torch.nn.ModuleList(layers)
        self.head = head

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            xs, _ = layer(xs)
        return self.head(xs[:, -1])
