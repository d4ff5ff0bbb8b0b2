"""Turning journeys and load results into rows of the summary table (and a line as each run ends)."""

from __future__ import annotations

from collections import Counter
from typing import Callable

from duely_devstack import bench_cpu
from duely_devstack.bench_journeys import Journey
from duely_devstack.bench_schedule import achieved_rate, behind_schedule
from duely_devstack.bench_session import Session
from duely_devstack.bench_stats import Spread, SummaryTable, drift_chunks, drift_ratios, rate

LATE_START_S = 0.1  # an open-loop journey that got going later than this after its due time is behind


def _spread(journeys: list[Journey], since: Callable[[Journey], float | None],
            until: Callable[[Journey], float | None]) -> str:
    values = [(b - a) * 1000 for j in journeys if (a := since(j)) and (b := until(j))]
    spread = Spread.of(values)
    return spread.text() if spread else "no data"


def _done(session: Session, journeys: list[Journey]) -> list[Journey]:
    return [j for j in journeys if not j.failed and j.finished(session)]


def _outcome(session: Session, journeys: list[Journey]) -> str:
    failed = [j for j in journeys if j.failed]
    unfinished = len(journeys) - len(failed) - len(_done(session, journeys))
    kinds = ", ".join(f"{kind} ×{n}" for kind, n in Counter(j.failed for j in failed).most_common())
    return f"{len(failed)} failed" + (f" ({kinds})" if kinds else "") + f", {unfinished} without webhook+receipt"


def closed_loop(table: SummaryTable, run: str, session: Session, journeys: list[Journey], retries: int) -> None:
    done = _done(session, journeys)
    elapsed = max((j.finished(session) for j in done), default=0.0) - min(j.start for j in journeys)
    per_s = rate(len(done), elapsed)
    table.add(run, "throughput, create → receipt email", f"{per_s:.1f} journeys/s ({len(done)} in {elapsed:.1f} s)",
              "≥ 100 journeys/s")
    paid = [j.paid_webhook(session) for j in journeys if not j.failed and j.paid_webhook(session)]
    to_paid = max(paid, default=0.0) - min(j.start for j in journeys)
    table.add(run, "throughput, create → paid webhook (as before)",
              f"{rate(len(paid), to_paid):.1f} journeys/s ({len(paid)} in {to_paid:.1f} s)")
    table.add(run, "outcome", f"{_outcome(session, journeys)}; 503s and 409s (key in use) retried {retries}")
    stages = [
        ("create (HTTP POST /v1/invoices)", lambda j: j.start, lambda j: j.created),
        ("approve (HTTP)", lambda j: j.created, lambda j: j.approved),
        ("pay (HTTP, sandbox charge)", lambda j: j.approved, lambda j: j.charged),
        ("pay answered → invoice.paid webhook", lambda j: j.charged, lambda j: j.paid_webhook(session)),
        ("pay answered → receipt email", lambda j: j.charged, lambda j: j.receipt(session)),
        ("approve sent → invoice.paid webhook", lambda j: j.created, lambda j: j.paid_webhook(session)),
        ("whole journey, create → receipt email", lambda j: j.start, lambda j: j.finished(session)),
    ]
    for name, since, until in stages:
        table.add(run, name, _spread(journeys, since, until))
    print(f"{run}: {per_s:.1f} journeys/s", flush=True)


def cpu(table: SummaryTable, run: str, session: Session, journeys: list[Journey], before: dict[str, float],
        after: dict[str, float]) -> None:
    """CPU per finished journey, each process (the wait for the last receipts, idle, is counted too)."""
    spent = bench_cpu.per_journey_ms(before, after, len(_done(session, journeys)))
    table.add(run, "CPU per journey, platform processes", bench_cpu.describe(spent))


def open_loop(table: SummaryTable, run: str, session: Session, journeys: list[Journey], offered: float,
              retries: int) -> None:
    done = _done(session, journeys)
    started = [j for j in journeys if j.start]
    late = behind_schedule([j.due for j in started], [j.start for j in started], LATE_START_S)
    span = max((j.finished(session) for j in done), default=0.0) - journeys[0].due
    table.add(run, "start rate achieved (offered)", f"{achieved_rate([j.start for j in started]):.1f}/s "
              f"({offered:g}/s)")
    table.add(run, "completion rate, first due → last receipt", f"{rate(len(done), span):.1f} journeys/s "
              f"({len(done)} of {len(journeys)})")
    table.add(run, "behind schedule", f"{late} of {len(journeys)} started > {LATE_START_S * 1000:.0f} ms late; "
              f"{_outcome(session, journeys)}; 503s and 409s (key in use) retried {retries}")
    table.add(run, "approve sent → invoice.paid webhook",
              _spread(journeys, lambda j: j.created, lambda j: j.paid_webhook(session)),
              "p99 ≤ 2000 ms at 50/s")
    table.add(run, "due start → invoice.paid webhook",
              _spread(journeys, lambda j: j.due, lambda j: j.paid_webhook(session)))
    table.add(run, "due start → receipt email",
              _spread(journeys, lambda j: j.due, lambda j: j.receipt(session)))
    print(f"{run}: {rate(len(done), span):.1f} journeys/s completed", flush=True)


def drift(table: SummaryTable, run: str, session: Session, journeys: list[Journey], size: int = 1000) -> None:
    """Per `size` journeys in start order: throughput and p50 to the receipt, and the p50 to the paid webhook."""
    ordered = sorted(journeys, key=lambda j: j.start)
    starts = [j.start for j in ordered]
    chunks = drift_chunks(starts, [None if j.failed else j.finished(session) for j in ordered], size)
    to_paid = drift_chunks(starts, [None if j.failed else j.paid_webhook(session) for j in ordered], size)
    for chunk, paid in zip(chunks, to_paid):
        low = chunk.index * size + 1
        missing = f"; {chunk.unfinished} unfinished" if chunk.unfinished else ""
        table.add(run, f"journeys {low}–{low + chunk.journeys - 1}",
                  f"{chunk.per_second:.1f} journeys/s, p50 {chunk.p50_ms:.0f} ms to the receipt, "
                  f"{paid.p50_ms:.0f} ms to the paid webhook{missing}")
    ratios = drift_ratios(chunks)
    if ratios:
        table.add(run, "last ÷ first thousand" if size == 1000 else f"last ÷ first {size}",
                  f"throughput ×{ratios[0]:.2f}, p50 ×{ratios[1]:.2f}", "throughput ≥ ×0.80")


def autopay(table: SummaryTable, run: str, session: Session, journeys: list[Journey]) -> None:
    paid = [j for j in journeys if not j.failed and j.paid_webhook(session)]
    elapsed = max((j.paid_webhook(session) for j in paid), default=0.0) - min(j.start for j in journeys)
    table.add(run, "throughput, create → paid webhook", f"{rate(len(paid), elapsed):.1f} invoices/s "
              f"({len(paid)} of {len(journeys)} paid)")
    table.add(run, "approve sent → invoice.paid webhook (no pay call)",
              _spread(journeys, lambda j: j.created, lambda j: j.paid_webhook(session)))


def http_load(table: SummaryTable, run: str, figure: str, result: dict, target: str = "") -> None:
    if result.get("p99_ms") is None:
        value = "no answers"
    else:
        value = (f"p50 {result['p50_ms']:.1f} ms  p99 {result['p99_ms']:.1f} ms  max {result['max_ms']:.0f} ms")
    errors = sum(result["errors"].values())
    detail = ", ".join(f"{k}: {v}" for k, v in result["errors"].items())
    table.add(run, figure, f"{value}; errors {errors} of {result['requests']}" + (f" ({detail})" if detail else "")
              + f"; sent {result['sent_per_s']}/s, {result['late_starts']} > 10 ms late", target)
