"""`scalargrad train --data digits --model cnn` with its defaults, in a fresh process: wall time and held-out accuracy.

This is what a learner runs; with the defaults it trains compiled (`fit(compile="auto")`). The run's own
output is kept, and its held-out accuracy line read back.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGV = ["train", "--data", "digits", "--model", "cnn", "--no-progress"]
HELD_OUT = re.compile(r"held-out accuracy: ([0-9.]+)%")


@dataclass(frozen=True)
class TrainRun:
    """The command, its wall and CPU time in seconds, its held-out accuracy (None when it failed) and its output."""

    command: str
    seconds: float
    cpu_seconds: float
    accuracy: float | None
    output: str


def digits_train() -> TrainRun:
    """Run the command in a new interpreter with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "nn.cli.main", *ARGV], capture_output=True, text=True, env=env,
                          cwd=ROOT, check=False)
    seconds, cpu_seconds = time.perf_counter() - started, _children_cpu() - cpu
    found = HELD_OUT.search(done.stdout)
    accuracy = float(found.group(1)) / 100 if found and done.returncode == 0 else None
    return TrainRun("scalargrad " + " ".join(ARGV), seconds, cpu_seconds, accuracy, (done.stdout + done.stderr).strip())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
