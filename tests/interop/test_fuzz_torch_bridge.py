"""Differential fuzz of the torch bridge: random small models are copied exactly or refused naming the module.

A seeded generator builds torch models (dense, convolutional, recurrent cells), with shared activations,
shared and tied Linears, hooks, parametrizations, extra tensors, replaced forwards and unsupported layers
injected at random places. `from_torch` must either give a model whose outputs equal torch's to 1e-9 (and
whose `to_torch` twin does too), or raise a TypeError naming the path of a module the generator changed.
Random scalargrad models with shared modules and parameters go the other way through `to_torch`, with
outputs and every gradient compared. Never a silent difference. FUZZ_MODELS sets how many of each.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fuzzing import time_limit
from test_torch_convert import check_same_function, flat_ours, flat_torch
from torch_oracle import random_nested

import nn

MODELS = int(os.environ.get("FUZZ_MODELS", "300"))
TOL = 1e-9


@dataclass
class Built:
    """A generated torch model, the shape of one sample, and the paths where a change was injected."""

    module: Any
    shape: tuple[int, ...]
    changed: set[str] = field(default_factory=set)
    reused: bool = False  # a child without weights called at two places
    undo: list[Callable[[], None]] = field(default_factory=list)


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class Generator:
    def __init__(self, torch: Any, seed: int) -> None:
        self.t, self.rng = torch, random.Random(seed)
        self.acts: list[tuple[str, Any]] = []  # (first path, instance) of activations, to reuse
        self.linears: list[tuple[str, Any]] = []

    def model(self) -> Built:
        kind = self.rng.choice(["dense", "dense", "dense", "conv", "cell"])
        built = {"dense": self.dense, "conv": self.conv, "cell": self.cell}[kind]()
        built.module = built.module.double()
        for _ in range(self.rng.choice([0, 0, 1, 2])):
            self.inject(built)
        return built

    def activation(self, path: str, built: Built) -> Any:
        if self.acts and self.rng.random() < 0.4:
            built.reused = True
            return self.rng.choice(self.acts)[1]  # the same instance at a second place: it must still convert
        nn_ = self.t.nn
        act = self.rng.choice([nn_.ReLU(), nn_.Tanh(), nn_.Sigmoid(), nn_.LeakyReLU(),
                               nn_.LeakyReLU(self.rng.choice([0.2, 0.01, -0.5]))])
        self.acts.append((path, act))
        return act

    def linear(self, path: str, nin: int, nout: int, built: Built) -> Any:
        same = [(p, lin) for p, lin in self.linears if (lin.in_features, lin.out_features) == (nin, nout)]
        if same and self.rng.random() < 0.2:
            first, lin = self.rng.choice(same)
            built.changed |= {first, path}  # one Linear used twice: tied weights
            return lin
        bias = self.rng.random() > 0.05
        lin = self.t.nn.Linear(nin, nout, bias=bias)
        if not bias:
            built.changed.add(path)
        self.linears.append((path, lin))
        return lin

    def dense_items(self, prefix: str, nin: int, built: Built, depth: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        size = nin
        for i in range(self.rng.randint(1, 5)):
            path = _path(prefix, str(i))
            roll = self.rng.random()
            if roll < 0.45:
                nout = self.rng.randint(1, 4)
                items.append(self.linear(path, size, nout, built))
                size = nout
            elif roll < 0.85:
                items.append(self.activation(path, built))
            elif roll < 0.95 and depth < 2:
                inner, size = self.dense_items(path, size, built, depth + 1)
                items.append(self.t.nn.Sequential(*inner))
            else:
                items.append(self.rng.choice([self.t.nn.Identity(), self.t.nn.Dropout(0.0)]))
                built.changed.add(path)
        return items, size

    def dense(self) -> Built:
        nin = self.rng.randint(1, 4)
        built = Built(None, (nin,))
        if self.rng.random() < 0.15:
            built.module = self.linear("", nin, self.rng.randint(1, 3), built)
        else:
            built.module = self.t.nn.Sequential(*self.dense_items("", nin, built, 0)[0])
        return built

    def conv(self) -> Built:
        nn_ = self.t.nn
        channels, length = self.rng.randint(1, 3), self.rng.randint(6, 9)
        out, k, pad = self.rng.randint(1, 3), self.rng.randint(1, 3), self.rng.randint(0, 1)
        built = Built(None, (channels, length))
        conv = nn_.Conv1d(channels, out, k, padding=pad, bias=self.rng.random() < 0.8)
        pool = self.rng.choice([nn_.MaxPool1d(2), nn_.AvgPool1d(2)])
        size = out * ((length + 2 * pad - k + 1) // 2)
        items = [conv, self.activation("1", built), pool, nn_.Flatten(), self.linear("4", size, 2, built)]
        built.module = nn_.Sequential(*items)
        return built

    def cell(self) -> Built:
        nin, hidden = self.rng.randint(1, 3), self.rng.randint(1, 3)
        cls = self.rng.choice([self.t.nn.RNNCell, self.t.nn.GRUCell, self.t.nn.LSTMCell])
        return Built(cls(nin, hidden, bias=self.rng.random() < 0.8), (nin,))

    def inject(self, built: Built) -> None:
        """Change one random module so that it computes something else, or holds what its class has not."""
        t = self.t
        modules = [(p, m) for p, m in built.module.named_modules(remove_duplicate=False)]
        path, m = self.rng.choice(modules)
        linears = [(p, x) for p, x in modules if type(x) is t.nn.Linear and x.bias is not None and
                   "weight" in x._parameters]  # not yet weight-normed or made plain
        change = self.rng.choice(["hook", "hook-kwargs", "pre-hook", "backward-hook", "parameter", "buffer",
                                  "submodule", "forward", "weight_norm", "parametrization", "tie", "plain", "global"])
        if change in ("weight_norm", "parametrization", "tie", "plain") and not linears:
            change = "hook"
        if change == "hook":
            m.register_forward_hook(lambda mod, i, o: o * 100 if isinstance(o, t.Tensor) else o)
        elif change == "hook-kwargs":
            m.register_forward_hook(lambda mod, a, k, o: o, with_kwargs=True)
        elif change == "pre-hook":
            m.register_forward_pre_hook(lambda mod, i: tuple(x * 2 for x in i))
        elif change == "backward-hook":
            m.register_full_backward_hook(lambda mod, gi, go: None)
        elif change == "parameter":
            m.register_parameter("extra_p", t.nn.Parameter(t.ones(1, dtype=t.float64)))
        elif change == "buffer":
            m.register_buffer("extra_b", t.ones(1, dtype=t.float64))
        elif change == "submodule":
            m.add_module("extra_m", t.nn.ReLU())
            if type(m) is t.nn.Sequential:
                return  # a Sequential calls it: one more step, not a change
        elif change == "forward":
            m.forward = lambda *args: args[0]
        elif change == "weight_norm":
            path, m = self.rng.choice(linears)
            with pytest.warns(FutureWarning):
                t.nn.utils.weight_norm(m)
        elif change == "parametrization":
            path, m = self.rng.choice(linears)

            class Double(t.nn.Module):
                def forward(self, w: Any) -> Any:
                    return 2 * w

            t.nn.utils.parametrize.register_parametrization(m, "weight", Double())
        elif change == "plain":
            path, m = self.rng.choice(linears)
            weight = m.weight.detach().clone()
            del m.weight
            m.weight = weight  # a plain tensor attribute, which Linear.forward still reads
        elif change == "tie":
            (path, m), (other, second) = self.rng.choice(linears), self.rng.choice(linears)
            if m is second or m.weight.shape != second.weight.shape:
                return
            second.weight = m.weight
            built.changed.add(other)
        else:
            handle = t.nn.modules.module.register_module_forward_hook(lambda mod, i, o: o)
            built.undo.append(handle.remove)
            path = ""
        # A shared module is changed at each of its places.
        built.changed |= {p for p, x in modules if x is m} | {path}


def _named(message: str, paths: set[str]) -> bool:
    match = re.match(r"from_torch: (.*?) \(", message)
    if match is None:
        return False
    named = "" if match.group(1) == "the module itself" else match.group(1)
    return named in paths


def _compare(torch: Any, ours: nn.Module, theirs: Any, shape: tuple[int, ...], rng: random.Random) -> None:
    x = random_nested(shape, rng)
    got = [v.data for v in flat_ours(ours(x))]
    with torch.no_grad():
        want = [t.item() for t in flat_torch(theirs(torch.tensor([x], dtype=torch.float64)))]
    assert len(got) == len(want) and all(abs(a - b) <= TOL for a, b in zip(got, want)), (got, want)


def test_from_torch_copies_exactly_or_refuses_naming_the_module(torch):
    counts = {"tried": 0, "converted": 0, "refused": 0, "converted with a child used twice": 0}
    with time_limit(600):
        for seed in range(MODELS):
            built = Generator(torch, seed).model()
            counts["tried"] += 1
            try:
                try:
                    ours = nn.from_torch(built.module)
                except TypeError as exc:
                    assert built.changed, f"seed {seed}: a plain model was refused: {exc}\n{built.module}"
                    assert _named(str(exc), built.changed), f"seed {seed}: {exc} names none of {built.changed}"
                    counts["refused"] += 1
                    continue
                rng = random.Random(seed)
                _compare(torch, ours, built.module, built.shape, rng)
                _compare(torch, ours, nn.to_torch(ours), built.shape, rng)
                counts["converted"] += 1
                assert not built.changed, f"seed {seed}: converted although {built.changed} changed"
                counts["converted with a child used twice"] += built.reused
            finally:
                for undo in built.undo:
                    undo()
    print("from_torch fuzz:", counts)
    assert min(counts.values()) > MODELS // 40, counts


def _our_model(rng: random.Random) -> tuple[nn.Module, tuple[int, ...], bool]:
    """A random scalargrad Sequential of Layers and activations, some used twice; and whether a weight is shared."""
    nin = rng.randint(1, 3)
    size, items, layers, shared = nin, [], [], False
    for _ in range(rng.randint(1, 5)):
        same = [layer for layer in layers if (layer.nin, layer.nout) == (size, size)]
        if same and rng.random() < 0.25:
            items.append(rng.choice(same))
            shared = True
        elif rng.random() < 0.5:
            nout = rng.randint(1, 3)
            layer = nn.Layer(size, nout, rng.choice(["relu", "tanh", None]), seed=rng.randrange(1000))
            items.append(layer)
            layers.append(layer)
            size = nout
        else:
            act = [m for m in items if isinstance(m, nn.ReLU | nn.Tanh)]
            items.append(rng.choice(act) if act and rng.random() < 0.5 else rng.choice([nn.ReLU(), nn.Tanh()]))
    if layers and not shared and rng.random() < 0.1:
        a, b = rng.choice(layers), rng.choice(layers)
        if a is not b and a.nin == b.nin:
            b.neurons[0].w = a.neurons[0].w  # one weight tensor in two layers
            shared = True
    return nn.Sequential(*items), (nin,), shared


def test_to_torch_copies_exactly_or_refuses_shared_parameters(torch):
    counts = {"tried": 0, "converted": 0, "refused": 0}
    for seed in range(MODELS):
        rng = random.Random(seed)
        model, shape, shared = _our_model(rng)
        counts["tried"] += 1
        try:
            twin = nn.to_torch(model)
        except TypeError as exc:
            assert shared, f"seed {seed}: refused a model with nothing shared: {exc}"
            assert re.match(r"to_torch: \d[\w.]* and \d[\w.]* share a parameter", str(exc)), str(exc)
            counts["refused"] += 1
            continue
        assert not shared, f"seed {seed}: converted a model with a shared parameter, the twin trains it apart"
        check_same_function(torch, model, twin, shape, seed)  # outputs and every gradient
        counts["converted"] += 1
    print("to_torch fuzz:", counts)
    assert counts["converted"] > MODELS // 4 and counts["refused"] > MODELS // 20, counts
