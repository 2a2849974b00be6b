"""Where the CPU time of one scalargrad nn.MLP training step goes, phase by phase (optionally cProfile's view).

    python benchmarks/profile_step.py [--steps 20] [--cprofile]

Phases: the forward pass (creating the dot and relu nodes), the loss, zero_grad, `backward_order` (the
walk that orders the graph), the backward rules (`loss.backward()` minus a separate `backward_order`),
and the SGD update. Each phase also shows how much of it the cyclic GC took.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import GcClock, frozen_heap  # noqa: E402
from benchmarks.trainers import scalargrad_mlp  # noqa: E402
from benchmarks.workload import ALPHA, Workload, learning_rate, load_weights, make_workload  # noqa: E402

PHASES = ("forward", "loss", "zero_grad", "backward_order", "backward rules", "update")


def phased_step(work: Workload) -> Callable[[int], dict[str, tuple[float, float]]]:
    """An nn.MLP training step that returns {phase: (seconds, seconds in GC)}."""
    import engine
    import nn

    model = nn.MLP(2, [16, 16, 1])
    load_weights(model, work.weights)
    params = model.parameters()
    clock = GcClock()

    def step(k: int) -> dict[str, tuple[float, float]]:
        marks: list[tuple[float, float]] = []

        def mark() -> None:
            marks.append((clock.clock(), clock.total))

        with clock.installed():
            mark()
            scores = [model(x) for x in work.xs]
            mark()
            loss = nn.hinge_loss(scores, work.ys) + ALPHA * engine.dot(params, params)
            mark()
            model.zero_grad()
            mark()
            engine.backward_order(loss)
            mark()
            loss.backward()
            mark()
            lr = learning_rate(k, work.steps)
            for p in params:
                p.data -= lr * p.grad
            mark()
        spans = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(marks, marks[1:])]
        # loss.backward() walks the graph again; the rules' share is what remains after that walk.
        (walk, walk_gc), (backward, backward_gc) = spans[3], spans[4]
        spans[4] = (backward - walk, backward_gc - walk_gc)
        return dict(zip(PHASES, spans))

    return step


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20, help="steps to average over (default 20)")
    parser.add_argument(
        "--cprofile",
        action="store_true",
        help="also print cProfile's top functions (its overhead inflates small calls)",
    )
    args = parser.parse_args(argv)
    work = make_workload(args.steps)
    step = phased_step(work)
    with frozen_heap():
        results = [step(k) for k in range(args.steps)]
    total = sum(statistics.median(r[p][0] for r in results) for p in PHASES)
    print(f"nn.MLP training step, median of {args.steps} steps per phase (total of medians {total * 1e3:.2f} ms)")
    for phase in PHASES:
        seconds = statistics.median(r[phase][0] for r in results)
        in_gc = statistics.fmean(r[phase][1] for r in results)
        print(f"  {phase:<15} {seconds * 1e3:8.2f} ms  {seconds / total:6.1%}   GC (mean) {in_gc * 1e3:6.2f} ms")
    if args.cprofile:
        # The plain step, without the phase clocks (cProfile would bill the GC's time to them).
        profiler = cProfile.Profile()
        profiled = scalargrad_mlp(work)
        profiler.runcall(lambda: [profiled(k) for k in range(args.steps)])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
