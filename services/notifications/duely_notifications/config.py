"""Notifications configuration from the environment: DUELY_NOTIFICATIONS_* plus the SMTP_* relay settings.

SMTP settings are read without the DUELY_ prefix (SMTP_HOST, SMTP_PORT, ...) so
pointing Duely at a real relay is the same as for any other mail-sending app;
the prefixed spelling works too.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from duely_runtime.config import ServiceSettings


def smtp(name: str) -> AliasChoices:
    return AliasChoices(f"SMTP_{name}", f"DUELY_NOTIFICATIONS_SMTP_{name}")


def twilio(name: str) -> AliasChoices:
    """DUELY_NOTIFICATIONS_TWILIO_<name>, or Twilio's own TWILIO_<name> spelling."""
    return AliasChoices(f"DUELY_NOTIFICATIONS_TWILIO_{name}", f"TWILIO_{name}")


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DUELY_NOTIFICATIONS_", extra="ignore", populate_by_name=True)

    service_name: str = "notifications"
    http_port: int = 8004

    smtp_host: str = Field("127.0.0.1", validation_alias=smtp("HOST"))
    smtp_port: int = Field(1025, validation_alias=smtp("PORT"))
    smtp_username: str | None = Field(None, validation_alias=smtp("USERNAME"))
    smtp_password: str | None = Field(None, validation_alias=smtp("PASSWORD"))
    smtp_from: str = Field("Duely Billing <billing@duely.local>", validation_alias=smtp("FROM"))
    smtp_starttls: bool = Field(False, validation_alias=smtp("STARTTLS"))
    # Seconds for connecting to the relay, and for each message as a whole (not per SMTP command).
    smtp_timeout: float = Field(30.0, validation_alias=smtp("TIMEOUT"))
    # Connections the sender keeps open to the relay at once, each sending its share of a batch.
    smtp_connections: int = Field(4, ge=1, le=64, validation_alias=smtp("CONNECTIONS"))

    # Domain of the Message-ID headers we mint (derived from idempotency keys).
    message_id_domain: str = "duely.local"
    # Language of an email whose invoice names no locale (nor its customer).
    email_locale: str = "en_US"
    # The invoice PDF is attached (when the invoice's attach_pdf is true) up to this size; above it the
    # email carries the link to the invoice page only. Fetched from invoicing when the email is sent.
    email_attachment_max_bytes: int = Field(5 * 1024 * 1024, ge=0)
    pdf_fetch_timeout_s: float = Field(30.0, gt=0)
    # Seconds to wait before retry n (1-based); attempts stop after len + 1.
    email_backoff_s: list[float] = [5, 30, 120, 600, 3600]
    email_batch_size: int = 50
    # Emails of a batch composed at once (each mostly waits: for its PDF from invoicing, for a thread).
    email_compose_concurrency: int = Field(8, ge=1, le=64)

    # SMS (sms/): Twilio's REST API, or the SMS catcher speaking it (`make run`); "none" sends no SMS
    # (each is recorded as skipped). The catcher is Twilio at another base URL, with any sid and token.
    sms_provider: Literal["twilio", "none"] = "none"
    twilio_account_sid: str | None = Field(None, validation_alias=twilio("ACCOUNT_SID"))
    twilio_auth_token: str | None = Field(None, validation_alias=twilio("AUTH_TOKEN"))
    twilio_from: str | None = Field(None, validation_alias=twilio("FROM"))  # E.164 sender number...
    twilio_messaging_service_sid: str | None = Field(None, validation_alias=twilio("MESSAGING_SERVICE_SID"))  # ...or
    twilio_base_url: str = Field("https://api.twilio.com", validation_alias=twilio("BASE_URL"))
    sms_timeout_s: float = Field(15.0, gt=0)
    sms_backoff_s: list[float] = [10, 60, 300, 1800, 7200]
    sms_batch_size: int = 50

    webhook_backoff_s: list[float] = [5, 30, 120, 600, 3600, 21600]
    # One deadline for a whole delivery (connect, send, response headers); a slow or dripping
    # endpoint is cut off then and retried later. Nothing of the response body is read.
    webhook_timeout_s: float = 10.0
    # Deliveries in flight, all organizations together; at most this many for one organization, and for
    # one endpoint. A prompt endpoint takes a busy organization's every event (200 a second at 100 paid
    # invoices a second: 4 in flight would leave each delivery 20 ms); a slow one holds only its share.
    webhook_concurrency: int = 64
    webhook_organization_concurrency: int = 32
    webhook_endpoint_concurrency: int = 16
    # An endpoint whose deliveries have failed continuously this long (every attempt since the first failure,
    # no success between) is disabled and its organization emailed; PATCH enabled=true resumes it.
    # DUELY_NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_S, 5 days unless set.
    webhook_disable_after_s: float = Field(5 * 24 * 3600, gt=0)

    # A claimed row is invisible to other workers this long, and the worker renews the lease every
    # third of it while the send still runs; only a worker that died lets its rows fall due again
    # (an overlapping resend is harmless: same Message-ID / webhook-id, and only one claim records).
    claim_lease_s: float = 30.0
    worker_poll_interval_s: float = 0.5

    # Retention (README: "Retention"): sent or failed emails, finished webhook deliveries.
    retention_messages_days: float = Field(90, gt=0)
    retention_webhook_deliveries_days: float = Field(30, gt=0)
    # The events log (GET /v1/events): events received, kept this long (DUELY_NOTIFICATIONS_RETENTION_EVENTS_DAYS).
    retention_events_days: float = Field(30, gt=0)

    @model_validator(mode="after")
    def _twilio_is_complete(self) -> "Settings":
        if self.sms_provider == "twilio":
            missing = [name for name, value in (("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                                                ("TWILIO_AUTH_TOKEN", self.twilio_auth_token)) if not value]
            if not (self.twilio_from or self.twilio_messaging_service_sid):
                missing.append("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
            if missing:
                raise ValueError("DUELY_NOTIFICATIONS_SMS_PROVIDER=twilio needs "
                                 + ", ".join(f"DUELY_NOTIFICATIONS_{name}" for name in missing))
        return self
