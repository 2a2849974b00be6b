"""Optimisers (SGD, Adam, AdamW) and a linear learning-rate schedule, with the update rules of `torch.optim`.

An optimiser holds one list of parameters and a learning rate `lr` (torch's single parameter
group). Its state (momentum buffers, Adam's moments) lives in the optimiser object, one entry per
parameter, so two optimisers never share anything. Change the learning rate during training by
assigning `opt.lr`, or with a schedule such as `LinearLR`, stepped once per epoch or iteration. Adam and AdamW
give their settings and state as plain numbers (`state_dict`) and take them back (`load_state_dict`), so a run
can be saved and resumed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from engine import Value, zero_grad
from nn.checks import check_bool, check_count, check_number, check_positive, check_real, check_scale


class Optimizer:
    """Base class: keeps the parameters and `lr`, and clears gradients. Subclasses implement `update`."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        if not isinstance(params, Iterable):
            raise TypeError(f"{type(self).__name__}: params must be a list of Values, e.g. model.parameters()")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        seen = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Value")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: parameter {i} appears more than once")
            seen.add(id(p))
        self.lr = check_scale(lr, "lr")

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0 (backward accumulates into leaves)."""
        zero_grad(self.params)

    def step(self) -> None:
        """Update every parameter from its `.grad`, all or nothing.

        Every `.grad`, `.data` and `lr` is checked, and every new value and optimiser state computed,
        before anything is stored: a non-number raises TypeError and a NaN/infinite gradient ValueError,
        each naming the parameter, and then no parameter, buffer or step count has changed.
        """
        check_scale(self.lr, "lr")  # `opt.lr` is assigned by users and schedules between steps
        grads, data = self._checked()
        new_data, state = self.update(grads, data)
        # Only plain assignments from here on: they cannot fail, so a step never stops halfway.
        for p, d in zip(self.params, new_data):
            p.data = d
        for name, value in state.items():
            setattr(self, name, value)

    def _checked(self) -> tuple[list[float], list[float]]:
        """Every parameter's gradient and value as floats; raises TypeError/ValueError naming the first bad one."""
        grads, data = [], []
        where = f"{type(self).__name__}.step"
        for i, p in enumerate(self.params):
            g, d = p.grad, p.data
            # Floats skip the ABC checks: this runs for every parameter at every step.
            if not (type(g) is float and g - g == 0.0):
                g = check_real(g, f"{where}: parameter {i}'s .grad")
                if not math.isfinite(g):
                    raise ValueError(f"{where}: parameter {i} has gradient {p.grad!r:.40}")
            if type(d) is not float:
                d = check_real(d, f"{where}: parameter {i}'s .data")
            grads.append(g)
            data.append(d)
        return grads, data

    def update(self, grads: list[float], data: list[float]) -> tuple[list[float], dict[str, object]]:
        """The parameters' new values and the optimiser's new state attributes, from checked gradients and values.

        Each optimiser implements it without changing anything itself: `step` stores the results.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay.

    As torch.optim.SGD: g = grad + weight_decay * p; b = g at the first step, then momentum * b + (1 - dampening) * g;
    the step uses g + momentum * b (Nesterov) or b; p -= lr * step. Raises ValueError for negative
    hyper-parameters, or Nesterov without momentum or with dampening.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        dampening: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = check_scale(momentum, "momentum")
        self.weight_decay = check_scale(weight_decay, "weight_decay")
        self.dampening = check_scale(dampening, "dampening")
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        self.buffers: list[float | None] = [None] * len(self.params)

    def update(self, grads: list[float], data: list[float]) -> tuple[list[float], dict[str, object]]:
        lr, mu, wd, damp = self.lr, self.momentum, self.weight_decay, self.dampening
        buffers = list(self.buffers)
        new = []
        for i, (g, d) in enumerate(zip(grads, data)):
            if wd:
                g = g + wd * d
            if mu:
                b = buffers[i]
                b = g if b is None else mu * b + (1.0 - damp) * g
                buffers[i] = b
                g = g + mu * b if self.nesterov else b
            new.append(d - lr * g)
        return new, {"buffers": buffers}


# torch.optim.Adam's and AdamW's defaults
ADAM_LR = 1e-3
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


class Adam(Optimizer):
    """Adam, as torch.optim.Adam: moment estimates m, v of the gradient (plus weight_decay * p), bias-corrected.

    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps). With `decoupled_weight_decay` the decay
    is not added to the gradient but shrinks the parameter first, p *= 1 - lr * weight_decay (AdamW). Raises
    ValueError for lr < 0, betas outside [0, 1), eps <= 0 or weight_decay < 0.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = ADAM_LR,
        betas: tuple[float, float] = ADAM_BETAS,
        eps: float = ADAM_EPS,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.betas = _checked_betas(betas)
        self.eps = check_positive(eps, "eps")
        self.weight_decay = check_scale(weight_decay, "weight_decay")
        self.decoupled_weight_decay = check_bool(decoupled_weight_decay, "decoupled_weight_decay")
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def update(self, grads: list[float], data: list[float]) -> tuple[list[float], dict[str, object]]:
        beta1, beta2 = self.betas
        wd, eps, decoupled = self.weight_decay, self.eps, self.decoupled_weight_decay
        t = self.t + 1
        step_size = self.lr / (1.0 - beta1**t)
        correction2 = math.sqrt(1.0 - beta2**t)
        m, v = list(self.m), list(self.v)
        new = []
        for i, (g, d) in enumerate(zip(grads, data)):
            if wd and decoupled:
                d = d * (1.0 - self.lr * wd)
            elif wd:
                g = g + wd * d
            m[i] = _lerp(m[i], g, 1.0 - beta1)
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            new.append(d - step_size * m[i] / (math.sqrt(v[i]) / correction2 + eps))
        return new, {"t": t, "m": m, "v": v}

    def state_dict(self) -> dict[str, Any]:
        """The settings and the state as plain numbers (JSON-able), to save next to the model and resume training:
        lr, betas, eps, weight_decay, decoupled_weight_decay, and torch's names for the state: the step count
        `step` and, one number per parameter, the moments `exp_avg` and `exp_avg_sq`."""
        return {
            "lr": self.lr,
            "betas": list(self.betas),
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "decoupled_weight_decay": self.decoupled_weight_decay,
            "step": self.t,
            "exp_avg": list(self.m),
            "exp_avg_sq": list(self.v),
        }

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Take the settings and state of `state_dict()` (of this optimiser or one over as many parameters).

        All or nothing: every key and number is checked first, so a missing or unexpected key, a wrong length, a
        non-number or a value a constructor would refuse raises ValueError/TypeError naming the optimiser's
        load_state_dict and the key (and index), and changes nothing. Each value is read once: what is stored is
        what was checked.
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{where}: expected a dict, got {type(state).__name__}")
        expected = self.state_dict().keys()
        missing = [k for k in expected if k not in state]
        unexpected = [k for k in state if k not in expected]
        if missing or unexpected:
            raise ValueError(f"{where}: missing key(s) {missing}, unexpected key(s) {unexpected}")
        read = {key: state[key] for key in expected}
        n = len(self.params)
        checked = {
            "lr": check_scale(read["lr"], f"{where}: lr"),
            "betas": _checked_betas(read["betas"], f"{where}: "),
            "eps": check_positive(read["eps"], f"{where}: eps"),
            "weight_decay": check_scale(read["weight_decay"], f"{where}: weight_decay"),
            "decoupled_weight_decay": check_bool(read["decoupled_weight_decay"], f"{where}: decoupled_weight_decay"),
            "t": check_count(read["step"], f"{where}: step", minimum=0),
            "m": _checked_numbers(read["exp_avg"], n, f"{where}: exp_avg"),
            "v": _checked_numbers(read["exp_avg_sq"], n, f"{where}: exp_avg_sq", minimum=0.0),
        }
        for name, value in checked.items():  # plain assignments: they cannot fail halfway
            setattr(self, name, value)


def _checked_betas(betas: object, where: str = "") -> tuple[float, float]:
    """`betas` as a pair of floats in [0, 1); raises TypeError/ValueError naming beta1 or beta2 (after `where`)."""
    if not isinstance(betas, tuple | list):
        raise TypeError(f"{where}betas must be a pair (beta1, beta2), got {type(betas).__name__}")
    if len(betas) != 2:
        raise ValueError(f"{where}betas must be a pair (beta1, beta2), got {betas!r:.40}")
    return (check_number(betas[0], f"{where}beta1", 0.0, 1.0, below=True),
            check_number(betas[1], f"{where}beta2", 0.0, 1.0, below=True))  # fmt: skip


def _checked_numbers(values: object, n: int, name: str, minimum: float | None = None) -> list[float]:
    """`values` as a list of n finite floats (each >= minimum); raises TypeError/ValueError naming `name[i]`."""
    if not isinstance(values, list | tuple):
        raise TypeError(f"{name} must be a list of {n} numbers, got {type(values).__name__}")
    if len(values) != n:
        raise ValueError(f"{name} must be a list of {n} numbers (one per parameter), got {len(values)}")
    return [check_number(x, f"{name}[{i}]", minimum) for i, x in enumerate(values)]


class AdamW(Adam):
    """AdamW, as torch.optim.AdamW: Adam whose weight decay is decoupled from the gradient (Loshchilov & Hutter),
    p *= 1 - lr * weight_decay before each Adam step, with torch's defaults (weight_decay 0.01). Raises as Adam."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = ADAM_LR,
        betas: tuple[float, float] = ADAM_BETAS,
        eps: float = ADAM_EPS,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, decoupled_weight_decay=True)


def _lerp(start: float, end: float, weight: float) -> float:
    """start + weight * (end - start), rounded as torch.lerp (which Adam's moment uses), so steps agree to the bit."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


class LinearLR:
    """Scale the optimiser's learning rate linearly from start_factor to end_factor over total_iters steps.

    As torch.optim.lr_scheduler.LinearLR: creating it sets lr = base_lr * start_factor; after the k-th
    `step()` lr = base_lr * (start + (end - start) * min(k, total_iters) / total_iters). Raises
    ValueError for start_factor outside (0, 1], end_factor outside [0, 1] or total_iters < 1.
    """

    def __init__(
        self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"LinearLR needs an Optimizer, got {type(optimizer).__name__}")
        self.start_factor = check_number(start_factor, "start_factor", 0.0, 1.0, strict=True)
        self.end_factor = check_number(end_factor, "end_factor", 0.0, 1.0)
        self.total_iters = check_count(total_iters, "total_iters")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        optimizer.lr = self.base_lr * self.start_factor

    def step(self) -> None:
        """Advance the schedule by one step and set the optimiser's lr."""
        self.last_epoch += 1
        k = min(self.last_epoch, self.total_iters)
        factor = self.start_factor + (self.end_factor - self.start_factor) * k / self.total_iters
        self.optimizer.lr = self.base_lr * factor

    def get_last_lr(self) -> list[float]:
        """The learning rate set by the latest step, in a list as torch returns one per parameter group."""
        return [self.optimizer.lr]
