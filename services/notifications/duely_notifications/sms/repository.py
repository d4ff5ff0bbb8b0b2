"""All SQL of the SMS channel (the sms_messages table)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.kit.pagination import Cursor, Page, keyset_page
from duely_runtime.kit.writes import insert_ignore, upsert_newer
from duely_runtime.retention import RetentionRule

from duely_notifications import repository as repo
from duely_notifications.models import SmsContact, SmsMessage


async def insert_sms(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert-ignore on the idempotency key: False when this SMS was already queued."""
    return await insert_ignore(session, SmsMessage.__table__, values)


async def sms_by_key(session: AsyncSession, idempotency_key: str) -> SmsMessage | None:
    return await session.scalar(select(SmsMessage).where(SmsMessage.idempotency_key == idempotency_key))


async def page_sms(session: AsyncSession, filters: repo.LogFilters, limit: int,
                   after: Cursor | None = None) -> Page[SmsMessage]:
    return await keyset_page(session, select(SmsMessage).where(*repo.log_filters(SmsMessage, filters)), SmsMessage,
                             limit=limit, after=after)


async def get_sms(session: AsyncSession, organization_id: str, sms_id: str) -> SmsMessage | None:
    return await session.scalar(select(SmsMessage).where(
        SmsMessage.id == sms_id, SmsMessage.organization_id == organization_id))


async def claim_due_sms(session: AsyncSession, now: datetime, lease_until: datetime,
                        limit: int) -> list[dict[str, Any]]:
    """Due pending SMS, leased like emails (repository.lease): `attempts` counts this one."""
    table = SmsMessage.__table__
    return await repo.lease(session, table, await repo._due(session, table, now, limit), lease_until)


async def _finish(session: AsyncSession, sms_id: str, token: str, **values: Any) -> bool:
    """Record an outcome while this claim still holds the row (see claims.py)."""
    result = await session.execute(
        update(SmsMessage).where(SmsMessage.id == sms_id, SmsMessage.status == "pending",
                                 SmsMessage.claim_token == token)
        .values(claim_token=None, **values))
    return result.rowcount == 1


async def mark_sms_sent(session: AsyncSession, sms_id: str, token: str, sent_at: datetime,
                        **outcome: Any) -> bool:
    """`outcome`: to, body, segments, encoding, provider, provider_id, provider_status, provider_answer."""
    return await _finish(session, sms_id, token, status="sent", sent_at=sent_at, last_error=None, **outcome)


async def mark_sms_skipped(session: AsyncSession, sms_id: str, token: str, reason: str, **decided: Any) -> bool:
    return await _finish(session, sms_id, token, status="skipped", skipped_reason=reason[:4000], last_error=None,
                         **decided)


async def mark_sms_failed_attempt(session: AsyncSession, sms_id: str, token: str, error: str,
                                  retry_at: datetime | None, **outcome: Any) -> bool:
    values: dict[str, Any] = {"last_error": error[:4000], **outcome}
    if retry_at is None:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = retry_at
    return await _finish(session, sms_id, token, **values)


def retention_rule(settings) -> RetentionRule:
    """SMS once sent, skipped or given up on, kept as long as emails (DUELY_NOTIFICATIONS_RETENTION_MESSAGES_DAYS)."""
    table = SmsMessage.__table__
    return RetentionRule("sms_messages", table, table.c.created_at, timedelta(days=settings.retention_messages_days),
                         only=lambda: table.c.status != "pending")


async def record_contact(session: AsyncSession, row: dict[str, Any]) -> bool:
    """The customer's phone and consent, unless a newer version of the customer was seen."""
    return await upsert_newer(session, SmsContact.__table__, row, key="customer_id", keep=("organization_id",))


async def contact_of(session: AsyncSession, organization_id: str, customer_id: str) -> SmsContact | None:
    contact = await session.get(SmsContact, customer_id)
    return contact if contact is not None and contact.organization_id == organization_id else None
