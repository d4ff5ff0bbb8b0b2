"""The clock every time-dependent decision reads: real time, plus a test-mode
organization's offset when it has advanced its clock."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from duely_dunning import repository
from duely_dunning.domain.clock import org_now


def system_now() -> datetime:
    return datetime.now(timezone.utc)


class Clock:
    def __init__(self, real_now: Callable[[], datetime] = system_now) -> None:
        self._real_now = real_now

    def real(self) -> datetime:
        return self._real_now()

    async def now_for(self, session: AsyncSession, organization_id: str) -> datetime:
        return org_now(self.real(), await repository.clock_offset(session, organization_id))
