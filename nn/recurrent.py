"""Recurrent cells (RNNCell, LSTMCell, GRUCell) and RNN, which unrolls a cell over a sequence.

Parameters, their layouts and the equations are PyTorch's, so weights copy entry by entry:
`weight_ih[G*hidden][input]`, `weight_hh[G*hidden][hidden]`, `bias_ih[G*hidden]`, `bias_hh[G*hidden]`
with G gates stacked in PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n). Each is drawn from
U(-1/sqrt(hidden), 1/sqrt(hidden)) in that order, seedable with `rng=random.Random(...)` or `seed=...`.

A gate's pre-activation W_ih[j]·x + b_ih[j] + W_hh[j]·h + b_hh[j] is ONE `engine.dot` node: the
weights [W_ih[j], W_hh[j], b_hh[j]] against the inputs [x, h, 1], with b_ih[j] as the dot's bias. The
constant 1 lets the second bias ride along exactly (b * 1.0 == b) instead of costing an extra `+` node.
A missing initial state means zeros, as in PyTorch. Backpropagation through time is just `backward()`
on the unrolled graph; the engine walks it without recursion, so thousands of steps are fine.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

from engine import Value, dot
from nn.checks import check_bool, check_count, check_parameter_count, make_rng
from nn.layers import Layer
from nn.module import Module
from nn.nested import Nested, check_shape, flat_values

Vector = list[Value]
LSTMState = tuple[Vector, Vector]


class _CellBase(Module):
    """Parameters and the fused gate pre-activations shared by the cells; `_gates` is G."""

    _gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        name = type(self).__name__
        self.input_size = check_count(input_size, f"{name} input_size")
        self.hidden_size = check_count(hidden_size, f"{name} hidden_size")
        check_bool(bias, f"{name} bias")
        check_parameter_count(_cell_count(self._gates, input_size, hidden_size, bias), name)
        rng = make_rng(rng, seed)
        k = 1.0 / math.sqrt(hidden_size)
        rows = self._gates * hidden_size

        def draw(n: int) -> Vector:
            return [Value(rng.uniform(-k, k)) for _ in range(n)]

        self.weight_ih = [draw(input_size) for _ in range(rows)]
        self.weight_hh = [draw(hidden_size) for _ in range(rows)]
        self.bias_ih = draw(rows) if bias else None
        self.bias_hh = draw(rows) if bias else None

    # ------------------------------------------------------------ checking inputs

    def _vector(self, v: Nested, size: int, where: str) -> Vector:
        check_shape(v, (size,), f"{type(self).__name__} {where}", (where,))
        return flat_values(v)

    def _input(self, x: Nested) -> Vector:
        return self._vector(x, self.input_size, "input")

    def _hidden(self, h: Nested | None, where: str = "h") -> Vector:
        """The state vector `h`, or zeros when it is None."""
        if h is None:
            return [Value(0.0) for _ in range(self.hidden_size)]
        return self._vector(h, self.hidden_size, where)

    def check_state(self, state: Any) -> Any:
        """The state as Values (zeros for None), checked against hidden_size. Raises ValueError on a wrong shape."""
        return self._hidden(state)

    # ------------------------------------------------------------ the fused affine maps

    def _preactivations(self, rows: range, x: Vector, h: Vector) -> Vector:
        """W_ih[j]·x + b_ih[j] + W_hh[j]·h + b_hh[j] for each row j, one dot node each."""
        if self.bias_ih is None or self.bias_hh is None:
            xs = x + h
            return [dot(self.weight_ih[j] + self.weight_hh[j], xs) for j in rows]
        xs = [*x, *h, Value(1.0)]
        w_ih, w_hh, b_ih, b_hh = self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        return [dot([*w_ih[j], *w_hh[j], b_hh[j]], xs, b_ih[j]) for j in rows]

    def _affine(self, weight: list[Vector], bias: Vector | None, j: int, x: Vector) -> Value:
        """weight[j]·x + bias[j] as one dot node."""
        return dot(weight[j], x, None if bias is None else bias[j])

    def step(self, x: Vector, state: Any) -> Any:
        """One step on an input and state already checked (and converted) by `forward` or RNN."""
        raise NotImplementedError

    def forward(self, x: Nested, state: Any = None) -> Any:
        """The next state for input `x` (input_size numbers or Values) and the previous state (None: zeros).

        Raises ValueError with the expected and actual shapes before building any node.
        """
        xs = self._input(x)
        return self.step(xs, self.check_state(state))

    def config(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size, "bias": self.bias_ih is not None}

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        return _cell_count(cls._gates, config["input_size"], config["hidden_size"], config.get("bias", True))

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias_ih is not None else ", bias=False")


def _cell_count(gates: int, input_size: object, hidden_size: object, bias: object) -> int:
    """G*h*(input + h) weights plus 2*G*h biases: the parameter count of a cell with G gates, without building it."""
    n_in, h = check_count(input_size, "input_size"), check_count(hidden_size, "hidden_size")
    return gates * h * (n_in + h) + (2 * gates * h if bias else 0)


class RNNCell(_CellBase):
    """Elman cell, as torch.nn.RNNCell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu); `cell(x, h=None) -> h'`."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, rng, seed)

    def step(self, x: Vector, h: Vector) -> Vector:
        pre = self._preactivations(range(self.hidden_size), x, h)
        return [p.tanh() for p in pre] if self.nonlinearity == "tanh" else [p.relu() for p in pre]

    def config(self) -> dict[str, Any]:
        return {**super().config(), "nonlinearity": self.nonlinearity}

    def extra_repr(self) -> str:
        return super().extra_repr() + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTMCell(_CellBase):
    """LSTM cell, as torch.nn.LSTMCell: `cell(x, (h, c)=None) -> (h', c')`, gates stacked as (i, f, g, o).

    i, f, o = sigmoid(...), g = tanh(...), c' = f * c + i * g, h' = o * tanh(c').
    """

    _gates = 4

    def check_state(self, state: Any) -> LSTMState:
        if state is None:
            return self._hidden(None), self._hidden(None)
        if isinstance(state, list | tuple) and len(state) == 2 and any(s is None for s in state):
            # PyTorch takes both or neither; zeros for one of them would hide a forgotten state.
            missing = "h" if state[0] is None else "c"
            raise ValueError(f"LSTMCell state: {missing} is None; give both h and c, or state=None for zeros")
        # A bare h (a list of numbers) is the usual mistake, so it gets this message rather than "h is a scalar".
        if not isinstance(state, list | tuple) or len(state) != 2 or not isinstance(state[0], list | tuple):
            raise ValueError(
                f"LSTMCell state: expected a pair (h, c) of {self.hidden_size} values each, got {state!r:.80}"
            )
        return self._hidden(state[0], "h"), self._hidden(state[1], "c")

    def step(self, x: Vector, state: LSTMState) -> LSTMState:
        h, c = state
        n = self.hidden_size
        pre = self._preactivations(range(4 * n), x, h)
        h_next, c_next = [], []
        for k in range(n):
            i, f, g, o = pre[k].sigmoid(), pre[n + k].sigmoid(), pre[2 * n + k].tanh(), pre[3 * n + k].sigmoid()
            c_k = f * c[k] + i * g
            c_next.append(c_k)
            h_next.append(o * c_k.tanh())
        return h_next, c_next


class GRUCell(_CellBase):
    """GRU cell, as torch.nn.GRUCell: `cell(x, h=None) -> h'`, gates stacked as (r, z, n).

    r, z = sigmoid(W_i x + b_i + W_h h + b_h), n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
    h' = (1 - z) * n + z * h.
    """

    _gates = 3

    def step(self, x: Vector, h: Vector) -> Vector:
        n = self.hidden_size
        rz = self._preactivations(range(2 * n), x, h)
        out = []
        for k in range(n):
            r, z = rz[k].sigmoid(), rz[n + k].sigmoid()
            j = 2 * n + k
            # r multiplies the h-part including its bias, so the n gate needs two dots instead of one.
            x_part = self._affine(self.weight_ih, self.bias_ih, j, x)
            h_part = self._affine(self.weight_hh, self.bias_hh, j, h)
            out.append((1 - z) * (x_part + r * h_part).tanh() + z * h[k])
        return out


CELLS: dict[str, type[_CellBase]] = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}


class RNN(Module):
    """Unrolls an RNN, LSTM or GRU cell over a sequence: `rnn(xs, state=None) -> (outputs, final_state)`.

    Built from a cell, `RNN(nn.LSTMCell(3, 8))` (or `cell=`), or from sizes and a cell name,
    `RNN(3, 8, cell="lstm")`. `xs` is `[T][input_size]`; `outputs[t]` is the hidden state h after
    step t (use `outputs[-1]` for many-to-one, all of them for many-to-many); the state is h, or
    (h, c) for an LSTM. The cell is the submodule `cell`, so parameter names are `cell.weight_ih` and so on.
    """

    def __init__(
        self,
        input_size: int | _CellBase | None = None,
        hidden_size: int | None = None,
        cell: str | _CellBase = "rnn",
        bias: bool | None = None,
        nonlinearity: str | None = None,
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        if isinstance(input_size, _CellBase):
            if isinstance(cell, _CellBase):
                raise ValueError("RNN: give the cell once, as the first argument or as cell=")
            cell, input_size = input_size, None
        if isinstance(cell, _CellBase):
            given = {"input_size": input_size, "hidden_size": hidden_size, "bias": bias, "nonlinearity": nonlinearity}
            _check_agrees(cell, given, rng is not None or seed is not None)
            self.kind = next(name for name, cls in CELLS.items() if isinstance(cell, cls))
            self.cell: _CellBase = cell
            return
        if cell not in CELLS:
            raise ValueError(f"RNN cell must be one of {', '.join(map(repr, CELLS))}, got {cell!r}")
        self.kind = cell
        extra = {"nonlinearity": nonlinearity or "tanh"} if cell == "rnn" else {}
        if cell != "rnn" and nonlinearity not in (None, "tanh"):
            raise ValueError(f"RNN nonlinearity applies to cell='rnn' only, got {nonlinearity!r} with cell={cell!r}")
        # A missing size reaches the cell as None, whose check names it.
        self.cell = CELLS[cell](
            input_size, hidden_size, True if bias is None else bias, rng=rng, seed=seed, **extra  # type: ignore[arg-type]
        )

    def forward(self, xs: Sequence[Nested], state: Any = None) -> tuple[list[Vector], Any]:
        """Run the cell over `xs` ([T][input_size] numbers or Values) from `state` (None: zeros).

        The whole sequence and the state are checked first: ValueError with expected and actual shapes.
        """
        cell = self.cell
        check_shape(xs, (None, cell.input_size), "RNN input", ("T", "input"))
        state = cell.check_state(state)
        outputs = []
        for x in xs:
            state = cell.step(flat_values(x), state)
            outputs.append(state[0] if isinstance(state, tuple) else state)
        return outputs, state

    def config(self) -> dict[str, Any]:
        cfg = self.cell.config()
        return {**cfg, "cell": self.kind, "nonlinearity": cfg.get("nonlinearity", "tanh")}

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        gates = CELLS[config.get("cell", "rnn")]._gates
        return _cell_count(gates, config["input_size"], config["hidden_size"], config.get("bias", True))


def _check_agrees(cell: _CellBase, given: dict[str, Any], initialised: bool) -> None:
    """Raise ValueError unless every setting given next to a cell instance (not None) is the cell's own."""
    if initialised:
        raise ValueError(f"RNN: rng and seed initialise a new cell; the {type(cell).__name__} given is initialised")
    own = {**cell.config(), "nonlinearity": getattr(cell, "nonlinearity", "tanh")}
    wrong = [f"{name}={value!r} (the cell has {own[name]!r})" for name, value in given.items()
             if value is not None and value != own[name]]
    if wrong:
        raise ValueError(f"RNN: the {type(cell).__name__} given disagrees with " + ", ".join(wrong))


class RNNClassifier(Module):
    """Many-to-one: stacked RNNs read the sequence, a linear Layer maps the last hidden state to the outputs.

    `hidden_size` is one size, or a list of sizes for stacked recurrent layers (each reads the outputs
    of the one before). `model(xs)` for `xs` of shape `[T][input_size]` returns `output_size` linear
    outputs: class scores (logits) for classification, or predictions for regression (e.g. the next
    value). The submodules are `layers.0`, `layers.1`, ... (each an RNN with its `cell`) and `head`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int | Sequence[int],
        output_size: int,
        cell: str = "lstm",
        bias: bool = True,
        nonlinearity: str = "tanh",
        rng: random.Random | None = None,
        seed: int | None = None,
    ) -> None:
        sizes = [hidden_size] if isinstance(hidden_size, int) else list(hidden_size)
        if not sizes:
            raise ValueError("RNNClassifier hidden_size must be a size or a non-empty list of sizes, got []")
        if cell in CELLS:  # else RNN names the unknown cell
            config = {"input_size": input_size, "hidden_size": sizes, "output_size": output_size, "cell": cell,
                      "bias": bias}
            check_parameter_count(self.count_parameters(config), "RNNClassifier")
        rng = make_rng(rng, seed)
        ins = [input_size, *sizes[:-1]]
        self.layers = [RNN(n_in, n_hidden, cell, bias, nonlinearity, rng=rng) for n_in, n_hidden in zip(ins, sizes)]
        self.head = Layer(sizes[-1], output_size, activation=None, rng=rng)

    def forward(self, xs: Sequence[Nested]) -> Vector:
        """The scores for a sequence `[T][input_size]`; the input is checked as `RNN` does (ValueError)."""
        for layer in self.layers:
            xs, _ = layer(xs)
        return self.head(xs[-1])

    def config(self) -> dict[str, Any]:
        first = self.layers[0].config()
        return {
            "input_size": first["input_size"],
            "hidden_size": [layer.cell.hidden_size for layer in self.layers],
            "output_size": self.head.nout,
            "cell": first["cell"],
            "bias": first["bias"],
            "nonlinearity": first["nonlinearity"],
        }

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        hidden = config["hidden_size"]
        sizes = [hidden] if isinstance(hidden, int) else list(hidden)
        if not sizes:
            raise ValueError("RNNClassifier hidden_size is empty")
        gates = CELLS[config.get("cell", "lstm")]._gates
        bias = config.get("bias", True)
        ins = [config["input_size"], *sizes[:-1]]
        recurrent = sum(_cell_count(gates, n_in, n_hidden, bias) for n_in, n_hidden in zip(ins, sizes))
        return recurrent + (sizes[-1] + 1) * check_count(config["output_size"], "output_size")
