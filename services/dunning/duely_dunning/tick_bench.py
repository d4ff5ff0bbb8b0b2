"""`make bench`: what one timer tick costs with many open invoices of which few are due.

    python -m duely_dunning.tick_bench [--open 100000] [--due 1000] [--postgres DSN]

Seeds collection states straight into a fresh database (SQLite under a temp dir by default, the
embedded mode; with --postgres, a fresh database on that server, production's), each open invoice with its overdue entry in
the future, and `--due` of them with an overdue entry that fell due. Then one worker tick fires
what is due (each overdue notice starts the invoice's default dunning schedule: five more entries,
day 0 fired at once) and the same again with a tenth of the open invoices, so the two figures show
whether a tick costs in proportion to the due work or to the open invoices. Prints figures; nothing
asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select

from duely_runtime.db import Database
from duely_runtime.kit.ids import new_id
from duely_runtime.migrations import upgrade_to_head_async
from duely_runtime.outbox import Outbox
from duely_dunning.main import MIGRATIONS_DIR
from duely_dunning.models import CollectionState, Timer, runtime_tables
from duely_dunning.org_clocks import Clock
from duely_dunning.workers import TimerWorker

CHUNK = 5_000


async def seed(db: Database, open_invoices: int, due: int) -> None:
    now = datetime.now(timezone.utc)
    organization_id = new_id("org")
    for start in range(0, open_invoices, CHUNK):
        states, timers = [], []
        for i in range(start, min(start + CHUNK, open_invoices)):
            invoice_id = f"in_bench_{i:07d}"
            overdue = i < due
            due_date = (now - timedelta(days=2) if overdue else now + timedelta(days=5 + i % 60)).date()
            states.append({"invoice_id": invoice_id, "organization_id": organization_id, "number": f"INV-{i:07d}",
                           "customer_id": "cus_bench", "due_date": due_date, "amount_due": 4_900, "currency": "usd",
                           "status": "open", "version": 1, "events_published": 0, "failure_count": 0,
                           "correlation_id": f"corr_{i}", "autopay": False, "hard_declined": False,
                           "created_at": now, "updated_at": now})
            timers.append({"id": new_id("tmr"), "organization_id": organization_id, "kind": "overdue",
                           "subject_type": "invoice", "subject_id": invoice_id, "step": "1",
                           "due_at": datetime.combine(due_date + timedelta(days=1), datetime.min.time(),
                                                      tzinfo=timezone.utc), "created_at": now})
        async with db.transaction() as session:
            await session.execute(insert(CollectionState), states)
            await session.execute(insert(Timer), timers)


async def measure(url: str, open_invoices: int, due: int) -> tuple[float, int, int]:
    await upgrade_to_head_async(MIGRATIONS_DIR, url)
    db = Database(url)
    try:
        await seed(db, open_invoices, due)
        worker = TimerWorker(db, Outbox(runtime_tables), Clock(), tick_s=1.0, batch_size=100)
        started = time.perf_counter()
        fired = await worker.tick()
        elapsed = time.perf_counter() - started
        async with db.transaction() as session:
            pending = await session.scalar(select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None)))
        return elapsed, fired, pending
    finally:
        await db.dispose()


async def run(open_invoices: int, due: int, postgres: str | None) -> None:
    engine = "Postgres" if postgres else "SQLite"
    print(f"{'timer tick (' + engine + ')':<44} {'open':>8} {'due':>6} {'fired':>6} {'tick s':>8} {'ms/due':>8}")
    for scale in (open_invoices // 10, open_invoices):
        with tempfile.TemporaryDirectory() as tmp:
            url = await fresh_database(postgres, tmp, f"duely_tick_bench_{scale}")
            elapsed, fired, _ = await measure(url, scale, due)
        print(f"{'fire the due overdue notices (+ dunning day 0)':<44} {scale:>8} {due:>6} {fired:>6} "
              f"{elapsed:>8.2f} {elapsed * 1000 / max(fired, 1):>8.2f}")


async def fresh_database(postgres: str | None, tmp: str, name: str) -> str:
    if postgres is None:
        return f"sqlite+aiosqlite:///{tmp}/{name}.db"
    import asyncpg  # the server's admin database, to make a fresh one

    connection = await asyncpg.connect(postgres)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    server = postgres.split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+asyncpg://{server}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--open", type=int, default=100_000, dest="open_invoices")
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--postgres", default=None, metavar="DSN",
                        help="e.g. postgresql://postgres@127.0.0.1:5432/postgres (default: SQLite in a temp dir)")
    args = parser.parse_args()
    asyncio.run(run(args.open_invoices, args.due, args.postgres))


if __name__ == "__main__":
    main()
