"""Time one training step of micrograd's demo in every implementation, in one process, alternating rounds.

python benchmarks/bench.py                      # 10 steps x 3 rounds, about two minutes
python benchmarks/bench.py --steps 100          # the issue's setting (micrograd with GC on takes minutes)
python benchmarks/bench.py --skip-slow          # without micrograd GC on and PyTorch 0-dim tensors
python benchmarks/bench.py --only mlp,floor     # some lines only (keys: see --help)
python benchmarks/bench.py --markdown           # also print the README's Performance table
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import memory  # noqa: E402
from benchmarks.layer_steps import LAYER_STEPS  # noqa: E402
from benchmarks.trainers import IMPLEMENTATIONS, Implementation, Unavailable  # noqa: E402
from benchmarks.workload import Trainer, Workload, make_workload  # noqa: E402

EXTRAS = ("chain", "memory", *LAYER_STEPS)
LOSS_TOLERANCE = 1e-11  # how far any implementation's loss may be from the floor's, at any step
CHAIN_NODES = 1_000_000
MEMORY_NODES = 50_000
DOT_WIDTH = 16


@dataclass
class Run:
    """All timed steps of one implementation across rounds, and its losses (one list per round)."""

    impl: Implementation
    times: list[float] = field(default_factory=list)
    losses: list[list[float]] = field(default_factory=list)
    skipped: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def time_steps(trainer: Trainer, steps: int, gc_off: bool) -> tuple[list[float], list[float]]:
    """Seconds and loss of each step. With `gc_off` the cyclic GC is disabled during each step and the
    step's cyclic garbage is collected after it, untimed (so memory stays bounded over many steps)."""
    gc.collect()
    times, losses = [], []
    for k in range(steps):
        if gc_off:
            gc.disable()
        start = time.perf_counter()
        loss = trainer(k)
        times.append(time.perf_counter() - start)
        if gc_off:
            gc.enable()
            gc.collect()
        losses.append(loss)
    return times, losses


def run_rounds(impls: Sequence[Implementation], work: Workload, rounds: int) -> list[Run]:
    """Run every implementation once per round, round after round, each from fresh initial weights."""
    runs = [Run(impl) for impl in impls]
    for r in range(rounds):
        for run in runs:
            if run.skipped:
                continue
            try:
                trainer = run.impl.make(work)
            except Unavailable as exc:
                run.skipped = str(exc)
                print(f"  skip {run.impl.key}: {exc}", file=sys.stderr, flush=True)
                continue
            times, losses = time_steps(trainer, work.steps, run.impl.gc_off)
            del trainer
            run.times += times
            run.losses.append(losses)
            print(
                f"  round {r + 1}/{rounds} {run.impl.key:<13} {statistics.median(times) * 1e3:10.2f} ms/step",
                file=sys.stderr,
                flush=True,
            )
    gc.collect()
    return [run for run in runs if not run.skipped]


def loss_spread(runs: Sequence[Run], reference: Run) -> float:
    """The largest difference between any run's loss and the reference run's, over all steps and rounds."""
    expected = reference.losses[0]
    return max((abs(a - b) for run in runs for losses in run.losses for a, b in zip(losses, expected)), default=0.0)


def find(runs: Sequence[Run], key: str) -> Run | None:
    return next((run for run in runs if run.impl.key == key), None)


def ratio_text(x: float | None, suffix: str) -> str:
    return "" if x is None else f"{x:,.1f}{suffix}"


def step_table(runs: Sequence[Run]) -> list[list[str]]:
    """Rows: implementation, median/min/max ms per step, speed-up over micrograd (GC on), multiple of the floor."""
    slow, floor = find(runs, "micrograd-gc"), find(runs, "floor")
    rows = []
    for run in runs:
        vs_micrograd = slow.median / run.median if slow else None
        vs_floor = run.median / floor.median if floor else None
        rows.append(
            [
                run.impl.title,
                f"{run.median * 1e3:,.2f}",
                f"{min(run.times) * 1e3:,.2f}",
                f"{max(run.times) * 1e3:,.2f}",
                ratio_text(vs_micrograd, "x faster"),
                ratio_text(vs_floor, "x floor"),
                f"{run.losses[-1][-1]:.15f}",
            ]
        )
    return rows


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool = False) -> None:
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))


@dataclass
class Verdict:
    """One target of the issue: what it asks, what was measured, and PASS / FAIL / n/a."""

    target: str
    measured: str
    ok: bool | None

    @property
    def status(self) -> str:
        return "n/a" if self.ok is None else "PASS" if self.ok else "FAIL"


def speed_verdicts(runs: Sequence[Run], spread: float | None) -> list[Verdict]:
    slow, fast_mg = find(runs, "micrograd-gc"), find(runs, "micrograd")
    floor, mlp, binary = find(runs, "floor"), find(runs, "mlp"), find(runs, "binary")

    def faster(a: Run | None, b: Run | None, at_least: float, what: str) -> Verdict:
        if a is None or b is None:
            return Verdict(what, "not run", None)
        x = b.median / a.median
        return Verdict(what, f"{x:,.1f}x", x >= at_least)

    verdicts = [
        faster(mlp, slow, 80.0, "nn.MLP step >= 80x faster than micrograd (GC on)"),
        Verdict(
            "nn.MLP step <= 3x the floor",
            f"{mlp.median / floor.median:.2f}x" if mlp and floor else "not run",
            mlp.median <= 3.0 * floor.median if mlp and floor else None,
        ),
        faster(binary, slow, 15.0, "binary-op graph >= 15x faster than micrograd (GC on)"),
        faster(binary, fast_mg, 1.0, "binary-op graph faster than micrograd with gc.disable()"),
    ]
    if spread is not None:
        target = f"all losses agree within {LOSS_TOLERANCE:g}"
        verdicts.append(Verdict(target, f"{spread:.1e}", spread <= LOSS_TOLERANCE))
    return verdicts


def chain_report(nodes: int) -> tuple[str, Verdict]:
    """Time the deep chain; also show what micrograd does on a far shorter one."""
    result = memory.deep_chain(nodes)
    try:
        micrograd = f"micrograd on a 2,000-op chain: {memory.micrograd_chain_error(2000)}"
    except ImportError:
        micrograd = "micrograd not installed"
    line = (
        f"{nodes:,}-op chain x*1.0001*...: build {result.build:.2f} s, backward {result.backward:.2f} s, "
        f"free {result.free:.2f} s, gradient {'correct' if result.correct else 'WRONG'} "
        f"(recursion limit {result.recursion_limit}); {micrograd}"
    )
    target = f"{nodes:,}-node chain: backward under the default recursion limit"
    return line, Verdict(target, "works" if result.correct else "fails", result.correct)


def memory_report() -> tuple[list[list[str]], Verdict]:
    """Bytes per node of scalargrad and micrograd graphs, and the verdict on the `x * c` op node."""
    from engine import Value

    cases = [
        ("scalargrad x * 1.0001 (constant kept in the node)", memory.const_chain(Value)),
        ("scalargrad x * w (binary Value * Value)", memory.value_chain(Value)),
        (f"scalargrad dot node, {DOT_WIDTH} inputs + bias (one neuron's sum)", memory.dot_chain(DOT_WIDTH)),
    ]
    sizes = [(label, memory.bytes_per_node(build, MEMORY_NODES)) for label, build in cases]
    try:
        from micrograd.engine import Value as MicroValue
    except ImportError:
        pass
    else:
        micro_binary = memory.bytes_per_node(memory.value_chain(MicroValue), MEMORY_NODES)
        sizes += [
            (
                "micrograd x * 1.0001 (wraps the constant in a Value)",
                memory.bytes_per_node(memory.const_chain(MicroValue), MEMORY_NODES),
            ),
            ("micrograd x * w (binary Value * Value)", micro_binary),
            (
                f"micrograd one neuron's sum, {DOT_WIDTH} inputs (= {2 * DOT_WIDTH} binary nodes)",
                2 * DOT_WIDTH * micro_binary,
            ),
        ]
    rows = [[label, f"{size:,.0f}"] for label, size in sizes]
    const_bytes = sizes[0][1]
    return rows, Verdict("op node (x * 1.0001) <= 200 bytes", f"{const_bytes:.0f} B", const_bytes <= 200)


def layer_rows(wanted: Callable[[str], bool], steps: int, rounds: int) -> list[list[str]]:
    """Time the CNN and LSTM training steps that are wanted and exist; print why the others are skipped."""
    rows = []
    for key, make in LAYER_STEPS.items():
        if not wanted(key):
            continue
        try:
            layer = make()
        except Unavailable as exc:
            print(f"  skip {key}: {exc}", file=sys.stderr, flush=True)
            continue
        times = [t for _ in range(rounds) for t in time_steps(layer.trainer, steps, gc_off=False)[0]]
        median = statistics.median(times)
        rows.append(
            [
                layer.title,
                f"{layer.nodes:,}",
                f"{median * 1e3:,.2f}",
                f"{min(times) * 1e3:,.2f}",
                f"{max(times) * 1e3:,.2f}",
                f"{median / layer.nodes * 1e6:.2f}",
            ]
        )
    return rows


def machine() -> str:
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.date.today().isoformat()}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    keys = [impl.key for impl in IMPLEMENTATIONS] + list(EXTRAS)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10, help="training steps per round (default 10; the issue: 100)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating the implementations (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the initial weights")
    parser.add_argument("--only", default="", help=f"comma-separated keys to run, from: {', '.join(keys)}")
    parser.add_argument("--skip-slow", action="store_true", help="skip micrograd with GC on and PyTorch 0-dim tensors")
    parser.add_argument("--markdown", action="store_true", help="also print the README Performance table")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.rounds < 1:
        parser.error("--steps and --rounds must be >= 1")
    args.only = [k for k in args.only.split(",") if k]
    unknown = sorted(set(args.only) - set(keys))
    if unknown:
        parser.error(f"--only: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(keys)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def wanted(key: str, slow: bool = False) -> bool:
        return (key in args.only) if args.only else not (slow and args.skip_slow)

    print(f"machine: {machine()}")
    work = make_workload(args.steps, args.seed)
    impls = [impl for impl in IMPLEMENTATIONS if wanted(impl.key, impl.slow)]
    print(f"training step: two moons ({len(work.xs)} points), MLP 2-16-16-1, {args.steps} steps x {args.rounds} rounds")
    runs = run_rounds(impls, work, args.rounds)
    verdicts: list[Verdict] = []
    if runs:
        header = ["implementation", "ms/step median", "min", "max", "vs micrograd GC on", "vs floor", "final loss"]
        print()
        print_table(header, step_table(runs))
        reference = find(runs, "floor") or runs[0]
        spread = loss_spread(runs, reference) if len(runs) > 1 else None
        if spread is not None:
            print(f"\nlosses agree: largest difference from {reference.impl.key}'s, over all steps, = {spread:.1e}")
        verdicts += speed_verdicts(runs, spread)
    if wanted("chain"):
        line, verdict = chain_report(CHAIN_NODES)
        print("\n" + line)
        verdicts.append(verdict)
    if wanted("memory"):
        rows, verdict = memory_report()
        print()
        print_table(["graph (tracemalloc)", "bytes/node"], rows)
        verdicts.append(verdict)
    layers = layer_rows(wanted, args.steps, args.rounds)
    if layers:
        print()
        print_table(["scalargrad layer training step", "nodes", "ms/step median", "min", "max", "us/node"], layers)
    print()
    print_table(["target", "measured", "status"], [[v.target, v.measured, v.status] for v in verdicts])
    if args.markdown and runs:
        print(f"\nMeasured on {machine()}; {args.steps} steps x {args.rounds} rounds, median per step.\n")
        rows = [row[:2] + row[4:6] for row in step_table(runs)]
        print_table(["implementation", "ms/step", "vs micrograd GC on", "vs floor"], rows, markdown=True)
    return 1 if any(v.ok is False for v in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
