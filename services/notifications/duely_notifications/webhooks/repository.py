"""SQL of webhook endpoint management and the delivery log (fan-out, claiming and the endpoint basics are in
../repository.py). Every query a caller reaches is scoped by organization id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.kit.pagination import Cursor, Page, keyset_page, start_position
from duely_runtime.kit.writes import insert_ignore

from duely_notifications.models import Invoice, Message, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint

# How many of the organization's newest invoices are looked at for its address.
ADDRESS_LOOKBACK = 20


@dataclass(frozen=True)
class DeliveryFilters:
    endpoint_id: str | None = None
    status: str | None = None
    event_id: str | None = None
    event_type: str | None = None


async def update_endpoint(session: AsyncSession, endpoint_id: str, values: dict[str, Any]) -> None:
    await session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(**values))


async def get_delivery(session: AsyncSession, organization_id: str, endpoint_id: str,
                       delivery_id: str) -> WebhookDelivery | None:
    return await session.scalar(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id,
        WebhookDelivery.organization_id == organization_id))


async def page_deliveries(session: AsyncSession, organization_id: str, filters: DeliveryFilters, limit: int, *,
                          cursor: str | None = None, starting_after: str | None = None) -> Page[WebhookDelivery]:
    scope = WebhookDelivery.organization_id == organization_id
    query = select(WebhookDelivery).where(scope)
    for column, value in ((WebhookDelivery.endpoint_id, filters.endpoint_id), (WebhookDelivery.status, filters.status),
                          (WebhookDelivery.event_id, filters.event_id),
                          (WebhookDelivery.event_type, filters.event_type)):
        if value is not None:
            query = query.where(column == value)
    after: Cursor | None = await start_position(session, WebhookDelivery, scope, cursor=cursor,
                                                starting_after=starting_after)
    return await keyset_page(session, query, WebhookDelivery, limit=limit, after=after)


async def attempts_of(session: AsyncSession, delivery_id: str) -> Sequence[WebhookDeliveryAttempt]:
    return (await session.scalars(select(WebhookDeliveryAttempt).where(
        WebhookDeliveryAttempt.delivery_id == delivery_id).order_by(WebhookDeliveryAttempt.number))).all()


async def insert_attempt(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert-ignore on (delivery, number): only the claim that records the attempt writes it anyway."""
    return await insert_ignore(session, WebhookDeliveryAttempt.__table__, values)


def _replayed(now: datetime) -> dict[str, Any]:
    """A finished delivery back to pending, due now, with a new round of retries; same event id (webhook-id)."""
    return {"status": "pending", "next_attempt_at": now, "completed_at": None, "claim_token": None,
            "round_start": WebhookDelivery.attempts, "replays": WebhookDelivery.replays + 1}


async def replay_delivery(session: AsyncSession, delivery_id: str, now: datetime) -> bool:
    """False when it is in flight right now (claimed): that attempt's outcome comes first."""
    result = await session.execute(update(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.claim_token.is_(None)).values(**_replayed(now)))
    return result.rowcount == 1


async def replay_since(session: AsyncSession, endpoint_id: str, status: str, since: datetime, now: datetime) -> int:
    """Every finished delivery of the endpoint in `status` created since `since`, queued again; how many."""
    result = await session.execute(update(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == status,
        WebhookDelivery.created_at >= since, WebhookDelivery.claim_token.is_(None)).values(**_replayed(now)))
    return result.rowcount


# -- an endpoint's health --------------------------------------------------------

async def note_success(session: AsyncSession, endpoint_id: str) -> None:
    await session.execute(update(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_not(None)).values(failing_since=None))


async def note_failure(session: AsyncSession, endpoint_id: str, now: datetime) -> None:
    """The first failure since the last success starts the endpoint's failing streak."""
    await session.execute(update(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_(None)).values(failing_since=now))


async def disable_if_failing_since(session: AsyncSession, endpoint_id: str, before: datetime,
                                   now: datetime) -> WebhookEndpoint | None:
    """Disable the endpoint when its streak started at `before` or earlier; the endpoint when this call did it
    (once per streak, whoever records the deciding attempt)."""
    result = await session.execute(update(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.disabled_at.is_(None),
        WebhookEndpoint.deleted_at.is_(None), WebhookEndpoint.failing_since <= before)
        .values(disabled_at=now, disabled_reason="failing", updated_at=now))
    if result.rowcount != 1:
        return None
    return await session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                                .execution_options(populate_existing=True))


# -- the organization's address ----------------------------------------------------

async def organization_reply_to(session: AsyncSession, organization_id: str) -> str | None:
    """The Reply-To the organization set for its emails, from its newest invoice snapshots (invoice ids sort by
    creation time); None when none of them names one."""
    snapshots = (await session.scalars(select(Invoice.snapshot).where(Invoice.organization_id == organization_id)
                                       .order_by(Invoice.id.desc()).limit(ADDRESS_LOOKBACK))).all()
    for snapshot in snapshots:
        address = ((snapshot or {}).get("issuer") or {}).get("email_reply_to")
        if address:
            return str(address)
    return None


async def skip_unsent(session: AsyncSession, idempotency_key: str, reason: str) -> None:
    """An email just queued that cannot go out (nobody to send it to): recorded as skipped, with why."""
    await session.execute(update(Message).where(
        Message.idempotency_key == idempotency_key, Message.status == "pending", Message.claim_token.is_(None))
        .values(status="skipped", skipped_reason=reason))
