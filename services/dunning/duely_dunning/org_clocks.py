"""The clock every time-dependent decision reads: real time, plus the offset a test-mode
organization stored when it advanced its clock (the `org_clocks` table).

The arithmetic itself (offsets, how far an advance may go) is pure and lives in
`domain/clock_arithmetic.py`; this module reads the stored offsets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.kit.clock import utcnow
from duely_dunning import repository
from duely_dunning.domain.clock_arithmetic import org_now


class Clock:
    def __init__(self, real_now: Callable[[], datetime] = utcnow) -> None:
        self._real_now = real_now

    def real(self) -> datetime:
        return self._real_now()

    async def now_for(self, session: AsyncSession, organization_id: str) -> datetime:
        return org_now(self.real(), await repository.clock_offset(session, organization_id))
