"""Timing shared by the benchmarks: interleaved runs, CPU time beside wall time.

On a shared or noisy machine, timing one function for a while and then another lets a burst
of load fall on one of them alone, and the first run of each pays for cold caches, lazy
imports and memory the process has not yet mapped. So :func:`interleave` times several
functions in one process with their runs interleaved (A B A B …, or A B C A B C …), leaves
each function's first run (the warm-up) out, and keeps both clocks for every run:

* **CPU time** (``time.process_time``): user plus system time of the whole process, every
  thread included. It leaves out time the process spent waiting for a core, so it moves far
  less than wall time when other work shares the machine. For a multi-threaded library
  (polars) it is the work done on every core, so it may exceed wall time.
* **Wall time** (``time.perf_counter``): what a user waits for.

A *run* is ``number`` calls in a row, timed together and divided by ``number``: a call of a
few microseconds is timed in batches, as ``timeit`` does. Medians are over the runs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """The runs of one function: seconds per call, one value per timed run."""

    name: str
    number: int  #: calls per run
    cpu: tuple[float, ...]
    wall: tuple[float, ...]
    warmup_cpu: float
    warmup_wall: float

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    def as_json(self, **extra: Any) -> dict[str, Any]:
        """A JSON-ready summary (seconds per call), with any ``extra`` fields."""
        return {"name": self.name, "calls_per_run": self.number,
                "cpu_s": self.cpu_median, "wall_s": self.wall_median,
                "cpu_runs_s": list(self.cpu), "wall_runs_s": list(self.wall),
                "warmup_cpu_s": self.warmup_cpu, "warmup_wall_s": self.warmup_wall, **extra}


def _run(fn: Callable[[], object], number: int, keep: bool = False
         ) -> tuple[float, float, object]:
    """``number`` calls of ``fn``: CPU and wall seconds per call, and the last output if
    ``keep`` (otherwise it is freed here, after the clocks are read)."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(number - 1):
        fn()
    out = fn()
    wall1, cpu1 = time.perf_counter(), time.process_time()
    return (cpu1 - cpu0) / number, (wall1 - wall0) / number, out if keep else None


def interleave(fns: Mapping[str, Callable[[], object]], runs: int,
               number: int | Mapping[str, int] = 1,
               on_first: Callable[[str, Any], None] | None = None) -> dict[str, Timing]:
    """Time ``fns`` in this process, interleaved: one warm-up run of each in turn, then
    ``runs`` rounds of one timed run of each in turn. ``number``: calls per run (one for all,
    or one per name). ``on_first(name, output)`` is called with the output of each warm-up
    run, to check or summarise it; no other output is kept (each run's output is freed as
    soon as it is timed)."""
    if runs < 1:
        raise ValueError("at least one timed run is needed")
    counts = {name: number if isinstance(number, int) else number[name] for name in fns}
    first: dict[str, tuple[float, float]] = {}
    for name, fn in fns.items():
        cpu, wall, out = _run(fn, counts[name], keep=on_first is not None)
        first[name] = (cpu, wall)
        if on_first is not None:
            on_first(name, out)
        del out
    cpus: dict[str, list[float]] = {name: [] for name in fns}
    walls: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            cpu, wall, _ = _run(fn, counts[name])  # the output is already freed
            cpus[name].append(cpu)
            walls[name].append(wall)
    return {name: Timing(name, counts[name], tuple(cpus[name]), tuple(walls[name]),
                         *first[name]) for name in fns}


def ratio(a: Timing, b: Timing) -> tuple[float, float]:
    """The ratio of medians a / b: (CPU, wall)."""
    return a.cpu_median / b.cpu_median, a.wall_median / b.wall_median
