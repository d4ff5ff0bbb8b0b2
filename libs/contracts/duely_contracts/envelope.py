"""The envelope every Duely event travels in.

Topic name = event type; Kafka key = aggregate_id, so one invoice's events stay
ordered within a topic. Consumers use `aggregate_version` to ignore stale
updates, because ordering across topics is not guaranteed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def new_event_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_event_id, description="Unique event id (uuid); consumers dedupe on it.")
    type: str = Field(description="Event type, also the topic name, e.g. invoice.issued.")
    occurred_at: datetime = Field(default_factory=utcnow)
    organization_id: str
    aggregate_id: str = Field(description="Id of the entity the event is about; the Kafka key.")
    aggregate_version: int = Field(ge=0, description="Monotonic per aggregate; newer wins.")
    correlation_id: str = Field(description="Shared by every event and request of one journey.")
    causation_id: str | None = Field(default=None, description="Id of the event or request that caused this one.")
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Envelope":
        return cls.model_validate_json(raw)
