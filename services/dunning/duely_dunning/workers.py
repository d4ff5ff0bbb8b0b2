"""The background timer worker: every tick, fire whatever fell due, in due order."""

from __future__ import annotations

import asyncio
import logging

from duely_runtime.db import Database
from duely_runtime.outbox import Outbox
from duely_dunning import repository, service
from duely_dunning.domain.clock_arithmetic import org_now
from duely_dunning.live_state import LiveInvoices
from duely_dunning.org_clocks import Clock

log = logging.getLogger(__name__)


class TimerWorker:
    def __init__(self, db: Database, outbox: Outbox, clock: Clock, *, tick_s: float, batch_size: int,
                 live: LiveInvoices | None = None) -> None:
        self.db = db
        self.live = live
        self.outbox = outbox
        self.clock = clock
        self.tick_s = tick_s
        self.batch_size = batch_size

    async def tick(self) -> int:
        """Fire every timer due by real time, then those due only by an advanced org clock
        (one indexed query per such organization). Each batch is one transaction; a timer
        missed while the service was down fires on the first tick after it comes back."""
        real_now = self.clock.real()
        fired = await self._drain(real_now, None)
        async with self.db.transaction() as session:
            clocks = await repository.advanced_clocks(session)
        for organization_id, offset in clocks:
            fired += await self._drain(org_now(real_now, offset), organization_id)
        return fired

    async def _drain(self, cutoff, organization_id: str | None) -> int:
        fired = 0
        while True:
            async with self.db.transaction() as session:
                batch = await service.fire_due_timers(session, self.outbox, self.clock, cutoff=cutoff,
                                                      limit=self.batch_size, organization_id=organization_id,
                                                      live=self.live)
            fired += len(batch)
            if len(batch) < self.batch_size:
                return fired

    async def fire_due_timers_forever(self) -> None:
        while True:
            fired = await self.tick()
            if fired:
                log.info("timers fired", extra={"count": fired})
            await asyncio.sleep(self.tick_s)
