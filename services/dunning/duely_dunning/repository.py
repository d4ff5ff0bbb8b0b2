"""All of dunning's SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.kit.writes import dialect_insert, insert_ignore, upsert_newer
from duely_dunning.models import (
    SUBJECT_INVOICE, CollectionEvent, CollectionState, OrgClock, PaymentFailure, Timer, TrackedPaymentMethod,
)


def _pending_due(cutoff: datetime, organization_id: str | None):
    # Same predicate as the partial indexes, so the planner can use them.
    conditions = [Timer.fired_at.is_(None), Timer.cancelled_at.is_(None), Timer.due_at <= cutoff]
    if organization_id is not None:
        conditions.append(Timer.organization_id == organization_id)
    return conditions


# -- collection state ---------------------------------------------------------

async def get_state(session: AsyncSession, invoice_id: str) -> CollectionState | None:
    return await session.get(CollectionState, invoice_id)


async def get_state_of_org(session: AsyncSession, organization_id: str, invoice_id: str) -> CollectionState | None:
    return (await session.execute(select(CollectionState).where(
        CollectionState.invoice_id == invoice_id, CollectionState.organization_id == organization_id,
    ))).scalar_one_or_none()


async def get_states(session: AsyncSession, invoice_ids: set[str]) -> dict[str, CollectionState]:
    if not invoice_ids:
        return {}
    rows = (await session.execute(select(CollectionState).where(CollectionState.invoice_id.in_(invoice_ids)))).scalars()
    return {row.invoice_id: row for row in rows}


def add_state(session: AsyncSession, state: CollectionState) -> None:
    session.add(state)


async def record_payment_failure(session: AsyncSession, failure: dict) -> bool:
    """True when this attempt was not recorded before."""
    return await insert_ignore(session, PaymentFailure.__table__, failure)


# -- timers -------------------------------------------------------------------

async def schedule_timer(session: AsyncSession, timer: dict) -> bool:
    """Insert unless the subject already has an entry of this kind and step; True when inserted."""
    return await insert_ignore(session, Timer.__table__, timer)


async def get_timer(session: AsyncSession, timer_id: str) -> Timer | None:
    return await session.get(Timer, timer_id)


async def cancel_pending_timers(session: AsyncSession, subject_id: str, now: datetime, *,
                                subject_type: str = SUBJECT_INVOICE, kind: str | None = None,
                                keep_step: str | None = None, organization_id: str | None = None) -> int:
    """Cancel the subject's pending entries (of one kind, except one step, of one organization, when given)."""
    conditions = [Timer.subject_id == subject_id, Timer.subject_type == subject_type,
                  Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)]
    if organization_id is not None:
        conditions.append(Timer.organization_id == organization_id)
    if kind is not None:
        conditions.append(Timer.kind == kind)
    if keep_step is not None:
        conditions.append(Timer.step != keep_step)
    result = await session.execute(update(Timer).where(*conditions).values(cancelled_at=now)
                                   .execution_options(synchronize_session=False))
    return result.rowcount


async def restore_cancelled_timers(session: AsyncSession, invoice_id: str, kind: str) -> int:
    """Plan again the invoice's entries of `kind` that were cancelled before they fired (a reopened invoice)."""
    result = await session.execute(update(Timer).where(
        Timer.subject_id == invoice_id, Timer.subject_type == SUBJECT_INVOICE, Timer.kind == kind,
        Timer.fired_at.is_(None), Timer.cancelled_at.is_not(None),
    ).values(cancelled_at=None).execution_options(synchronize_session=False))
    return result.rowcount


async def timers_of(session: AsyncSession, subject_id: str, subject_type: str = SUBJECT_INVOICE) -> list[Timer]:
    return list((await session.execute(
        select(Timer).where(Timer.subject_id == subject_id, Timer.subject_type == subject_type)
        .order_by(Timer.due_at, Timer.id))).scalars())


async def timers_of_invoice(session: AsyncSession, invoice_id: str) -> list[Timer]:
    return await timers_of(session, invoice_id, SUBJECT_INVOICE)


async def claim_due_timers(session: AsyncSession, cutoff: datetime, limit: int,
                           organization_id: str | None = None) -> list[Timer]:
    """Lock up to `limit` pending timers due by `cutoff`, in due order.

    SKIP LOCKED lets replicas share the work without ever firing one timer twice
    (SQLite ignores it: its writers are serialized anyway).
    """
    return list((await session.execute(
        select(Timer).where(*_pending_due(cutoff, organization_id))
        .order_by(Timer.due_at, Timer.id).limit(limit)
        .with_for_update(skip_locked=True)
    )).scalars())


async def has_due_timers(session: AsyncSession, cutoff: datetime, organization_id: str) -> bool:
    return bool(await session.scalar(select(exists().where(*_pending_due(cutoff, organization_id)))))


# -- collection history ---------------------------------------------------------

async def record_collection_event(session: AsyncSession, row: dict) -> bool:
    """Insert one history row unless this event, or the same fact, is there already; True when inserted."""
    return await insert_ignore(session, CollectionEvent.__table__, row)


async def collection_events_of(session: AsyncSession, invoice_id: str) -> list[CollectionEvent]:
    return list((await session.execute(
        select(CollectionEvent).where(CollectionEvent.invoice_id == invoice_id)
        .order_by(CollectionEvent.at, CollectionEvent.id))).scalars())


async def attempt_settled(session: AsyncSession, invoice_id: str, attempt_id: str) -> bool:
    """Whether a payment of this attempt already succeeded (its event overtook payment.processing)."""
    rows = (await session.execute(select(CollectionEvent.detail).where(
        CollectionEvent.invoice_id == invoice_id, CollectionEvent.type == "payment.succeeded"))).scalars()
    return any(detail.get("attempt_id") == attempt_id for detail in rows)


async def late_failure_since(session: AsyncSession, invoice_id: str, since: datetime) -> bool:
    """Whether a late (bank debit) failure of the invoice was recorded at or after `since`."""
    rows = (await session.execute(select(CollectionEvent.detail).where(
        CollectionEvent.invoice_id == invoice_id, CollectionEvent.type == "invoice.payment_failed",
        CollectionEvent.at >= since))).scalars()
    return any(detail.get("late") for detail in rows)


# -- payment methods --------------------------------------------------------------

async def track_payment_method(session: AsyncSession, row: dict) -> bool:
    """Record the method's version unless a newer one was seen; True when this one is the newest."""
    return await upsert_newer(session, TrackedPaymentMethod.__table__, row, keep=("organization_id",))


# -- organization clocks ------------------------------------------------------

async def clock_offset(session: AsyncSession, organization_id: str) -> int:
    offset = await session.scalar(select(OrgClock.offset_seconds).where(OrgClock.organization_id == organization_id))
    return offset or 0


async def clock_offsets(session: AsyncSession, organization_ids: set[str]) -> dict[str, int]:
    if not organization_ids:
        return {}
    rows = await session.execute(select(OrgClock.organization_id, OrgClock.offset_seconds)
                                 .where(OrgClock.organization_id.in_(organization_ids)))
    return {org: offset for org, offset in rows}


async def advanced_clocks(session: AsyncSession) -> list[tuple[str, int]]:
    rows = await session.execute(select(OrgClock.organization_id, OrgClock.offset_seconds)
                                 .where(OrgClock.offset_seconds > 0).order_by(OrgClock.organization_id))
    return [(org, offset) for org, offset in rows]


async def advance_clock(session: AsyncSession, organization_id: str, seconds: int, now: datetime) -> int:
    """Add `seconds` to the organization's offset atomically; returns the new offset."""
    insert = dialect_insert(session)
    statement = insert(OrgClock).values(organization_id=organization_id, offset_seconds=seconds, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[OrgClock.organization_id],
        set_={"offset_seconds": OrgClock.offset_seconds + statement.excluded.offset_seconds,
              "updated_at": statement.excluded.updated_at},
    ).returning(OrgClock.offset_seconds)
    return (await session.execute(statement)).scalar_one()
