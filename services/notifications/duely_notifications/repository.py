"""All SQL of the notifications service."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import Select, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.kit.pagination import Cursor, Page, keyset_page
from duely_runtime.kit.writes import insert_ignore, upsert_newer
from duely_runtime.retention import RetentionRule

from duely_notifications.models import (
    Invoice, Message, Organization, Payment, ReceivedEvent, WebhookDelivery, WebhookEndpoint,
)


# -- read models --------------------------------------------------------------

async def upsert_organization(session: AsyncSession, organization_id: str, name: str, version: int) -> bool:
    return await upsert_newer(session, Organization.__table__,
                              {"id": organization_id, "name": name, "version": version})


async def organization_name(session: AsyncSession, organization_id: str) -> str | None:
    return await session.scalar(select(Organization.name).where(Organization.id == organization_id))


async def upsert_invoice(session: AsyncSession, snapshot: dict[str, Any], version: int) -> bool:
    """The newest snapshot wins; `reminders_sent` is this service's own count and is kept."""
    return await upsert_newer(session, Invoice.__table__, {
        "id": snapshot["id"], "organization_id": snapshot["organization_id"], "number": snapshot.get("number"),
        "status": snapshot["status"], "snapshot": snapshot, "version": version})


async def next_reminder_version(session: AsyncSession, invoice_id: str) -> int | None:
    """Count one more reminder_sent for this invoice (row lock: versions follow commit order)."""
    result = await session.execute(update(Invoice).where(Invoice.id == invoice_id)
                                   .values(reminders_sent=Invoice.reminders_sent + 1)
                                   .returning(Invoice.reminders_sent))
    return result.scalar_one_or_none()


async def insert_payment(session: AsyncSession, values: dict[str, Any]) -> bool:
    return await insert_ignore(session, Payment.__table__, values)


async def get_payment(session: AsyncSession, payment_id: str) -> Payment | None:
    return await session.get(Payment, payment_id)


def retention_rules(settings) -> list[RetentionRule]:
    """Emails once sent, skipped or given up on, webhook deliveries once finished (pending ones always
    stay); the payments read model (a receipt reads it within seconds) as long as emails."""
    messages, deliveries, payments = Message.__table__, WebhookDelivery.__table__, Payment.__table__
    return [
        RetentionRule("messages", messages, messages.c.created_at, timedelta(days=settings.retention_messages_days),
                      only=lambda: messages.c.status != "pending"),
        RetentionRule("payments", payments, payments.c.recorded_at,
                      timedelta(days=settings.retention_messages_days)),
        RetentionRule("webhook_deliveries", deliveries, deliveries.c.created_at,
                      timedelta(days=settings.retention_webhook_deliveries_days),
                      only=lambda: deliveries.c.status != "pending"),
        RetentionRule("received_events", ReceivedEvent.__table__, ReceivedEvent.__table__.c.received_at,
                      timedelta(days=settings.retention_events_days)),
    ]


async def get_invoice(session: AsyncSession, organization_id: str, invoice_id: str) -> Invoice | None:
    return await session.scalar(select(Invoice).where(
        Invoice.id == invoice_id, Invoice.organization_id == organization_id))


# -- messages -----------------------------------------------------------------

@dataclass(frozen=True)
class LogFilters:
    """What GET /v1/messages narrows the delivery log to (None: any)."""

    organization_id: str
    invoice_id: str | None = None
    customer_id: str | None = None
    status: str | None = None


async def insert_message(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert-ignore on the idempotency key: False when this email was already queued."""
    return await insert_ignore(session, Message.__table__, values)


async def autopay_failure_emailed(session: AsyncSession, invoice_id: str) -> bool:
    """Whether the customer was already told an AutoPay charge of this invoice failed."""
    rows = (await session.execute(select(Message.facts).where(
        Message.invoice_id == invoice_id, Message.template == "payment_failed"))).scalars()
    return any((facts or {}).get("autopay") for facts in rows)


async def message_by_key(session: AsyncSession, idempotency_key: str) -> Message | None:
    return await session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))


def log_filters(model, filters: "LogFilters"):
    """The delivery log's conditions on emails or SMS (the same columns in both tables)."""
    conditions = [model.organization_id == filters.organization_id]
    for column in ("invoice_id", "customer_id", "status"):
        if (value := getattr(filters, column)) is not None:
            conditions.append(getattr(model, column) == value)
    return conditions


async def page_messages(session: AsyncSession, filters: "LogFilters", limit: int,
                        after: Cursor | None = None) -> Page[Message]:
    return await keyset_page(session, select(Message).where(*log_filters(Message, filters)), Message, limit=limit,
                             after=after)


async def set_customer_of_invoice(session: AsyncSession, table, invoice_id: str, customer_id: str) -> None:
    """Emails or SMS queued before their invoice was known here learn its customer (the log filters on it)."""
    await session.execute(update(table).where(table.c.invoice_id == invoice_id, table.c.customer_id.is_(None))
                          .values(customer_id=customer_id))


async def get_message(session: AsyncSession, organization_id: str, message_id: str) -> Message | None:
    return await session.scalar(select(Message).where(
        Message.id == message_id, Message.organization_id == organization_id))


async def claim_due_messages(session: AsyncSession, now: datetime, lease_until: datetime,
                             limit: int) -> list[dict[str, Any]]:
    """Due pending emails, hidden from other workers until `lease_until` (SKIP LOCKED on Postgres).

    One invoice's emails go out in order: the invoice email first, then the others in the order they
    were queued. An email waits while its invoice's invoice email, or an older email of the invoice, is
    still pending (retrying, or waiting for its PDF), so the customer never reads them out of order,
    whichever topic's event this service happened to read first.

    Returns plain rows with `attempts` already counting this attempt and the `claim_token` they carry.
    """
    table = Message.__table__
    before = table.alias("before")
    waits = table.c.template != "invoice_issued", exists().where(
        before.c.invoice_id == table.c.invoice_id, before.c.status == "pending", before.c.id != table.c.id,
        or_(before.c.template == "invoice_issued", before.c.created_at < table.c.created_at))
    rows = await _due(session, table, now, limit, also=~and_(*waits))
    return await lease(session, table, rows, lease_until)


async def _due(session: AsyncSession, table, now: datetime, limit: int, *,
               exclude: dict[str, Iterable[str]] | None = None, also=None) -> list[dict[str, Any]]:
    """Due pending rows, oldest first, locked for this transaction (skipping rows other workers hold);
    `exclude` maps a column to values whose rows are left for later; `also` is one more condition."""
    query = select(table).where(table.c.status == "pending", table.c.next_attempt_at <= now)
    if also is not None:
        query = query.where(also)
    for column, values in (exclude or {}).items():
        if values:
            query = query.where(table.c[column].not_in(list(values)))
    query = query.order_by(table.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
    return [dict(row) for row in (await session.execute(query)).mappings().all()]


async def lease(session: AsyncSession, table, rows: list[dict[str, Any]], lease_until: datetime
                ) -> list[dict[str, Any]]:
    """Claim `rows` (locked by _due in this transaction) under one new token until `lease_until`."""
    if not rows:
        return []
    token = uuid.uuid4().hex
    await session.execute(update(table).where(table.c.id.in_([row["id"] for row in rows]))
                          .values(next_attempt_at=lease_until, attempts=table.c.attempts + 1, claim_token=token))
    return [{**row, "attempts": row["attempts"] + 1, "claim_token": token} for row in rows]


async def renew_claims(session: AsyncSession, table, ids: list[str], token: str, lease_until: datetime) -> int:
    """Extend the lease of rows still claimed under `token` (not finished, not taken over). A row another
    transaction holds right now (its outcome being recorded) is skipped, never waited for: the renewal then
    never closes a lock cycle with it (Postgres; SQLite has one writer)."""
    held = (select(table.c.id).where(table.c.id.in_(ids), table.c.claim_token == token, table.c.status == "pending")
            .with_for_update(skip_locked=True))
    result = await session.execute(update(table).where(table.c.id.in_(held.scalar_subquery()))
                                   .values(next_attempt_at=lease_until))
    return result.rowcount


async def mark_message_sent(session: AsyncSession, message_id: str, token: str, sent_at: datetime, *,
                            subject: str, text_body: str, html_body: str, attachments: list[str],
                            to: list[str], cc: list[str], provider_response: str | None = None) -> bool:
    """Record what went out, to whom (a reminder queued before its invoice was known here takes its
    recipients at send time) and what the relay answered. False when this claim no longer holds the row
    (another worker took it over and finished it)."""
    result = await session.execute(
        update(Message).where(Message.id == message_id, Message.status == "pending", Message.claim_token == token)
        .values(status="sent", sent_at=sent_at, last_error=None, claim_token=None, subject=subject[:998],
                text_body=text_body, html_body=html_body, attachments=attachments, to=to, cc=cc,
                provider_response=provider_response[:2000] if provider_response else None))
    return result.rowcount == 1


async def invoice_email_pending(session: AsyncSession, invoice_id: str, other_than: str) -> bool:
    """Is the invoice's own email (invoice_issued) still to go out? Its other emails wait for it."""
    return bool(await session.scalar(select(exists().where(
        Message.invoice_id == invoice_id, Message.template == "invoice_issued", Message.status == "pending",
        Message.id != other_than))))


async def release_message(session: AsyncSession, message_id: str, token: str, due_at: datetime) -> bool:
    """Give a claimed email back untouched (this claim doesn't count as an attempt)."""
    result = await session.execute(
        update(Message).where(Message.id == message_id, Message.status == "pending", Message.claim_token == token)
        .values(next_attempt_at=due_at, attempts=Message.attempts - 1, claim_token=None))
    return result.rowcount == 1


async def mark_message_skipped(session: AsyncSession, message_id: str, token: str, reason: str) -> bool:
    result = await session.execute(
        update(Message).where(Message.id == message_id, Message.status == "pending", Message.claim_token == token)
        .values(status="skipped", skipped_reason=reason[:4000], last_error=None, claim_token=None))
    return result.rowcount == 1


async def mark_message_failed_attempt(session: AsyncSession, message_id: str, token: str, error: str,
                                      retry_at: datetime | None) -> bool:
    values: dict[str, Any] = {"last_error": error[:4000], "claim_token": None}
    if retry_at is None:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = retry_at
    result = await session.execute(
        update(Message).where(Message.id == message_id, Message.status == "pending", Message.claim_token == token)
        .values(**values))
    return result.rowcount == 1


# -- webhook endpoints --------------------------------------------------------

async def insert_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    session.add(endpoint)
    await session.flush()


async def get_endpoint(session: AsyncSession, organization_id: str, endpoint_id: str) -> WebhookEndpoint | None:
    return await session.scalar(select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.organization_id == organization_id,
        WebhookEndpoint.deleted_at.is_(None)))


def _live_endpoints(organization_id: str) -> Select:
    return select(WebhookEndpoint).where(WebhookEndpoint.organization_id == organization_id,
                                         WebhookEndpoint.deleted_at.is_(None))


async def endpoints_of(session: AsyncSession, organization_id: str) -> Sequence[WebhookEndpoint]:
    """All of the organization's endpoints (not deleted), newest first."""
    query = _live_endpoints(organization_id).order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id)
    return (await session.scalars(query)).all()


async def page_endpoints(session: AsyncSession, organization_id: str, limit: int) -> Page[WebhookEndpoint]:
    return await keyset_page(session, _live_endpoints(organization_id), WebhookEndpoint, limit=limit)


async def endpoints_by_id(session: AsyncSession, endpoint_ids: list[str]) -> dict[str, WebhookEndpoint]:
    rows = (await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids)))).all()
    return {row.id: row for row in rows}


async def delete_endpoint(session: AsyncSession, endpoint_id: str, now: datetime) -> None:
    """Soft delete (deliveries keep their history) and stop its pending deliveries."""
    await session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(deleted_at=now))
    await session.execute(
        update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
        .values(status="failed", last_error="endpoint deleted", completed_at=now, claim_token=None))


# -- webhook deliveries -------------------------------------------------------

async def insert_delivery(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert-ignore on (endpoint_id, event_id): a replayed event fans out once."""
    return await insert_ignore(session, WebhookDelivery.__table__, values)


async def page_deliveries(session: AsyncSession, endpoint_id: str, limit: int) -> Page[WebhookDelivery]:
    return await keyset_page(session, select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id),
                             WebhookDelivery, limit=limit)


async def due_deliveries(session: AsyncSession, now: datetime, limit: int, *, busy_organizations: Iterable[str] = (),
                         busy_endpoints: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Due deliveries, oldest first, locked for this transaction, leaving out tenants already at their cap and
    disabled endpoints (their deliveries are held until the endpoint is enabled again)."""
    table = WebhookDelivery.__table__
    disabled = exists().where(WebhookEndpoint.id == table.c.endpoint_id, WebhookEndpoint.disabled_at.is_not(None))
    return await _due(session, table, now, limit, also=~disabled,
                      exclude={"organization_id": busy_organizations, "endpoint_id": busy_endpoints})


async def record_delivery_attempt(session: AsyncSession, delivery_id: str, token: str, *, status: str,
                                  status_code: int | None, error: str | None, next_attempt_at: datetime | None,
                                  completed_at: datetime | None) -> bool:
    values: dict[str, Any] = {"status": status, "last_status_code": status_code, "claim_token": None,
                              "last_error": error[:500] if error else None, "completed_at": completed_at}
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    result = await session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
                                      WebhookDelivery.claim_token == token)
        .values(**values))
    return result.rowcount == 1
