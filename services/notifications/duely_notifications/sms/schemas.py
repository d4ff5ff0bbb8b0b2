"""The delivery log's shape of an SMS (GET /v1/messages lists emails and SMS together)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from duely_contracts.timestamps import Timestamp

from duely_notifications.models import SmsMessage


class SmsProviderAnswer(BaseModel):
    name: str = Field(description="twilio (the SMS catcher answers as Twilio in embedded mode).")
    id: str | None = Field(description="The provider's message id (Twilio's SM… sid).")
    status: str | None = Field(description="The provider's status word: queued, accepted, failed...")
    answer: dict[str, Any] | None = Field(description="The provider's last answer, as it gave it (JSON).")


class SmsMessageOut(BaseModel):
    id: str
    object: Literal["sms_message"] = "sms_message"
    channel: Literal["sms"] = "sms"
    template: str
    kind: str | None = Field(None, description="The kind of SMS: invoice_reminder.")
    customer_id: str | None = Field(None, description="The invoice's customer (null until the invoice is known here).")
    to: list[str] = Field(description="The customer's phone (E.164), read from the invoice when it is sent; "
                                      "empty until then.")
    body: str | None = Field(description="The text, once decided (when it is sent).")
    segments: int | None = Field(description="SMS parts the text is sent as (160 GSM-7 characters in one, 153 per "
                                             "part beyond; 70 / 67 in UCS-2).")
    encoding: str | None = Field(description="GSM-7 or UCS-2.")
    invoice_id: str
    step: str | None = None
    source: str | None = None
    status: Literal["pending", "sent", "failed", "skipped"]
    skipped_reason: str | None = Field(None, description="no_phone, no_sms_consent, sms_not_configured, or why "
                                                         "the invoice made it obsolete (paid since...).")
    attempts: int
    last_error: str | None
    provider: SmsProviderAnswer | None
    created_at: Timestamp
    sent_at: Timestamp | None

    @classmethod
    def of(cls, m: SmsMessage) -> "SmsMessageOut":
        facts = m.facts or {}
        provider = SmsProviderAnswer(name=m.provider, id=m.provider_id, status=m.provider_status,
                                     answer=m.provider_answer) if m.provider else None
        return cls(id=m.id, template=facts.get("template") or m.template, kind=m.template,
                   customer_id=m.customer_id, to=[m.to] if m.to else [], body=m.body,
                   segments=m.segments, encoding=m.encoding, invoice_id=m.invoice_id, step=facts.get("step"),
                   source=facts.get("source"), status=m.status, skipped_reason=m.skipped_reason,
                   attempts=m.attempts, last_error=m.last_error, provider=provider, created_at=m.created_at,
                   sent_at=m.sent_at)
