"""Pure notification logic: money and date formatting, keys, retry schedule, webhook rules."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from duely_contracts.registry import WEBHOOK_EVENT_TYPES
from duely_notifications.domain import keys
from duely_notifications.domain.email_context import payment_method_label, reminder_context
from duely_notifications.domain.formatting import (
    format_day, format_money, format_percentage, format_quantity, format_terms,
)
from duely_notifications.domain.retry import max_attempts, next_retry_at
from duely_notifications.domain.webhooks import (
    events_problem, is_success, normalized_events, subscribes, url_problem, webhook_body,
)
from tests.notifications.notification_events import snapshot


@pytest.mark.parametrize("minor, currency, expected", [
    (162375, "usd", "$1,623.75"),
    (5, "usd", "$0.05"),
    (0, "eur", "€0.00"),
    (1234, "jpy", "¥1,234"),          # zero-decimal currency
    (1234, "kwd", "KWD1.234"),         # three-decimal currency
    (-2500, "usd", "-$25.00"),
    (10**12 + 1, "usd", "$10,000,000,000.01"),
])
def test_format_money_uses_currency_precision(minor, currency, expected):
    assert format_money(minor, currency).replace("\xa0", "") == expected


def test_format_money_locale():
    assert format_money(162375, "eur", "de_DE").replace("\xa0", " ") == "1.623,75 €"


@pytest.mark.parametrize("quantity, expected", [
    ("1", "1"), ("2.000", "2"), ("1.5", "1.5"), ("0.125", "0.125"), ("1000", "1,000"), ("1234.5678", "1,234.5678"),
])
def test_format_quantity(quantity, expected):
    assert format_quantity(quantity) == expected


def test_format_day_and_terms_and_percentage():
    assert format_day(date(2026, 3, 3)) == "March 3, 2026"
    assert format_day(datetime(2026, 3, 3, 23, 0, tzinfo=timezone.utc)) == "March 3, 2026"
    assert format_day(None) is None
    assert format_terms("net_30") == "Net 30"
    assert format_terms("due_on_receipt") == "Due on receipt"
    assert format_terms(None) is None
    assert format_percentage("8.250") == "8.25%"
    assert format_percentage("20") == "20%"


def test_idempotency_keys_follow_their_cause():
    assert keys.invoice_issued_key("in_1") == "invoice_issued:in_1"
    assert keys.payment_receipt_key("pay_1") == "payment_receipt:pay_1"
    assert keys.payment_failed_key("in_1", 2) == "payment_failed:in_1:2"
    assert keys.invoice_reminder_key("in_1", 3) == "invoice_reminder:in_1:3"
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
    assert body == {"id": "evt-1", "type": "invoice.paid", "created_at": "2026-01-01T00:00:00+00:00",
                    "organization_id": "org_1", "data": {"invoice": {"id": "in_1"}}}


def test_payment_method_labels():
    assert payment_method_label("pm_card_visa") == "Visa card"
    assert payment_method_label("pm_card_chargeDeclined") == "Card"
    assert payment_method_label("sepa_debit") == "SEPA Direct Debit"
    assert payment_method_label("pm_1Nabc") == "Saved payment method"
    assert payment_method_label("bank_transfer") == "Bank transfer"


def test_reminder_context_counts_days_overdue():
    invoice = snapshot("org_1")  # due 2026-03-31
    before = reminder_context(invoice, "gentle", datetime(2026, 3, 20, tzinfo=timezone.utc))
    after = reminder_context(invoice, "firm", datetime(2026, 4, 7, tzinfo=timezone.utc))
    assert (before["overdue"], before["days_overdue"]) == (False, 0)
    assert (after["overdue"], after["days_overdue"]) == (True, 7)
    with pytest.raises(ValueError):
        reminder_context(invoice, "rude", datetime(2026, 4, 7, tzinfo=timezone.utc))


def test_smtp_settings_are_read_without_the_duely_prefix(monkeypatch):
    from duely_notifications.settings import Settings
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
    from duely_notifications.settings import Settings
    for name in ("HOST", "PORT", "USERNAME", "PASSWORD", "FROM", "STARTTLS", "TIMEOUT"):
        monkeypatch.delenv(f"SMTP_{name}", raising=False)
        monkeypatch.delenv(f"DUELY_NOTIFICATIONS_SMTP_{name}", raising=False)
    settings = Settings()
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == ("127.0.0.1", 1025, False)
    assert settings.smtp_from == "Duely Billing <billing@duely.local>"
    assert settings.webhook_backoff_s == [5, 30, 120, 600, 3600, 21600]
