"""API models of endpoint management and the delivery log (the endpoint and delivery objects are in
../schemas.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from duely_contracts.timestamps import EXAMPLE, Timestamp
from duely_runtime.text import SingleLineText, Text

from duely_notifications.models import WebhookDelivery, WebhookDeliveryAttempt
from duely_notifications.schemas import WebhookDeliveryOut, _events_schema

DAY_S = 24 * 3600


class WebhookEndpointUpdate(BaseModel):
    """Only the fields given change; `description: null` clears it."""

    model_config = ConfigDict(extra="forbid")

    url: SingleLineText | None = Field(None, max_length=2048, description="Checked as at creation.")
    events: list[SingleLineText] | None = Field(None, json_schema_extra=_events_schema)
    description: Text | None = Field(None, max_length=5000)
    enabled: bool | None = Field(None, description=(
        "false: nothing new is queued for it and its pending deliveries are held; true: deliveries resume "
        "(held ones first), whether it was disabled by hand or after failing."))


class RollSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_s: int = Field(DAY_S, ge=0, le=7 * DAY_S, description=(
        "How long the current secret keeps signing beside the new one (both signatures in webhook-signature, "
        "space separated), so receivers can switch without dropping events. 0 = stop at once."))


class ReplaySince(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime = Field(description="Deliveries created at or after this instant (ISO 8601 with an offset, "
                                             "or Unix seconds).", examples=[EXAMPLE])
    status: Literal["failed", "succeeded"] = Field("failed", description="Which finished deliveries to send again.")


class ReplayCount(BaseModel):
    object: Literal["webhook_replay"] = "webhook_replay"
    endpoint_id: str
    status: str
    since: Timestamp
    count: int = Field(description="Deliveries queued again (same webhook-id each: receivers dedupe on it).")


class WebhookAttemptOut(BaseModel):
    object: Literal["webhook_delivery_attempt"] = "webhook_delivery_attempt"
    number: int
    status_code: int | None
    duration_ms: int
    error: str | None = Field(description="Our own short reason; never the endpoint's response body.")
    next_retry_at: Timestamp | None = Field(description="When the next try was planned after this one, if any.")
    attempted_at: Timestamp

    @classmethod
    def of(cls, a: WebhookDeliveryAttempt) -> "WebhookAttemptOut":
        return cls(number=a.number, status_code=a.status_code, duration_ms=a.duration_ms, error=a.error,
                   next_retry_at=a.next_retry_at, attempted_at=a.attempted_at)


class WebhookDeliveryDetail(WebhookDeliveryOut):
    attempt_log: list[WebhookAttemptOut] = Field(default_factory=list, description="Every attempt, oldest first.")

    @classmethod
    def with_attempts(cls, delivery: WebhookDelivery, attempts) -> "WebhookDeliveryDetail":
        return cls(**WebhookDeliveryOut.of(delivery).model_dump(),
                   attempt_log=[WebhookAttemptOut.of(a) for a in attempts])


class DeliveryList(BaseModel):
    object: Literal["list"] = "list"
    data: list[WebhookDeliveryOut]
    has_more: bool = False
    next_cursor: str | None = None
