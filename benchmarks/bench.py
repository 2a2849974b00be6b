"""Time one training step of micrograd's demo in every implementation, in one process, alternating rounds.

python benchmarks/bench.py                      # 10 steps x 3 rounds, about two minutes
python benchmarks/bench.py --steps 100          # the issue's setting (micrograd with GC on takes minutes)
python benchmarks/bench.py --skip-slow          # without micrograd GC on and PyTorch 0-dim tensors
python benchmarks/bench.py --only mlp,floor     # some lines only (keys: see --help)
python benchmarks/bench.py --markdown           # also print the README's Performance table
python benchmarks/bench.py --heap notebook      # as users run it: a notebook's imports alive, nothing frozen
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import importlib
import os
import platform
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import memory  # noqa: E402
from benchmarks.layer_steps import LAYER_STEPS  # noqa: E402
from benchmarks.timing import CLOCKS, Clock, frozen_heap, time_steps  # noqa: E402
from benchmarks.train_run import digits_train  # noqa: E402
from benchmarks.trainers import IMPLEMENTATIONS, Implementation, Unavailable  # noqa: E402
from benchmarks.workload import Workload, make_workload  # noqa: E402

EXTRAS = ("chain", "memory", *LAYER_STEPS, "train")
DIGITS_ACCURACY = 0.97  # held out, with the command line's defaults
LOSS_TOLERANCE = 1e-11  # how far any implementation's loss may be from the floor's, at any step
CHAIN_NODES = 1_000_000
MEMORY_NODES = 50_000
DOT_WIDTH = 16
# What a notebook process holds: the `notebooks` extra's imports (a kernel, widgets, plots, progress bars,
# hypothesis for lesson 6), numpy under matplotlib, and torch where it is installed.
NOTEBOOK_MODULES = (
    "IPython",
    "ipykernel",
    "ipywidgets",
    "matplotlib.pyplot",
    "numpy",
    "tqdm.auto",
    "hypothesis",
    "torch",
)
HEAPS = ("clean", "notebook")


def load_notebook_heap() -> str:
    """Import what a notebook session holds (those installed); returns what was imported and the heap's size."""
    loaded = []
    for name in NOTEBOOK_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        loaded.append(name)
    return f"{', '.join(loaded)} imported; {len(gc.get_objects()):,} objects tracked by the GC"


@dataclass
class Run:
    """All timed steps of one implementation across rounds, and its losses (one list per round)."""

    impl: Implementation
    times: list[float] = field(default_factory=list)
    gc_times: list[float] = field(default_factory=list)
    losses: list[list[float]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def available(impls: Sequence[Implementation], work: Workload) -> list[Implementation]:
    """The implementations that can run here (building each once also does its imports, before any timing)."""
    ready = []
    for impl in impls:
        try:
            impl.make(work)
        except Unavailable as exc:
            print(f"  skip {impl.key}: {exc}", file=sys.stderr, flush=True)
        else:
            ready.append(impl)
    return ready


def run_rounds(
    impls: Sequence[Implementation], work: Workload, rounds: int, clock: Clock = CLOCKS["cpu"], freeze: bool = True
) -> list[Run]:
    """Run every available implementation once per round, round after round, each from fresh initial weights;
    with `freeze`, in a heap frozen out of the collector's sight (see frozen_heap)."""
    runs = [Run(impl) for impl in available(impls, work)]
    with frozen_heap() if freeze else contextlib.nullcontext():
        for r in range(rounds):
            for run in runs:
                steps = time_steps(run.impl.make(work), work.steps, run.impl.gc_off, clock)
                run.times += steps.seconds
                run.gc_times += steps.gc_seconds
                run.losses.append(steps.losses)
                median = statistics.median(steps.seconds) * 1e3
                print(
                    f"  round {r + 1}/{rounds} {run.impl.key:<13} {median:10.2f} ms/step", file=sys.stderr, flush=True
                )
    return runs


def loss_spread(runs: Sequence[Run], reference: Run) -> float:
    """The largest difference between any run's loss and the reference run's, over all steps and rounds."""
    expected = reference.losses[0]
    return max((abs(a - b) for run in runs for losses in run.losses for a, b in zip(losses, expected)), default=0.0)


def find(runs: Sequence[Run], key: str) -> Run | None:
    return next((run for run in runs if run.impl.key == key), None)


def ms(*seconds: float) -> list[str]:
    return [f"{t * 1e3:,.2f}" for t in seconds]


def ratio_text(x: float | None, suffix: str) -> str:
    return "" if x is None else f"{x:,.1f}{suffix}"


STEP_HEADER = ["implementation", "ms/step median", "min", "max", "mean", "in GC", "vs micrograd GC on", "vs floor"]


def step_table(runs: Sequence[Run]) -> list[list[str]]:
    """Rows of STEP_HEADER: ms per step (median, min, max, mean, mean spent in the cyclic GC) and the ratios of
    medians: speed-up over micrograd with GC on, multiple of the floor."""
    slow, floor = find(runs, "micrograd-gc"), find(runs, "floor")
    rows = []
    for run in runs:
        vs_micrograd = slow.median / run.median if slow else None
        vs_floor = run.median / floor.median if floor else None
        times = ms(
            run.median, min(run.times), max(run.times), statistics.fmean(run.times), statistics.fmean(run.gc_times)
        )
        rows.append([run.impl.title, *times, ratio_text(vs_micrograd, "x faster"), ratio_text(vs_floor, "x floor")])
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
        if self.ok is None:
            return "n/a" if self.measured == "not run" else "info"
        return "PASS" if self.ok else "FAIL"


def ratio_verdict(what: str, fast: Run | None, slow: Run | None, ok: Callable[[float], bool] | None) -> Verdict:
    """The verdict `ok(x)` on x = slow median / fast median ('not run' when either line is missing; 'info'
    without `ok`)."""
    if fast is None or slow is None:
        return Verdict(what, "not run", None)
    x = slow.median / fast.median
    return Verdict(what, f"{x:,.2f}x", ok(x) if ok is not None else None)


# The uncompiled binary-op graph against micrograd with GC on when the 15x goal was retired (the compiled step
# carries it): 16x in a clean heap, 6.2-6.7x in a notebook heap, where one run's median moves by a fifth with
# how the full collections fall (5.5x seen). The figure must not fall below these, per heap.
BINARY_TODAY = {"clean": 15.0, "notebook": 5.0}


def speed_verdicts(runs: Sequence[Run], spread: float | None, heap: str = "clean") -> list[Verdict]:
    """The issue's speed targets, and whether every line's losses agree."""
    slow, fast_mg = find(runs, "micrograd-gc"), find(runs, "micrograd")
    mlp, binary, floor = find(runs, "mlp"), find(runs, "binary"), find(runs, "floor")
    verdicts = [
        ratio_verdict("nn.MLP step >= 80x faster than micrograd (GC on)", mlp, slow, lambda x: x >= 80.0),
        ratio_verdict("nn.MLP step <= 3x the floor", find(runs, "floor"), mlp, lambda x: x <= 3.0),
        # The floor is the same arithmetic by hand; a floor that also skips zero gradients is shown
        # for reference (the engine skips zero gradients in its backward rules, not in forward or ordering).
        ratio_verdict("(reference) nn.MLP step / the floor skipping zeros", find(runs, "floor-sparse"), mlp, None),
        ratio_verdict(
            f"binary-op graph >= {BINARY_TODAY[heap]:g}x faster than micrograd (GC on), as before",
            binary,
            slow,
            lambda x: x >= BINARY_TODAY[heap],
        ),
        ratio_verdict("binary-op graph faster than micrograd with gc.disable()", binary, fast_mg, lambda x: x > 1.0),
        ratio_verdict(
            "compiled binary-op step >= 15x faster than micrograd (GC on)",
            find(runs, "binary-compiled"),
            slow,
            lambda x: x >= 15.0,
        ),
        ratio_verdict("compiled nn.MLP step <= 1.2x the floor", floor, find(runs, "mlp-compiled"), lambda x: x <= 1.2),
        ratio_verdict(
            "compiled binary-op step <= 2x the floor", floor, find(runs, "binary-compiled"), lambda x: x <= 2.0
        ),
    ]
    if spread is not None:
        target = f"all losses agree within {LOSS_TOLERANCE:g}"
        verdicts.append(Verdict(target, f"{spread:.1e}", spread <= LOSS_TOLERANCE))
    return verdicts


def chain_report(nodes: int, clock: Clock) -> tuple[str, Verdict]:
    """Time the deep chain; also show what micrograd does on a far shorter one."""
    result = memory.deep_chain(nodes, clock)
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


LAYER_HEADER = [
    "scalargrad layer training step",
    "nodes",
    "ms/step median",
    "min",
    "max",
    "us/node",
    "compiled ms",
    "x faster",
    "trace s",
    "trace lines",
]
LAYER_SPEEDUP = 4.0  # the target for the compiled CNN and LSTM steps


def layer_rows(
    wanted: Callable[[str], bool], steps: int, rounds: int, clock: Clock
) -> tuple[list[list[str]], list[Verdict]]:
    """Time the CNN and LSTM training steps that are wanted and exist, on the graph and compiled, in alternating
    rounds; print why the others are skipped. Returns the rows and the verdicts on the compiled speed-up."""
    rows, verdicts = [], []
    for key, make in LAYER_STEPS.items():
        if not wanted(key):
            continue
        try:
            layer = make()
        except Unavailable as exc:
            print(f"  skip {key}: {exc}", file=sys.stderr, flush=True)
            continue
        times: list[float] = []
        compiled: list[float] = []
        for _ in range(rounds):
            times += time_steps(layer.trainer, steps, False, clock).seconds
            compiled += time_steps(layer.compiled, steps, False, clock).seconds
        median, fast = statistics.median(times), statistics.median(compiled)
        per_node = f"{median / layer.nodes * 1e6:.2f}"
        speedup = median / fast
        rows.append(
            [
                layer.title,
                f"{layer.nodes:,}",
                *ms(median, min(times), max(times)),
                per_node,
                *ms(fast),
                f"{speedup:.1f}x",
                f"{layer.trace_seconds:.2f}",
                f"{layer.trace_lines:,}",
            ]
        )
        verdicts.append(Verdict(f"compiled {key} step >= {LAYER_SPEEDUP:g}x faster than its graph", f"{speedup:.2f}x",
                                speedup >= LAYER_SPEEDUP))
    return rows, verdicts


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
    parser.add_argument(
        "--heap",
        choices=HEAPS,
        default="clean",
        help="clean: the heap frozen out of the GC's sight, each graph freed after its step (the engine alone); "
        "notebook: a notebook's imports alive, nothing frozen, each graph alive until the next loss (as users run it)",
    )
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="cpu", help="process CPU time (default; steady under load) or wall"
    )
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

    print(f"machine: {machine()}", flush=True)
    notebook = args.heap == "notebook"
    if notebook:
        print(f"notebook heap: {load_notebook_heap()}", flush=True)
    work = make_workload(args.steps, args.seed, keep_graph=notebook)
    impls = [impl for impl in IMPLEMENTATIONS if wanted(impl.key, impl.slow)]
    setting = f"{args.steps} steps x {args.rounds} rounds, {args.clock} time, {args.heap} heap"
    print(f"training step: two moons ({len(work.xs)} points), MLP 2-16-16-1, {setting}", flush=True)
    clock = CLOCKS[args.clock]
    runs = run_rounds(impls, work, args.rounds, clock, freeze=not notebook)
    verdicts: list[Verdict] = []
    if runs:
        print()
        print_table(STEP_HEADER, step_table(runs))
        reference = find(runs, "floor") or runs[0]
        spread = loss_spread(runs, reference) if len(runs) > 1 else None
        if spread is not None:
            final = reference.losses[0][-1]
            print(f"\nloss after {args.steps} steps: {final!r}; largest difference of any step's loss from")
            print(f"{reference.impl.key}'s: {spread:.1e} (the same workload everywhere)")
        verdicts += speed_verdicts(runs, spread, args.heap)
    if wanted("chain"):
        line, verdict = chain_report(CHAIN_NODES, clock)
        print("\n" + line)
        verdicts.append(verdict)
    if wanted("memory"):
        rows, verdict = memory_report()
        print()
        print_table(["graph (tracemalloc)", "bytes/node"], rows)
        verdicts.append(verdict)
    if wanted("train", slow=True):
        print("\nrunning `scalargrad train --data digits --model cnn` in a new process", file=sys.stderr, flush=True)
        run = digits_train()
        print(f"\n$ {run.command}   ({run.seconds:.1f} s wall, {run.cpu_seconds:.1f} s CPU)\n{run.output}")
        measured = "failed" if run.accuracy is None else f"{run.accuracy:.1%} in {run.seconds:.1f} s wall"
        verdicts.append(Verdict(f"{run.command}: held out >= {DIGITS_ACCURACY:.0%}", measured,
                                run.accuracy is not None and run.accuracy >= DIGITS_ACCURACY))
    layers, layer_verdicts = layer_rows(wanted, args.steps, args.rounds, clock)
    verdicts += layer_verdicts
    if layers:
        print()
        print_table(LAYER_HEADER, layers)
    print()
    print_table(["target", "measured", "status"], [[v.target, v.measured, v.status] for v in verdicts])
    if args.markdown and runs:
        print(f"\nMeasured on {machine()}; {setting}, median per step.\n")
        columns = [0, 1, 5, 6, 7]
        rows = [[row[i] for i in columns] for row in step_table(runs)]
        print_table([STEP_HEADER[i] for i in columns], rows, markdown=True)
    return 1 if any(v.ok is False for v in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
