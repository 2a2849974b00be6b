"""Optimisers (SGD, Adam) and a linear learning-rate schedule, with the update rules of `torch.optim`.

An optimiser holds one list of parameters and a learning rate `lr` (torch's single parameter
group). Its state (momentum buffers, Adam's moments) lives in the optimiser object, one entry per
parameter, so two optimisers never share anything. Change the learning rate during training by
assigning `opt.lr`, or with a schedule such as `LinearLR`, stepped once per epoch or iteration.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from engine import Value, zero_grad
from nn.checks import check_count, check_number, check_positive, check_scale


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
        """Update every parameter from its `.grad`. Raises ValueError, changing nothing, on a NaN/infinite gradient."""
        for i, p in enumerate(self.params):
            if not math.isfinite(p.grad):
                raise ValueError(f"{type(self).__name__}.step: parameter {i} has gradient {p.grad!r}")
        self.update()

    def update(self) -> None:
        """Apply one update to the parameters; each optimiser implements it."""
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

    def update(self) -> None:
        lr, mu, wd, damp = self.lr, self.momentum, self.weight_decay, self.dampening
        buffers = self.buffers
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            if mu:
                b = buffers[i]
                b = g if b is None else mu * b + (1.0 - damp) * g
                buffers[i] = b
                g = g + mu * b if self.nesterov else b
            p.data -= lr * g


class Adam(Optimizer):
    """Adam, as torch.optim.Adam: moment estimates m, v of the gradient (plus weight_decay * p), bias-corrected.

    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps). Raises ValueError for lr < 0,
    betas outside [0, 1), eps <= 0 or weight_decay < 0.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, tuple | list):
            raise TypeError(f"betas must be a pair (beta1, beta2), got {type(betas).__name__}")
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r:.40}")
        self.betas = (check_number(betas[0], "beta1", 0.0, 1.0, below=True),
                      check_number(betas[1], "beta2", 0.0, 1.0, below=True))
        self.eps = check_positive(eps, "eps")
        self.weight_decay = check_scale(weight_decay, "weight_decay")
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def update(self) -> None:
        beta1, beta2 = self.betas
        wd, eps = self.weight_decay, self.eps
        self.t += 1
        step_size = self.lr / (1.0 - beta1**self.t)
        correction2 = math.sqrt(1.0 - beta2**self.t)
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / correction2 + eps)


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
