"""Dunning's work queue on its ops page: timers (AutoPay charges, reminders, dunning steps...) due and late."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.kit.clock import utcnow
from duely_runtime.ops import QueueFigure
from duely_runtime.ops.figures import queue_figure
from duely_dunning.models import Timer


async def queues(session: AsyncSession) -> list[QueueFigure]:
    t = Timer.__table__
    waiting = t.c.fired_at.is_(None) & t.c.cancelled_at.is_(None)
    now = utcnow()
    return [
        await queue_figure(session, "timers due", pending=waiting & (t.c.due_at <= now), due=t.c.due_at,
                           created=t.c.due_at, note="due by the real clock (test clocks run ahead)"),
        await queue_figure(session, "timers planned", pending=waiting & (t.c.due_at > now)),
    ]
