"""Who carries an SMS: `SmsDriver.send(to, body) -> SmsResult`, and the production driver, Twilio's REST API.

    POST {base}/2010-04-01/Accounts/{sid}/Messages.json   (basic auth sid:token)
    To, From (or MessagingServiceSid), Body                (form fields)

Twilio answers 201 with the message (`sid`, `status` queued/accepted..., `error_code`, `error_message`),
or 4xx/5xx with its error (`code`, `message`, `more_info`, `status`). In embedded mode and tests the base
URL is the SMS catcher (duely_devstack.sms_catcher), which speaks the same endpoint: the same code runs.

`Idempotency-Key` carries the message's key: the catcher stores a resend once, like the SMTP catcher
and Message-ID. Twilio itself ignores the header; a resend after a crash between Twilio's answer and
our commit is the one duplicate left, as for email.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from duely_runtime.kit.tls import default_tls

from duely_notifications.config import Settings

# Twilio answers these when the request may succeed later: rate limited, or its own trouble.
TRANSIENT_STATUS = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class SmsResult:
    """The provider's answer to one send."""

    accepted: bool              # the provider took the message (it delivers it from here)
    provider_id: str | None     # Twilio's SM… sid
    status: str | None          # the provider's status word (queued, accepted, failed...)
    raw: dict[str, Any] = field(default_factory=dict)  # its answer as it gave it (JSON), for the delivery log
    error: str | None = None    # why it was not taken, in the provider's words with its code
    retryable: bool = False     # sending the same again later may work


class SmsDriver(Protocol):
    name: str

    async def send(self, to: str, body: str, *, idempotency_key: str | None = None) -> SmsResult:
        """Raises httpx.HTTPError (or OSError) when the provider could not be reached: retryable."""
        ...


class TwilioDriver:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, from_number: str | None = None,
                 messaging_service_sid: str | None = None, base_url: str = "https://api.twilio.com",
                 timeout_s: float = 15.0) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("a Twilio sender needs a From number or a Messaging Service SID")
        self.account_sid = account_sid
        self.auth = (account_sid, auth_token)
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.timeout_s = timeout_s

    async def send(self, to: str, body: str, *, idempotency_key: str | None = None) -> SmsResult:
        form = {"To": to, "Body": body}
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            form["From"] = self.from_number or ""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False, verify=default_tls()) as client:
            response = await client.post(self.url, data=form, auth=self.auth, headers=headers)
        return answer(response.status_code, response.text)


def answer(status_code: int, text: str) -> SmsResult:
    """Twilio's HTTP answer → SmsResult."""
    try:
        raw = json.loads(text) if text else {}
    except ValueError:
        raw = {}
    if not isinstance(raw, dict):
        raw = {}
    if not raw:
        raw = {"http_status": status_code, "body": text[:500]}
    if 200 <= status_code < 300:
        failed = raw.get("status") in ("failed", "undelivered") or raw.get("error_code")
        error = f"Twilio {raw.get('error_code')}: {raw.get('error_message')}" if failed else None
        return SmsResult(not failed, raw.get("sid"), raw.get("status"), raw, error)
    code = raw.get("code") or raw.get("error_code")
    message = raw.get("message") or raw.get("error_message") or raw.get("body") or "no message"
    return SmsResult(False, raw.get("sid"), raw.get("status") if isinstance(raw.get("status"), str) else None,
                     raw, f"Twilio {code or status_code} (HTTP {status_code}): {message}",
                     retryable=status_code in TRANSIENT_STATUS)


class NoSmsDriver:
    """DUELY_NOTIFICATIONS_SMS_PROVIDER=none: SMS are recorded as skipped, never sent."""

    name = "none"

    async def send(self, to: str, body: str, *, idempotency_key: str | None = None) -> SmsResult:
        raise RuntimeError("no SMS provider is configured")


def driver_from_settings(settings: Settings) -> SmsDriver:
    if settings.sms_provider == "twilio":
        return TwilioDriver(settings.twilio_account_sid or "", settings.twilio_auth_token or "",
                            from_number=settings.twilio_from, messaging_service_sid=settings.twilio_messaging_service_sid,
                            base_url=settings.twilio_base_url, timeout_s=settings.sms_timeout_s)
    return NoSmsDriver()
