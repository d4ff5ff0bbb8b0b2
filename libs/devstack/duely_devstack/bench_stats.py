"""`make bench`'s arithmetic and its closing table: percentiles, per-thousand drift, the machine line.

Pure functions over lists of numbers, so the unit tests can check them without a platform.
"""

from __future__ import annotations

import math
import os
import platform as host
import statistics
from dataclasses import dataclass, field


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below it."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Spread:
    """p50, p99, max and mean of one set of latencies (ms)."""
    count: int
    p50: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, values: list[float]) -> "Spread | None":
        if not values:
            return None
        return cls(len(values), percentile(values, 50), percentile(values, 99), max(values), statistics.fmean(values))

    def text(self) -> str:
        return f"p50 {_ms(self.p50)}  p99 {_ms(self.p99)}  max {_ms(self.max)}"


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


@dataclass(frozen=True)
class Chunk:
    """One thousand journeys (in start order) of a drift run."""
    index: int
    journeys: int
    unfinished: int
    per_second: float  # how fast this chunk's journeys completed
    p50_ms: float


def drift_chunks(starts: list[float], ends: list[float | None], size: int = 1000) -> list[Chunk]:
    """Cut journeys (same order in both lists, sorted by start; an end of None: never finished) into
    chunks of `size`.

    A chunk's throughput is its finished journeys over the time from its first start to its last end,
    so a run that slows as its tables grow shows falling figures; its p50 is end − start in ms.
    """
    if len(starts) != len(ends):
        raise ValueError("starts and ends differ in length")
    chunks = []
    for index, low in enumerate(range(0, len(starts), size)):
        s, e = starts[low:low + size], ends[low:low + size]
        done = [(a, b) for a, b in zip(s, e) if b is not None]
        if not done:
            chunks.append(Chunk(index, len(s), len(s), 0.0, math.nan))
            continue
        chunks.append(Chunk(index, len(s), len(s) - len(done), rate(len(done), max(b for _, b in done) - min(s)),
                            percentile([(b - a) * 1000 for a, b in done], 50)))
    return chunks


def drift_ratios(chunks: list[Chunk]) -> tuple[float, float] | None:
    """(last ÷ first throughput, last ÷ first p50): the issue wants the last thousand within 20 % of the first."""
    if len(chunks) < 2:
        return None
    first, last = chunks[0], chunks[-1]
    return rate(last.per_second, first.per_second) if first.per_second else 0.0, last.p50_ms / first.p50_ms


def machine_line() -> str:
    """Cores, CPU model, RAM, Python, load average: what anyone comparing figures needs first."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model)
    except OSError:
        pass
    ram = "? GiB RAM"
    try:
        with open("/proc/meminfo") as meminfo:
            kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
        ram = f"{kib / 1024 ** 2:.1f} GiB RAM"
    except (OSError, StopIteration):
        pass
    load = "/".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"machine: {os.cpu_count()} cores, {model}, {ram}, Python {host.python_version()}, "
            f"load average {load} (1/5/15 min) at start")


@dataclass
class SummaryTable:
    """Rows gathered while the bench runs, printed together at the end: (run, figure, value, target)."""
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, run: str, figure: str, value: str, target: str = "") -> None:
        self.rows.append((run, figure, value, target))

    def render(self) -> str:
        if not self.rows:
            return "\n".join(self.notes)
        header = ("run", "figure", "value", "target")
        widths = [max(len(row[i]) for row in [header, *self.rows]) for i in range(4)]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths)).rstrip(),
                 "  ".join("-" * width for width in widths)]
        previous = None
        for row in self.rows:
            shown = ("" if row[0] == previous else row[0], *row[1:])  # the run's name once per group
            previous = row[0]
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(shown, widths)).rstrip())
        return "\n".join(lines + self.notes)
