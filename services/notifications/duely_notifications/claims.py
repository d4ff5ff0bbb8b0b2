"""Claims on work rows (emails, webhook deliveries) that never lapse while the work is still running.

A worker claims due rows by pushing their `next_attempt_at` a lease ahead and stamping them with a
claim token. While it still works on them, `ClaimKeeper` renews the lease every third of it, so a
send that outlives one lease (a slow relay, a loaded machine) is never picked up a second time; only
a worker that stopped renewing (it died) lets its rows fall due again. Renewals and outcomes touch a
row only while it still carries the worker's token: a worker that comes back after its claim was
taken over changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from sqlalchemy import Table

from duely_runtime.db import Database

from duely_notifications import repository as repo

log = logging.getLogger(__name__)


class ClaimKeeper:
    def __init__(self, db: Database, table: Table, lease_s: float, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.table = table
        self.lease_s = lease_s
        self.clock = clock
        self._held: dict[str, str] = {}  # row id → claim token

    def lease_until(self) -> datetime:
        return self.clock() + timedelta(seconds=self.lease_s)

    def hold(self, row_id: str, token: str) -> None:
        self._held[row_id] = token

    def release(self, row_id: str) -> None:
        self._held.pop(row_id, None)

    @property
    def held(self) -> int:
        return len(self._held)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                await self.renew()
            except Exception:  # the next round tries again; a third of the lease is left
                log.exception("could not renew claims", extra={"table": self.table.name, "held": len(self._held)})

    async def renew(self) -> int:
        """Push the lease of every held row ahead; returns how many rows were renewed."""
        if not self._held:
            return 0
        by_token: dict[str, list[str]] = {}
        for row_id, token in self._held.items():
            by_token.setdefault(token, []).append(row_id)
        until = self.lease_until()
        renewed = 0
        async with self.db.transaction() as session:
            for token, ids in by_token.items():
                renewed += await repo.renew_claims(session, self.table, ids, token, until)
        return renewed


async def run_worker(claims: ClaimKeeper, wakeup: asyncio.Event, send_due_batch: Callable[[], Awaitable[int]],
                     batch_size: int, poll_interval_s: float, name: str) -> None:
    """A sender's loop (emails, SMS): send what is due, batch after batch while they come full, then sleep
    until woken (rows committed) or the poll interval passes; the claims are renewed meanwhile."""
    keeper = asyncio.create_task(claims.run(), name=name)
    try:
        while True:
            wakeup.clear()
            if await send_due_batch() >= batch_size:
                continue
            try:
                await asyncio.wait_for(wakeup.wait(), poll_interval_s)
            except asyncio.TimeoutError:
                pass
    finally:
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)
