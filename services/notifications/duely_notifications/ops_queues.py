"""The notifications work queues on its ops page: emails, SMS and webhook deliveries pending and failing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.kit.clock import utcnow
from duely_runtime.ops import QueueFigure
from duely_runtime.ops.figures import queue_figure
from duely_notifications.models import Message, SmsMessage, WebhookDelivery

NOTE = "failing: pending after a failed attempt, or given up in the last 24 h"


async def queues(session: AsyncSession) -> list[QueueFigure]:
    day_ago = utcnow() - timedelta(hours=24)
    figures = []
    for name, model in (("emails", Message), ("sms", SmsMessage), ("webhook deliveries", WebhookDelivery)):
        t = model.__table__
        figures.append(await queue_figure(
            session, name, pending=t.c.status == "pending",
            failing=((t.c.status == "pending") & (t.c.attempts > 0)) | ((t.c.status == "failed")
                                                                        & (t.c.created_at >= day_ago)),
            due=t.c.next_attempt_at, created=t.c.created_at, note=NOTE))
    return figures
