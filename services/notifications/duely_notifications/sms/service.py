"""Use cases of the SMS channel: queue a reminder SMS; the delivery log's SMS half. Never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import ReminderDue
from duely_contracts.timestamps import as_utc
from duely_runtime.kit.ids import new_id
from duely_runtime.kit.pagination import Page, encode_cursor

from duely_notifications.domain import keys
from duely_notifications.sms import repository as sms_repo

ID_PREFIX = "sms"
TEMPLATE = "invoice_reminder"  # the kind, as for email; the template dunning asked for is in the facts


async def queue_reminder(session: AsyncSession, organization_id: str, due: ReminderDue, now: datetime,
                         customer_id: str | None = None) -> str:
    """One SMS per timeline entry, ever: a redelivered reminder_due stores nothing new. Who gets it and
    what it says are decided when it is sent (sender.py)."""
    key = keys.reminder_key(due.timer_id, "sms")
    await sms_repo.insert_sms(session, {
        "id": new_id(ID_PREFIX), "organization_id": organization_id, "idempotency_key": key,
        "template": TEMPLATE, "invoice_id": due.invoice_id, "customer_id": customer_id,
        "facts": {"tone": due.tone, "template": due.template, "step": due.step, "source": due.source,
                  "channel": "sms", "timer_id": due.timer_id, "days_from_due": due.days_from_due},
        "to": None, "body": None, "segments": None, "encoding": None, "status": "pending", "skipped_reason": None,
        "attempts": 0, "next_attempt_at": now, "last_error": None, "provider": None, "provider_id": None,
        "provider_status": None, "provider_answer": None, "created_at": now, "sent_at": None, "claim_token": None,
    })
    return key


def merge_newest_first(first: Page, second: Page, limit: int) -> Page:
    """Two pages of (created_at, id)-ordered rows, newest first, as one page of at most `limit`."""
    rows = sorted([*first.rows, *second.rows], key=lambda row: (as_utc(row.created_at), row.id), reverse=True)
    has_more = first.has_more or second.has_more or len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if has_more and rows else None
    return Page(rows, has_more, cursor)
