"""API models of the notifications service (Stripe-like objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from duely_contracts.registry import WEBHOOK_EVENT_TYPES
from duely_contracts.timestamps import Timestamp, as_utc
from duely_runtime.text import SingleLineText, Text

from duely_notifications.domain.webhooks import ALL_EVENTS

from duely_notifications.models import Message, WebhookDelivery, WebhookEndpoint


def _events_schema(schema: dict) -> None:
    """What events_problem accepts: the product's webhook events, or '*' alone; at least one."""
    schema.pop("items", None)
    schema.pop("type", None)
    schema["anyOf"] = [
        {"type": "array", "items": {"const": ALL_EVENTS}, "minItems": 1, "maxItems": 1},
        {"type": "array", "items": {"enum": list(WEBHOOK_EVENT_TYPES)}, "minItems": 1},
    ]


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: SingleLineText = Field(max_length=2048, description=(
        "http(s) URL that receives the events. It may not point at loopback, private, link-local or "
        "multicast addresses, nor at Duely's own services (unless DUELY_OUTBOUND_ALLOW_NETWORKS allows "
        "the range); checked here and again before every delivery."))
    events: list[SingleLineText] = Field(json_schema_extra=_events_schema)
    description: Text | None = Field(default=None, max_length=5000)


class WebhookEndpointOut(BaseModel):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    events: list[str]
    description: str | None
    status: Literal["enabled", "disabled"] = "enabled"
    disabled_reason: Literal["manual", "failing"] | None = Field(None, description=(
        "Why it is disabled: `manual` (PATCH enabled=false) or `failing` (every delivery failed for "
        "DUELY_NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_S, 5 days by default; the organization was emailed)."))
    disabled_at: Timestamp | None = None
    failing_since: Timestamp | None = Field(None, description="The first failed attempt since the last success.")
    previous_secret_expires_at: Timestamp | None = Field(None, description=(
        "After a roll: until then the previous secret signs too (a second signature in webhook-signature)."))
    created_at: Timestamp
    updated_at: Timestamp | None = None

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, now: datetime | None = None) -> "WebhookEndpointOut":
        overlap = endpoint.previous_secret_expires_at if endpoint.previous_secret else None
        if overlap is not None and now is not None and as_utc(overlap) <= now:
            overlap = None
        return cls(id=endpoint.id, url=endpoint.url, events=endpoint.events, description=endpoint.description,
                   status="disabled" if endpoint.disabled_at else "enabled", disabled_reason=endpoint.disabled_reason,
                   disabled_at=endpoint.disabled_at, failing_since=endpoint.failing_since,
                   previous_secret_expires_at=overlap, created_at=endpoint.created_at,
                   updated_at=endpoint.updated_at)


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str | None = Field(None, description="Shown once, at creation: verify signatures with it. Absent from "
                                                 "the replay of a repeated Idempotency-Key (it is never stored).")

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, now: datetime | None = None) -> "WebhookEndpointCreated":
        return cls(**WebhookEndpointOut.of(endpoint, now).model_dump(), secret=endpoint.secret)


class DeletedObject(BaseModel):
    id: str
    object: str
    deleted: bool = True


class WebhookDeliveryOut(BaseModel):
    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    endpoint_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int = Field(description="Attempts made, replays included (the attempt log numbers them).")
    replays: int = Field(0, description="Times it was replayed by hand (same webhook-id each time).")
    next_attempt_at: Timestamp | None
    last_status_code: int | None
    last_error: str | None = Field(description="Why the last attempt failed, in our words (status code and its "
                                               "standard phrase, a deadline, a refused address); never the "
                                               "endpoint's response body.")
    created_at: Timestamp
    completed_at: Timestamp | None

    @classmethod
    def of(cls, d: WebhookDelivery) -> "WebhookDeliveryOut":
        return cls(id=d.id, endpoint_id=d.endpoint_id, event_id=d.event_id, event_type=d.event_type,
                   status=d.status, attempts=d.attempts, replays=d.replays or 0,
                   next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
                   last_status_code=d.last_status_code, last_error=d.last_error, created_at=d.created_at,
                   completed_at=d.completed_at)


class EmailMessageOut(BaseModel):
    id: str
    object: Literal["email_message"] = "email_message"
    channel: Literal["email"] = "email"
    template: str
    kind: str | None = Field(None, description="The kind of email (invoice_issued, invoice_reminder, "
                                               "payment_receipt…); `template` is the one asked for (a reminder's tone).")
    customer_id: str | None = Field(None, description="The customer it is to; null for an email to the organization.")
    to: list[str]
    cc: list[str]
    recipients: list[str] = Field(default_factory=list, description="Everyone it goes to: to, then cc.")
    subject: str | None = Field(description="Null until the email is sent: it is rendered then, from the "
                                            "invoice's newest version, in the customer's language.")
    invoice_id: str | None
    status: Literal["pending", "sent", "failed", "skipped"]
    skipped_reason: str | None = Field(None, description="Why a `skipped` email was not sent: the invoice made it "
                                                         "obsolete before it went out (e.g. paid since a payment "
                                                         "failed).")
    attachments: list[str] = Field(default_factory=list, description="Files attached to what was sent: the "
                                                                     "invoice PDF when attach_pdf is on.")
    attempts: int
    last_error: str | None = Field(description="Why the last attempt failed: the provider's refusal (\"SMTP 550: "
                                               "...\") or why it could not be reached.")
    provider_response: str | None = Field(None, description="What the provider answered when it took the message "
                                                            "(the relay's SMTP reply).")
    created_at: Timestamp
    sent_at: Timestamp | None

    @classmethod
    def of(cls, m: Message) -> "EmailMessageOut":
        # A reminder shows the template dunning asked for (invoice_reminder_firm…), as its SMS does.
        return cls(id=m.id, template=(m.facts or {}).get("template") or m.template, kind=m.template,
                   customer_id=m.customer_id, to=m.to, cc=m.cc,
                   recipients=[*m.to, *m.cc], subject=m.subject, invoice_id=m.invoice_id,
                   status=m.status, skipped_reason=m.skipped_reason, attachments=list(m.attachments or []),
                   attempts=m.attempts, last_error=m.last_error, provider_response=m.provider_response,
                   created_at=m.created_at, sent_at=m.sent_at)


Item = TypeVar("Item")


class ListOf(BaseModel, Generic[Item]):
    """A page of a list; ListOf[WebhookEndpointOut] etc. so the OpenAPI document types `data`."""

    object: Literal["list"] = "list"
    data: list[Item]
    has_more: bool = False
