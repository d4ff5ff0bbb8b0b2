"""Pure notification logic: relevance at send time, the sender, keys, retry schedule, webhook rules."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from duely_contracts.models import Issuer
from duely_contracts.registry import WEBHOOK_EVENT_TYPES
from duely_notifications.domain import keys, sender
from duely_notifications.domain.relevance import obsolete_reason
from duely_notifications.domain.retry import max_attempts, next_retry_at
from duely_notifications.domain.webhooks import (
    events_problem, is_success, normalized_events, subscribes, url_problem, webhook_body,
)


def test_idempotency_keys_follow_their_cause():
    assert keys.invoice_issued_key("in_1") == "invoice_issued:in_1"
    assert keys.payment_receipt_key("pay_1") == "payment_receipt:pay_1"
    assert keys.payment_failed_key("in_1", 2) == "payment_failed:in_1:2"
    assert keys.reminder_key("tmr_1", "email") == "invoice_reminder:tmr_1:email"
    assert keys.reminder_key("tmr_1", "sms") != keys.reminder_key("tmr_1", "email")
    assert keys.payment_method_expiring_key("pm_1", 4, 2027) == "payment_method_expiring:pm_1:2027-04"


def test_message_id_is_stable_and_distinct_per_key():
    a = keys.message_id_header("invoice_issued:in_1")
    assert a == keys.message_id_header("invoice_issued:in_1")
    assert a != keys.message_id_header("invoice_issued:in_2")
    assert a.startswith("<") and a.endswith("@duely.local>") and len(a) == len("<@duely.local>") + 32
    assert keys.message_id_header("k", "mail.example.com").endswith("@mail.example.com>")


def test_retry_schedule():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    backoff = [5, 30, 120]
    assert max_attempts(backoff) == 4
    assert next_retry_at(1, backoff, now) == now + timedelta(seconds=5)
    assert next_retry_at(3, backoff, now) == now + timedelta(seconds=120)
    assert next_retry_at(4, backoff, now) is None
    assert next_retry_at(1, [], now) is None
    with pytest.raises(ValueError):
        next_retry_at(0, backoff, now)


@pytest.mark.parametrize("url, ok", [
    ("https://example.com/hooks", True), ("http://127.0.0.1:9000/x", True),
    ("ftp://example.com", False), ("example.com/hook", False), ("https://", False),
    ("http://host:notaport/", False), ("javascript:alert(1)", False), ("", False),
])
def test_url_problem(url, ok):
    assert (url_problem(url) is None) is ok


def test_events_problem_names_the_bad_entry():
    assert events_problem(["invoice.paid", "invoice.issued"]) is None
    assert events_problem(["*"]) is None
    assert events_problem(list(WEBHOOK_EVENT_TYPES)) is None
    assert events_problem([])[0] == "events"
    param, message = events_problem(["invoice.paid", "invoice.exploded"])
    assert param == "events[1]" and "invoice.exploded" in message
    assert events_problem(["payment.succeeded"])[0] == "events[0]"  # internal event, not a webhook
    assert events_problem(["*", "invoice.paid"])[0] == "events[0]"


def test_subscriptions_and_success():
    assert subscribes(["invoice.paid"], "invoice.paid")
    assert not subscribes(["invoice.paid"], "invoice.issued")
    assert subscribes(["*"], "invoice.reminder_sent")
    assert not subscribes(["*"], "payment.succeeded")  # never a webhook event
    assert normalized_events(["a", "b", "a"]) == ["a", "b"]
    assert is_success(200) and is_success(204) and not is_success(301) and not is_success(500)
    assert not is_success(None)


def test_webhook_body_shape():
    body = json.loads(webhook_body("evt-1", "invoice.paid", datetime(2026, 1, 1, tzinfo=timezone.utc), "org_1",
                                   {"invoice": {"id": "in_1"}}))
    assert body == {"id": "evt-1", "type": "invoice.paid", "created_at": "2026-01-01T00:00:00Z",
                    "organization_id": "org_1", "data": {"invoice": {"id": "in_1"}}}


@pytest.mark.parametrize("template, status, amount_due, obsolete", [
    ("payment_failed", "issued", 100, False), ("payment_failed", "past_due", 100, False),
    ("payment_failed", "paid", 0, True), ("payment_failed", "void", 100, True),
    ("payment_failed", "uncollectible", 100, True), ("payment_failed", "issued", 0, True),
    ("invoice_reminder", "issued", 100, False), ("invoice_reminder", "paid", 0, True),
    ("invoice_reminder", "void", 100, True), ("invoice_issued", "paid", 0, False),
    ("invoice_issued", "void", 100, True), ("payment_receipt", "paid", 0, False),
    ("payment_refunded", "void", 100, False),
])
def test_relevance_at_send_time(template, status, amount_due, obsolete):
    reason = obsolete_reason(template, status, amount_due)
    assert (reason is not None) is obsolete, reason
    if obsolete and status == "paid":
        assert reason == "the invoice is paid now: nothing to ask for"


def test_sender_is_the_organizations_name_on_the_platforms_address():
    issuer = Issuer(company_name="Acme GmbH", email_from_name=None, email_reply_to="billing@acme.example")
    name = sender.display_name(issuer, "Demo Company")
    assert name == "Acme GmbH"
    address = sender.from_address("Duely Billing <billing@duely.local>", name)
    assert str(address) == "Acme GmbH <billing@duely.local>"
    assert sender.display_name(issuer.model_copy(update={"email_from_name": "Acme Billing"}), "x") == "Acme Billing"
    assert sender.display_name(None, "Demo Company") == "Demo Company"
    assert str(sender.from_address("billing@duely.local", None)) == "billing@duely.local"
    # A name stored before the one-line rule can't break the header.
    assert str(sender.from_address("billing@duely.local", "Evil\r\nBcc: x@y.z")) == \
        '"Evil Bcc: x@y.z" <billing@duely.local>'
    assert sender.reply_to(issuer) == "billing@acme.example"
    assert sender.reply_to(Issuer(company_name="Acme GmbH", email_reply_to="a@b.c\r\nBcc: x@y.z")) is None
    assert sender.reply_to(Issuer(company_name="Acme GmbH")) is None
    assert sender.reply_to(None) is None


def test_smtp_settings_are_read_without_the_duely_prefix(monkeypatch):
    from duely_notifications.config import Settings
    monkeypatch.setenv("SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("SMTP_PORT", "587")
    monkeypatch.setenv("SMTP_USERNAME", "apikey")
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("SMTP_FROM", "Acme Billing <billing@acme.test>")
    monkeypatch.setenv("SMTP_STARTTLS", "true")
    monkeypatch.setenv("DUELY_NOTIFICATIONS_SMTP_TIMEOUT", "12")
    monkeypatch.setenv("DUELY_NOTIFICATIONS_WEBHOOK_BACKOFF_S", "[0.5, 1, 2]")
    settings = Settings()
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_username, settings.smtp_password) == (
        "smtp.example.com", 587, "apikey", "s3cret")
    assert settings.smtp_from == "Acme Billing <billing@acme.test>"
    assert settings.smtp_starttls is True and settings.smtp_timeout == 12
    assert settings.webhook_backoff_s == [0.5, 1, 2]
    assert (settings.service_name, settings.http_port) == ("notifications", 8004)


def test_smtp_settings_defaults(monkeypatch):
    from duely_notifications.config import Settings
    for name in ("HOST", "PORT", "USERNAME", "PASSWORD", "FROM", "STARTTLS", "TIMEOUT"):
        monkeypatch.delenv(f"SMTP_{name}", raising=False)
        monkeypatch.delenv(f"DUELY_NOTIFICATIONS_SMTP_{name}", raising=False)
    settings = Settings()
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == ("127.0.0.1", 1025, False)
    assert settings.smtp_from == "Duely Billing <billing@duely.local>"
    assert settings.webhook_backoff_s == [5, 30, 120, 600, 3600, 21600]
