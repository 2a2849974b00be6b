"""The benchmark keeps working, and its implementations train identically.

The losses of micrograd (an independent package), PyTorch, scalargrad and the hand-written float loops
must agree step by step: a wrong gradient anywhere in the floor's backward loops or in a graph would
change the losses after the first update. Timings are printed by the script, never asserted here.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the benchmarks live next to tests/, outside the installed packages
    sys.path.insert(0, str(ROOT))

from benchmarks import bench, memory  # noqa: E402
from benchmarks.floor import floor_trainer  # noqa: E402
from benchmarks.trainers import IMPLEMENTATIONS, Implementation, require  # noqa: E402
from benchmarks.workload import Trainer, Workload, make_workload  # noqa: E402
from engine import Value  # noqa: E402

TOLERANCE = 1e-12
SAMPLES = 20  # a fifth of the benchmark's points keeps even micrograd with GC on and 0-dim tensors quick


def test_implementations_agree_step_by_step_with_the_floor() -> None:
    runs = bench.run_rounds(IMPLEMENTATIONS, make_workload(3, n_samples=SAMPLES), rounds=1)
    losses = {run.impl.key: run.losses[0] for run in runs}
    assert {"binary", "mlp", "floor", "floor-sparse"} <= losses.keys()  # plus micrograd and PyTorch where installed
    floor = losses["floor"]
    assert len(set(floor)) == 3  # the updates do change the loss
    for key, values in losses.items():
        assert values == pytest.approx(floor, abs=TOLERANCE, rel=0), key
    # Skipping zero gradients only leaves out additions of zero, so it changes no bit.
    assert losses["floor-sparse"] == floor
    # Before any update the forward passes of micrograd's graph do the floor's float operations in its order.
    for key in ("micrograd-gc", "micrograd", "binary", "torch-scalar"):
        assert losses.get(key, floor)[0] == floor[0], key
    # A compiled step replays its graph's float operations in the same order: the same bits at every step.
    assert losses["binary-compiled"] == losses["binary"]
    assert losses["mlp-compiled"] == losses["mlp"]


def test_control_one_weight_changed_by_1e_6_is_detected() -> None:
    work = make_workload(2)
    nudged = [[(list(w), b) for w, b in layer] for layer in work.weights]
    nudged[1][3][0][5] += 1e-6
    step, nudged_step = floor_trainer(work), floor_trainer(replace(work, weights=nudged))
    differences = [abs(step(k) - nudged_step(k)) for k in range(2)]
    assert min(differences) > 100 * TOLERANCE


def test_main_prints_the_tables_and_the_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    status = bench.main(["--steps", "1", "--rounds", "1", "--only", "binary,floor,mlp,cnn,lstm", "--markdown"])
    out = capsys.readouterr().out
    assert status in (0, 1)  # 1 when a speed target is missed on this machine
    for text in ("hand-written float loops", "nn.MLP step <= 3x the floor", "| implementation |", "LSTM", "CNN"):
        assert text in out
    agreement = next(line for line in out.splitlines() if line.startswith("all losses agree"))
    assert agreement.endswith("PASS")


def test_the_notebook_heap_setting_keeps_the_heap_and_prints_both_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--heap", "notebook", "--steps", "2", "--rounds", "1", "--only", "binary,binary-compiled,floor,lstm"])
    out = capsys.readouterr().out
    assert "notebook heap: IPython" in out and "objects tracked by the GC" in out
    assert "x floor" in out and "compiled binary-op step <= 2x the floor" in out
    assert "compiled lstm step >= 4x faster than its graph" in out


@pytest.mark.parametrize("argv", [["--only", "nope"], ["--steps", "0"], ["--rounds", "-1"]])
def test_bad_arguments_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(argv)


def test_a_missing_package_skips_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    def needs_a_package(work: Workload) -> Trainer:
        raise AssertionError(require("no_such_package_xyz"))  # require raises Unavailable first

    missing = Implementation("missing", "needs a package", needs_a_package)
    floor = next(impl for impl in IMPLEMENTATIONS if impl.key == "floor")
    runs = bench.run_rounds([missing, floor], make_workload(1, n_samples=SAMPLES), rounds=2)
    assert [run.impl.key for run in runs] == ["floor"]
    assert "skip missing: no_such_package_xyz is not importable" in capsys.readouterr().err


def test_deep_chain_backward_is_correct_under_the_default_recursion_limit() -> None:
    result = memory.deep_chain(20_000)
    assert result.correct and result.recursion_limit == sys.getrecursionlimit()


def test_control_micrograd_cannot_backpropagate_a_2000_op_chain() -> None:
    pytest.importorskip("micrograd", reason="micrograd (the bench extra) is not installed")
    assert memory.micrograd_chain_error(2000) == "RecursionError"


def test_bytes_per_node_measures_what_is_kept() -> None:
    # Control: a list of n distinct floats costs one pointer (8 B) plus one float object (24 B) each.
    per_float = memory.bytes_per_node(lambda n: [float(i) + 0.5 for i in range(n)], 20_000)
    assert 31 <= per_float <= 34
    assert memory.bytes_per_node(memory.const_chain(Value), 20_000) <= 200


def test_micrograd_nodes_are_bigger() -> None:
    micrograd = pytest.importorskip("micrograd.engine", reason="micrograd (the bench extra) is not installed")
    ours = memory.bytes_per_node(memory.const_chain(Value), 5_000)
    assert memory.bytes_per_node(memory.const_chain(micrograd.Value), 5_000) > 3 * ours
