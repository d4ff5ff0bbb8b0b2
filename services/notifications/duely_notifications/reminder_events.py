"""invoice.reminder_sent: published once a reminder went out, by email or SMS (the webhook of the same name)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import InvoiceReminderSent
from duely_runtime.outbox import Outbox

from duely_notifications import repository as repo

log = logging.getLogger(__name__)


async def announce_reminder(session: AsyncSession, outbox: Outbox, row: Mapping[str, Any], recipients: list[str],
                            channel: str, sent_at: datetime) -> None:
    """`row`: the sent message (email or SMS), with the facts of its reminder_due."""
    # Numbered 1, 2, 3... per invoice whatever the channel: notifications' own invoice_reminders aggregate.
    version = await repo.next_reminder_version(session, row["invoice_id"])
    if version is None:  # a reminder is only sent for an invoice we know
        log.warning("reminder sent for an unknown invoice; no event", extra={"message_id": row["id"]})
        return
    invoice = await repo.get_invoice(session, row["organization_id"], row["invoice_id"])
    facts = row.get("facts") or {}
    await outbox.emit(session, "invoice.reminder_sent", InvoiceReminderSent(
        invoice_id=row["invoice_id"], invoice_number=invoice.number if invoice else None,
        template=facts.get("template") or row["template"], recipients=recipients, message_id=row["id"],
        sent_at=sent_at, channel=channel, step=facts.get("step"), source=facts.get("source")),
        organization_id=row["organization_id"], aggregate_id=row["invoice_id"], aggregate_version=version)
