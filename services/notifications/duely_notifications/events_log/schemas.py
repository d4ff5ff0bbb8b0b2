"""The events log's shape: an event as published (the envelope, without its tracing fields)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from duely_contracts.timestamps import Timestamp

from duely_notifications.models import ReceivedEvent


class EventOut(BaseModel):
    id: str = Field(description="The event's id (the webhook-id of its webhooks).")
    object: Literal["event"] = "event"
    type: str = Field(description="invoice.issued, payment.refunded… (the topics this service consumes).")
    occurred_at: Timestamp = Field(description="When the publisher committed the change.")
    received_at: Timestamp = Field(description="When this service received it (the list's order).")
    aggregate_type: str
    aggregate_id: str = Field(description="What it is about: an invoice, a customer, a payment method…")
    data: dict[str, Any] = Field(description="The event's payload as published (what its webhook carries).")

    @classmethod
    def of(cls, row: ReceivedEvent) -> "EventOut":
        return cls(id=row.id, type=row.type, occurred_at=row.occurred_at, received_at=row.received_at,
                   aggregate_type=row.aggregate_type, aggregate_id=row.aggregate_id, data=row.data)


class EventList(BaseModel):
    object: Literal["list"] = "list"
    data: list[EventOut]
    has_more: bool
