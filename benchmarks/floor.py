"""The floor: the same training step as explicit float loops, forward and backward by hand, with no graph.

`floor_trainer` does the arithmetic the autograd graphs do and nothing else: like them it multiplies
through the zero gradients of flat hinges and of relus that are off. So it shows what a step costs in
pure Python before any bookkeeping of nodes. `sparse_floor_trainer` skips that zero work, as code written
by hand for speed would: it is the floor for an engine that skips nodes whose gradient is zero.
"""

from __future__ import annotations

from benchmarks.workload import ALPHA, Trainer, Workload, learning_rate

Matrix = list[list[float]]


def _forward(ws: list[Matrix], bs: list[list[float]], x: list[float]) -> list[list[float]]:
    """The input and every layer's output for one sample: relu after hidden layers, linear at the end."""
    acts = [x]
    last = len(ws) - 1
    for l, (w, b) in enumerate(zip(ws, bs)):
        out = []
        for row, bias in zip(w, b):
            acc = bias  # bias first, then w[0]*x[0], ...: the order of micrograd's sum(..., b)
            for wi, xi in zip(row, x):
                acc += wi * xi
            out.append(acc if l == last or acc > 0.0 else 0.0)
        acts.append(out)
        x = out
    return acts


def _backward(
    ws: list[Matrix],
    gws: list[Matrix],
    gbs: list[list[float]],
    acts: list[list[float]],
    g_score: float,
    skip_zero: bool,
) -> None:
    """Add one sample's parameter gradients into `gws`/`gbs`, given d(loss)/d(score); with `skip_zero`,
    neurons whose output gradient is 0 are passed over (their contributions are all zero)."""
    g_out = [g_score]
    for l in range(len(ws) - 1, -1, -1):
        x = acts[l]
        if l != len(ws) - 1:
            g_out = [g if a > 0.0 else 0.0 for g, a in zip(g_out, acts[l + 1])]
        g_in = [0.0] * len(x)
        for j, (row, grow, g) in enumerate(zip(ws[l], gws[l], g_out)):
            if skip_zero and g == 0.0:
                continue
            for i, (wi, xi) in enumerate(zip(row, x)):
                grow[i] += g * xi
                g_in[i] += g * wi
            gbs[l][j] += g
        g_out = g_in


def floor_trainer(work: Workload, skip_zero: bool = False) -> Trainer:
    """The training step of `work` as plain float loops; returns the loss before each update."""
    ws = [[list(w) for w, _ in layer] for layer in work.weights]
    bs = [[b for _, b in layer] for layer in work.weights]
    scale = 1.0 / len(work.xs)

    def step(k: int) -> float:
        gws = [[[0.0] * len(row) for row in w] for w in ws]
        gbs = [[0.0] * len(b) for b in bs]
        hinge_sum = 0.0
        for x, y in zip(work.xs, work.ys):
            acts = _forward(ws, bs, x)
            margin = 1.0 + acts[-1][0] * -y
            if margin > 0.0:
                hinge_sum += margin
                _backward(ws, gws, gbs, acts, -y * scale, skip_zero)
            elif not skip_zero:
                _backward(ws, gws, gbs, acts, 0.0, skip_zero)  # a flat hinge: all zero, as in the graphs
        reg_sum = 0.0
        for w, b in zip(ws, bs):
            for row, bias in zip(w, b):
                for p in row:
                    reg_sum += p * p
                reg_sum += bias * bias
        total = hinge_sum * scale + ALPHA * reg_sum
        lr = learning_rate(k, work.steps)
        decay = 2.0 * ALPHA  # d(ALPHA * p * p)/dp
        for w, b, gw, gb in zip(ws, bs, gws, gbs):
            for row, grow in zip(w, gw):
                row[:] = [p - lr * (g + decay * p) for p, g in zip(row, grow)]
            b[:] = [p - lr * (g + decay * p) for p, g in zip(b, gb)]
        return total

    return step


def sparse_floor_trainer(work: Workload) -> Trainer:
    """The floor, skipping the work of zero gradients (flat hinges, relus that are off)."""
    return floor_trainer(work, skip_zero=True)
