"""Tables of the notifications database: read models built from events, emails, webhooks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from duely_runtime.tables import add_runtime_tables
from duely_runtime.utc_datetime import UtcDateTime


class Base(DeclarativeBase):
    pass


class Organization(Base):
    """Read model from organization.created."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)


class Invoice(Base):
    """Read model: the newest invoice snapshot seen (by aggregate_version)."""

    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    snapshot: Mapped[dict] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    # invoice.reminder_sent events published for it: their aggregate_version (invoice_reminders).
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Payment(Base):
    """Read model from payment.succeeded: how a payment was made, for the receipt that invoice.paid sends."""

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(255))
    method_details: Mapped[dict | None] = mapped_column(JSON)  # brand, last4 when the event carries them
    succeeded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class Message(Base):
    """One email, queued by a consumer with the facts of its cause, rendered and sent by the sender worker.

    It is rendered when it is sent, from the invoice's newest snapshot (so an invoice paid since is
    not asked for again, and the body agrees with the PDF attached then); subject and bodies are
    stored once it went out. Rows queued before that change carry their rendered bodies and no facts.
    """

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    template: Mapped[str] = mapped_column(String(64))
    # The customer it is to (null for an email to the organization; set when its invoice becomes known).
    customer_id: Mapped[str | None] = mapped_column(String(64))
    to: Mapped[list] = mapped_column(JSON)
    cc: Mapped[list] = mapped_column(JSON)
    facts: Mapped[dict | None] = mapped_column(JSON)  # what the event said that the email shows
    subject: Mapped[str | None] = mapped_column(String(998))
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list | None] = mapped_column(JSON)  # file names attached to what was sent
    skipped_reason: Mapped[str | None] = mapped_column(Text)
    invoice_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | failed | skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id_header: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The token of the claim working on it (see claims.py); only that claim may record the outcome.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # What the provider answered when it took the message (the relay's SMTP reply); failures are in last_error.
    provider_response: Mapped[str | None] = mapped_column(Text)

    # The sender claims due rows: cost follows the work due, not the table size; retention goes by age.
    __table_args__ = (Index("ix_messages_due", "status", "next_attempt_at"),
                      Index("ix_messages_created_at", "created_at"),
                      # The delivery log (GET /v1/messages), newest first, whole or by customer or status (0010).
                      Index("ix_messages_org_created", "organization_id", "created_at", "id"),
                      Index("ix_messages_org_customer", "organization_id", "customer_id", "created_at", "id"),
                      Index("ix_messages_org_status", "organization_id", "status", "created_at", "id"))


class EmailTemplate(Base):
    """An organization's own version of one email (custom_templates/): subject, HTML, text and the reminder
    SMS, per template name and locale ('default': any locale without its own)."""

    __tablename__ = "email_templates"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(35))
    subject: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    sms: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("organization_id", "name", "locale", name="uq_email_templates_name_locale"),)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(String(5000))
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # After a roll, the old secret signs too (a second signature) until it expires (webhooks/service.py).
    previous_secret: Mapped[str | None] = mapped_column(String(128))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Disabled: nothing new is queued for it and nothing pending is sent; by hand, or "failing" automatically.
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(16))  # manual | failing
    # The first failed attempt since its last success: continuous failure this long disables it.
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """One event to one endpoint; the unique pair makes fan-out idempotent."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(String(64), index=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)  # the exact body, so every retry sends the same bytes
    status: Mapped[str] = mapped_column(String(16))  # pending | succeeded | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    # Our own short reason ("HTTP 500 Internal Server Error", "no complete response within 10 s"),
    # never the response body: what an endpoint answers is not stored or shown back.
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # `attempts` counts every attempt ever (the log's attempt numbers); a replay starts a new round of
    # retries, and the backoff counts the attempts since `round_start` only.
    round_start: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    replays: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_created_at", "created_at"),
        Index("ix_webhook_deliveries_event", "organization_id", "event_id"),  # the log of one event
    )


class WebhookDeliveryAttempt(Base):
    """One POST of a delivery, as the delivery log shows it (never the endpoint's response body)."""

    __tablename__ = "webhook_delivery_attempts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(64))
    organization_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... across replays
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    next_retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("delivery_id", "number", name="uq_webhook_delivery_attempts_number"),
                      Index("ix_webhook_delivery_attempts_attempted_at", "attempted_at"))


class SmsMessage(Base):
    """One SMS (sms/): queued from dunning.reminder_due with channel "sms", decided and sent by the SMS sender.

    The phone, consent and text are read from the invoice's newest snapshot when it is sent: `to`, `body`
    and `segments` are filled then (or it is skipped: no_phone, no_sms_consent, the invoice paid since).
    One per idempotency key: one SMS per timeline entry, ever. `provider_answer` is the provider's last
    answer as it gave it.
    """

    __tablename__ = "sms_messages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    template: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))  # the invoice's customer, once it is known
    facts: Mapped[dict] = mapped_column(JSON)  # tone, template, step, source, timer_id of its cause
    to: Mapped[str | None] = mapped_column(String(32))  # E.164
    body: Mapped[str | None] = mapped_column(Text)
    segments: Mapped[int | None] = mapped_column(Integer)
    encoding: Mapped[str | None] = mapped_column(String(8))  # GSM-7 | UCS-2
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | failed | skipped
    skipped_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(String(64))
    provider_status: Mapped[str | None] = mapped_column(String(32))
    provider_answer: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_sms_messages_due", "status", "next_attempt_at"),
                      Index("ix_sms_messages_created_at", "created_at"),
                      Index("ix_sms_messages_org_created", "organization_id", "created_at", "id"),
                      Index("ix_sms_messages_org_customer", "organization_id", "customer_id", "created_at", "id"),
                      Index("ix_sms_messages_org_status", "organization_id", "status", "created_at", "id"))


class SmsContact(Base):
    """A customer's phone and SMS consent as they are now (customer.created / customer.updated): an SMS for an
    invoice issued before the customer withdrew consent is not sent; the newest customer version wins."""

    __tablename__ = "sms_contacts"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    sms_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReceivedEvent(Base):
    """One event as this service received it (GET /v1/events): every event its consumers handle, recorded in
    the handler's inbox transaction, except those carrying links (events_log/recording.py); kept
    DUELY_NOTIFICATIONS_RETENTION_EVENTS_DAYS. `seq` is the order received."""

    __tablename__ = "received_events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    id: Mapped[str] = mapped_column(String(64))  # the envelope's id (webhook-id of its webhooks)
    organization_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(100))
    aggregate_type: Mapped[str] = mapped_column(String(64))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    data: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("id", name="uq_received_events_id"),
                      Index("ix_received_events_org_seq", "organization_id", "seq"),
                      Index("ix_received_events_org_type", "organization_id", "type", "seq"),
                      Index("ix_received_events_org_aggregate", "organization_id", "aggregate_id", "seq"),
                      Index("ix_received_events_received_at", "received_at"))


runtime_tables = add_runtime_tables(Base.metadata)
