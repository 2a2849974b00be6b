"""Timing of training steps, with the time the cyclic garbage collector takes inside each step.

Scalar autograd allocates tens of thousands of GC-tracked objects per step (every node; micrograd's also
a closure, a set and more), so even when a graph has no reference cycles, CPython's collector still runs
during the step and walks the live graph. The clock below measures that share through `gc.callbacks`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from benchmarks.workload import Trainer

Clock = Callable[[], float]
# Process CPU time leaves out the time other processes hold the CPU, so it stays steady on a busy machine;
# every line runs single-threaded, so on an idle machine both clocks agree.
CLOCKS: dict[str, Clock] = {"cpu": time.process_time, "wall": time.perf_counter}


@dataclass
class StepTimes:
    """Per step: wall seconds, seconds spent in the cyclic GC, and the loss the step returned."""

    seconds: list[float] = field(default_factory=list)
    gc_seconds: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


class GcClock:
    """Adds up the time of every garbage collection while it is installed (a `gc.callbacks` entry)."""

    def __init__(self, clock: Clock = time.process_time) -> None:
        self.clock = clock
        self.total = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = self.clock()
        else:
            self.total += self.clock() - self._started

    @contextmanager
    def installed(self) -> Iterator[GcClock]:
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Move every object alive now out of the collector's sight (`gc.freeze`), and back afterwards.

    Importing PyTorch alone leaves ~165,000 tracked objects that every full collection would walk; frozen,
    each implementation's collections cost what they cost in a process of its own.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def time_steps(trainer: Trainer, steps: int, gc_off: bool, clock: Clock = time.process_time) -> StepTimes:
    """Run `steps` steps and time each one with `clock`. With `gc_off` the cyclic GC is disabled during each
    step and the step's garbage is collected after it, untimed, so memory stays bounded over many steps."""
    gc.collect()
    result = StepTimes()
    gc_clock = GcClock(clock)
    with gc_clock.installed():
        for k in range(steps):
            if gc_off:
                gc.disable()
            gc_clock.total = 0.0
            start = clock()
            loss = trainer(k)
            result.seconds.append(clock() - start)
            result.gc_seconds.append(gc_clock.total)
            if gc_off:
                gc.enable()
                gc.collect()
            result.losses.append(loss)
    return result
