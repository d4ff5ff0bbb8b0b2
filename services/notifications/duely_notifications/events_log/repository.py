"""All SQL of the events log (the received_events table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts import Envelope
from duely_runtime.errors import ApiError

from duely_notifications.models import ReceivedEvent


async def record(session: AsyncSession, envelope: Envelope, received_at: datetime) -> None:
    """One INSERT (the inbox row of the same transaction already keeps a redelivery out)."""
    await session.execute(insert(ReceivedEvent.__table__).values(
        id=envelope.id, organization_id=envelope.organization_id, type=envelope.type,
        aggregate_type=envelope.aggregate_type, aggregate_id=envelope.aggregate_id,
        occurred_at=envelope.occurred_at, received_at=received_at, data=envelope.data))


@dataclass(frozen=True)
class EventPage:
    rows: list[ReceivedEvent]
    has_more: bool


async def page_events(session: AsyncSession, organization_id: str, *, event_type: str | None,
                      aggregate_id: str | None, limit: int, starting_after: str | None) -> EventPage:
    """Newest received first; each filter has its (organization_id, …, seq) index."""
    query = select(ReceivedEvent).where(ReceivedEvent.organization_id == organization_id)
    if starting_after:
        seq = await session.scalar(select(ReceivedEvent.seq).where(
            ReceivedEvent.organization_id == organization_id, ReceivedEvent.id == starting_after))
        if seq is None:
            raise ApiError(400, "resource_missing", f"No such event: '{starting_after}'", param="starting_after")
        query = query.where(ReceivedEvent.seq < seq)
    if event_type is not None:
        query = query.where(ReceivedEvent.type == event_type)
    if aggregate_id is not None:
        query = query.where(ReceivedEvent.aggregate_id == aggregate_id)
    rows = list((await session.scalars(query.order_by(ReceivedEvent.seq.desc()).limit(limit + 1))).all())
    return EventPage(rows[:limit], len(rows) > limit)
