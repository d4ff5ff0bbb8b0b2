"""HTTP API: the delivery log of emails and SMS. (Webhook endpoints and their deliveries are webhooks/api.py;
manual reminders are dunning's: POST /v1/invoices/{id}/remind goes on the invoice's collection timeline.)"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from duely_runtime.kit.deps import Caller, DbSession

from duely_notifications.models import SmsMessage
from duely_notifications.repository import LogFilters
from duely_notifications.schemas import EmailMessageOut, ListOf
from duely_notifications.service import Notifications
from duely_notifications.sms.schemas import SmsMessageOut

PageSize = Annotated[int, Query(ge=1, le=100)]  # ?limit=, 100 unless given


def message_out(message) -> EmailMessageOut | SmsMessageOut:
    return SmsMessageOut.of(message) if isinstance(message, SmsMessage) else EmailMessageOut.of(message)


def router(notifications: Notifications) -> APIRouter:
    api = APIRouter(prefix="/v1")

    # The delivery log: every email and SMS, newest first.
    @api.get("/messages", response_model=ListOf[EmailMessageOut | SmsMessageOut])
    async def list_messages(caller: Caller, session: DbSession,
                            customer_id: str | None = Query(None, max_length=64, description="Only to this customer."),
                            invoice_id: str | None = Query(None, max_length=64, description="Only about this invoice."),
                            channel: Literal["email", "sms"] | None = None,
                            status: Literal["pending", "sent", "failed", "skipped"] | None = None,
                            limit: PageSize = 100,
                            starting_after: str | None = Query(None, max_length=64, description=(
                                "The id of the last message of the previous page (an email's or an SMS's)."))):
        filters = LogFilters(caller.organization_id, invoice_id=invoice_id, customer_id=customer_id, status=status)
        page = await notifications.list_messages(session, filters, limit, channel=channel,
                                                 starting_after=starting_after)
        return ListOf(data=[message_out(message) for message in page.rows], has_more=page.has_more)

    @api.get("/messages/{message_id}", response_model=EmailMessageOut | SmsMessageOut)
    async def get_message(message_id: str, caller: Caller, session: DbSession):
        return message_out(await notifications.get_message(session, caller.organization_id, message_id))

    return api
