"""The envelope every Duely event travels in.

Topic name = event type; Kafka key = aggregate_id, so one invoice's events stay
ordered within a topic. An aggregate is named by (aggregate_type, aggregate_id)
and has exactly one publisher, which numbers its events 1, 2, 3...: a consumer
keeps the highest aggregate_version it applied per (aggregate_type,
aggregate_id) and ignores anything not newer, because ordering across topics is
not guaranteed. Different aggregate types may share an id (an invoice's own
events, payments' record of it, its reminders): they are counted separately.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from duely_contracts.registry import REGISTRY, aggregate_type_for
from duely_contracts.timestamps import Timestamp


def new_event_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _published_fields_required(schema: dict) -> None:
    # Every field is always present on the wire: the defaults only help the publisher build one.
    schema["required"] = list(schema["properties"])


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_published_fields_required)

    id: str = Field(default_factory=new_event_id, description="Unique event id (uuid); consumers dedupe on it.")
    type: str = Field(description="Event type, also the topic name, e.g. invoice.issued.")
    occurred_at: Timestamp = Field(default_factory=utcnow, description="When the publisher committed the change.")
    organization_id: str
    aggregate_type: str = Field(description=(
        "What the event is about, e.g. invoice (invoicing's invoice), invoice_payments (payments' record of "
        "an invoice), invoice_view, invoice_reminders. Each aggregate type has one publisher."))
    aggregate_id: str = Field(description="Id of the entity the event is about; the Kafka key.")
    aggregate_version: int = Field(ge=0, description=(
        "Counts the events of (aggregate_type, aggregate_id), numbered by its one publisher: newer wins. "
        "Keep the highest version applied per (aggregate_type, aggregate_id); ignore what is not newer."))
    correlation_id: str = Field(description="Shared by every event and request of one journey.")
    causation_id: str | None = Field(default=None, description="Id of the event or request that caused this one.")
    data: dict[str, Any]

    @model_validator(mode="before")
    @classmethod
    def _aggregate_type_of_older_messages(cls, values: Any) -> Any:
        # Events published before aggregate_type existed (still in Kafka or an outbox replay).
        if isinstance(values, dict) and "aggregate_type" not in values and values.get("type") in REGISTRY:
            values = {**values, "aggregate_type": aggregate_type_for(values["type"])}
        return values

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Envelope":
        return cls.model_validate_json(raw)
