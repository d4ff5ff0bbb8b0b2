"""`make bench`: journeys create → approve → pay → `invoice.paid` webhook → receipt email on the embedded
stack, on SQLite and on Postgres, closed loop and open loop; GET latency at a fixed rate; then the
components' own figures (PDF render, listing 10,000 invoices, a timer tick) in separate processes.
Everything is gathered in one table at the end, under a line describing the machine.

    python -m duely_devstack.bench [--sqlite | --postgres] [--journeys 600] [--concurrency 16]
        [--rate 50] [--duration 20 | --count N] [--drift 10000] [--replicas payments=2,notifications=2]
        [--get-rate 500] [--get-duration 10] [--autopay 200]

Each run starts its own platform in fresh state (SQLite files in a temp dir, or `bench_<service>` Postgres
databases recreated on postgresql://postgres@127.0.0.1:5432) on free ports in 18000–19999, so a
`make run` is never disturbed. Without --sqlite/--postgres both are measured, Postgres when it answers. With
--replicas (on by default: payments and notifications ×2) one more Postgres run measures closed and open
loop with those replicas, to compare with the single-process Postgres run (until platform.py has
PlatformConfig.replicas, that run is reported as not possible and the others go on). --drift N runs N journeys
in one fresh platform per database, each worker waiting for its journey's receipt before the next (so a
backlog cannot pass for drift), and compares the last thousand with the first (`make bench-full`).
It prints figures; nothing asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time

from duely_devstack import bench_cpu, bench_report as report
from duely_devstack.bench_journeys import Driver
from duely_devstack.bench_postgres import postgres_up
from duely_devstack.bench_schedule import open_loop_count
from duely_devstack.bench_session import Session, bench_platform, describe
from duely_devstack.bench_stats import SummaryTable, machine_line

COMPONENTS = [["-m", "duely_invoicing.documents.bench"], ["-m", "duely_invoicing.invoices.listing_bench"],
              ["-m", "duely_dunning.tick_bench"]]
DRIFT_RECEIPT_WAIT_S = 120  # a journey whose receipt takes longer lets its worker go on (it counts as late)
PG_TICK = ["-m", "duely_dunning.tick_bench", "--postgres", "postgresql://postgres@127.0.0.1:5432/postgres"]


def replica_counts(spec: str) -> dict[str, int]:
    """"payments=2,notifications=2" → {"payments": 2, "notifications": 2}; "none" or "" → {}."""
    if spec.strip().lower() in ("", "none"):
        return {}
    counts = {}
    for part in spec.split(","):
        service, sep, count = part.partition("=")
        if not sep or not count.strip().isdigit() or int(count) < 1:
            raise argparse.ArgumentTypeError(f"--replicas wants service=count[,service=count], not {part!r}")
        counts[service.strip()] = int(count)
    return counts


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    database = parser.add_mutually_exclusive_group()
    database.add_argument("--sqlite", action="store_true", help="only SQLite (default: SQLite, then Postgres if up)")
    database.add_argument("--postgres", action="store_true", help="only Postgres (fails when it is down)")
    parser.add_argument("--journeys", "--invoices", type=int, default=600, help="closed loop journeys (0: skip)")
    parser.add_argument("--concurrency", type=int, default=16, help="closed loop: journeys in flight")
    parser.add_argument("--rate", type=float, default=50, help="open loop: journeys started per second (0: skip)")
    parser.add_argument("--duration", type=float, default=20, help="open loop: seconds of starts")
    parser.add_argument("--count", type=int, default=None, help="open loop: journeys to start (instead of --duration)")
    parser.add_argument("--max-in-flight", type=int, default=256,
                        help="open loop: journeys with a call outstanding; later ones wait and start late")
    parser.add_argument("--drift", type=int, default=0, help="journeys in one drift run per database (0: skip)")
    parser.add_argument("--drift-chunk", type=int, default=1000, help="drift: journeys per figure")
    parser.add_argument("--replicas", type=replica_counts, default="payments=2,notifications=2",
                        help="an extra Postgres run with these process counts ('none': skip)")
    parser.add_argument("--get-rate", type=float, default=500, help="GET /v1/invoices/{id} per second (0: skip)")
    parser.add_argument("--get-duration", type=float, default=10, help="seconds of GETs, each target")
    parser.add_argument("--autopay", type=int, default=200, help="invoices in the AutoPay run (0: skip)")
    parser.add_argument("--wait", type=float, default=180, help="seconds to wait for the last webhooks and receipts")
    parser.add_argument("--keep", action="store_true", help="keep state directories and databases")
    parser.add_argument("--skip-journeys", action="store_true", help="only the components' figures")
    parser.add_argument("--skip-components", action="store_true", help="no PDF, listing or timer-tick figures")
    args = parser.parse_args(argv)
    args.open_count = open_loop_count(args.rate, args.duration, args.count) if args.rate > 0 else 0
    return args


async def standard_runs(session: Session, args, table: SummaryTable, with_get: bool, with_autopay: bool) -> None:
    driver = await Driver.open(session, max_connections=max(args.concurrency, args.max_in_flight) * 2)
    try:
        if args.journeys:
            print(f"closed loop: {args.journeys} journeys at concurrency {args.concurrency} ...", flush=True)
            cpu_before = bench_cpu.snapshot(session.platform.procs)
            journeys = await driver.closed_loop(args.journeys, args.concurrency)
            await driver.wait_finished(journeys, args.wait)
            run = f"{session.name}: closed loop, {args.journeys} at concurrency {args.concurrency}"
            report.closed_loop(table, run, session, journeys, driver.retries)
            report.cpu(table, run, session, journeys, cpu_before, bench_cpu.snapshot(session.platform.procs))
        if args.open_count:
            driver.retries = 0
            print(f"open loop: {args.open_count} journeys at {args.rate:g}/s ...", flush=True)
            journeys = await driver.open_loop(args.rate, args.open_count, args.max_in_flight)
            await driver.wait_finished(journeys, args.wait)
            report.open_loop(table, f"{session.name}: open loop, {args.open_count} at {args.rate:g}/s", session,
                             journeys, args.rate, driver.retries)
        if with_get and args.get_rate > 0:
            await get_runs(session, args, table)
        if with_autopay and args.autopay:
            print(f"AutoPay: {args.autopay} invoices ...", flush=True)
            journeys = await driver.autopay(args.autopay, args.concurrency)
            await driver.wait_finished(journeys, args.wait, receipts=False)
            report.autopay(table, f"{session.name}: AutoPay on issue, {args.autopay} at concurrency "
                           f"{args.concurrency}", session, journeys)
    finally:
        await driver.close()


async def get_runs(session: Session, args, table: SummaryTable) -> None:
    """GET /v1/invoices/{id} at a fixed rate through the gateway, then straight to invoicing."""
    ids = sorted(session.events.paid)[:2000]
    if not ids:
        return
    run = f"{session.name}: GET /v1/invoices/{{id}}, {args.get_rate:g}/s for {args.get_duration:g} s"
    with tempfile.NamedTemporaryFile("w", suffix=".paths") as paths:
        paths.write("".join(f"/v1/invoices/{i}\n" for i in ids))
        paths.flush()
        for figure, service, target in (("through the gateway", "gateway", "p99 ≤ 20 ms"),
                                        ("straight to invoicing", "invoicing", "")):
            print(f"GET {figure} ...", flush=True)
            # Its own process: the generator's loop is not slowed by this one's webhook endpoint.
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "duely_devstack.bench_http_load", "--url", session.platform.config.url(service),
                "--paths-file", paths.name, "--rate", str(args.get_rate), "--duration", str(args.get_duration),
                "--header", f"Authorization: Bearer {session.api_key}", stdout=subprocess.PIPE)
            out, _ = await proc.communicate()
            if proc.returncode != 0:
                table.add(run, figure, f"load generator failed (exit {proc.returncode})")
                continue
            report.http_load(table, run, figure, json.loads(out), target)


async def drift_run(session: Session, args, table: SummaryTable) -> None:
    driver = await Driver.open(session, max_connections=args.concurrency * 2)
    try:
        print(f"drift: {args.drift} journeys at concurrency {args.concurrency}, each to its receipt ...", flush=True)
        cpu_before = bench_cpu.snapshot(session.platform.procs)
        # Closed over the whole journey: a backlog of emails behind fast calls would read as drift.
        journeys = await driver.closed_loop(args.drift, args.concurrency, until_receipt_s=DRIFT_RECEIPT_WAIT_S)
        await driver.wait_finished(journeys, args.wait)
        run = f"{session.name}: drift, {args.drift} at concurrency {args.concurrency}, each to its receipt"
        report.closed_loop(table, run, session, journeys, driver.retries)
        report.cpu(table, run, session, journeys, cpu_before, bench_cpu.snapshot(session.platform.procs))
        report.drift(table, run, session, journeys, args.drift_chunk)
    finally:
        await driver.close()


async def journeys(args, table: SummaryTable) -> None:
    pg_up = await postgres_up()
    backends = ["postgres"] if args.postgres else ["sqlite"] if args.sqlite else ["sqlite"] + (["postgres"] * pg_up)
    if args.postgres and not pg_up:
        raise SystemExit("--postgres: nothing answers on 127.0.0.1:5432 (make postgres starts it)")
    if not args.sqlite and not args.postgres and not pg_up:
        table.notes.append("Postgres was down: SQLite only, no replicas run (make postgres starts it).")
    standard = bool(args.journeys or args.open_count or args.autopay)  # the GETs read what these created
    runs: list[tuple[str, dict[str, int], str]] = [(backend, {}, "standard") for backend in backends if standard]
    if standard and args.replicas and "postgres" in backends:
        runs.append(("postgres", args.replicas, "replicas"))
    runs += [(backend, {}, "drift") for backend in backends if args.drift]
    for backend, replicas, kind in runs:
        started = time.monotonic()
        try:
            async with bench_platform(backend, replicas, args.keep) as session:
                if kind == "replicas":
                    running = ", ".join(f"{s} {session.running_replicas(s)}" for s in sorted(replicas))
                    table.add(f"{session.name}: processes", "running", running)
                if kind == "drift":
                    await drift_run(session, args, table)
                else:
                    await standard_runs(session, args, table, with_get=kind == "standard",
                                        with_autopay=kind == "standard")
                if session.connections:
                    table.add(f"{session.name}: Postgres", "connections", session.connections.text())
        except Exception as exc:  # one run's failure should not cost the others' figures
            table.add(describe(backend, replicas), f"{kind} run failed", f"{type(exc).__name__}: {exc}"[:300])
            print(f"{kind} run on {backend} failed: {exc!r}", flush=True)
        print(f"({kind} run on {describe(backend, replicas)}: {time.monotonic() - started:.0f} s)", flush=True)


def components(table: SummaryTable) -> None:
    """PDF, listing and tick figures, each in its own process (no platform load around it)."""
    commands = list(COMPONENTS)
    if asyncio.run(postgres_up()):
        commands.append(PG_TICK)
    table.notes.append("\ncomponents (separate processes):")
    for command in commands:
        started = time.monotonic()
        done = subprocess.run([sys.executable, *command], capture_output=True, text=True)
        print(done.stdout, end="", flush=True)
        lines = done.stdout.strip().splitlines() or ["(no output)"]
        lines.append(f"({' '.join(command[1:])}: {time.monotonic() - started:.0f} s)")
        if done.returncode != 0:
            lines.append(f"{' '.join(command[1:])} failed (exit {done.returncode}): {done.stderr.strip()[-300:]}")
        table.notes.extend("  " + line for line in lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    table = SummaryTable()
    machine = machine_line()
    print(machine, flush=True)
    started = time.monotonic()
    if not args.skip_journeys:
        asyncio.run(journeys(args, table))
    if not args.skip_components:
        components(table)
    print(f"\n== Summary ({time.monotonic() - started:.0f} s in all) ==\n{machine}\n{table.render()}", flush=True)


if __name__ == "__main__":
    main()
