"""The receivables pages' pure parts: form fields → API bodies (AutoPay, amounts, cc lists) and the invoice
timeline built from the collection answer."""

from __future__ import annotations

import pytest

from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.pages import billing_forms as bf
from duely_gateway.dashboard.pages.timeline import timeline
from duely_gateway.dashboard.session import Form


def form(**fields) -> Form:
    return Form({key: value if isinstance(value, list) else [value] for key, value in fields.items()})


def test_autopay_inherit_on_and_off():
    assert bf.autopay_body(form(autopay_mode="inherit", timing="on_issue")) is None
    assert bf.autopay_body(form(autopay_mode="on", timing="on_issue", payment_method_id="pm_1")) == {
        "enabled": True, "timing": "on_issue", "payment_method_id": "pm_1"}
    assert bf.autopay_body(form(autopay_mode="off", timing="days_before_due", days_before_due="5")) == {
        "enabled": False, "timing": "days_before_due", "days_before_due": 5}
    with pytest.raises(ApiProblem) as refused:
        bf.autopay_body(form(autopay_mode="on", timing="days_before_due", days_before_due="soon"))
    assert refused.value.param == "days_before_due"
    assert [bf.autopay_mode(s) for s in (None, {"enabled": True}, {"enabled": False})] == ["inherit", "on", "off"]


def test_amounts_in_major_units_become_minor_units_of_the_currency():
    assert bf.minor_amount("12.50", "usd") == 1250
    assert bf.minor_amount("1 000", "usd") == 100000
    assert bf.minor_amount("500", "jpy") == 500
    assert bf.minor_amount(" ", "usd") is None
    with pytest.raises(ApiProblem):
        bf.minor_amount("12.5", "jpy")  # yen has no minor unit
    for bad in ("12.505", "-3", "0", "abc", "nan", "inf", "12,50", "1,000"):
        with pytest.raises(ApiProblem) as refused:
            bf.minor_amount(bad, "usd")
        assert refused.value.param == "amount"
    assert bf.major_amount(1250, "usd") == "12.50"


def test_cc_lines_and_method_labels():
    assert bf.lines("a@x.example\nb@x.example, c@x.example;\n") == ["a@x.example", "b@x.example", "c@x.example"]
    card = {"type": "card", "card": {"brand": "visa", "last4": "4242", "exp_month": 3, "exp_year": 2030},
            "is_default": True}
    assert bf.method_label(card) == "Visa •••• 4242 (exp 03/2030) · default"


def test_timeline_puts_what_happened_and_what_is_planned_in_order():
    invoice = {"created_at": "2026-01-01T09:00:00Z", "issued_at": "2026-01-01T10:00:00+00:00", "number": "INV-1",
               "paid_at": None}
    collection = {
        "entries": [
            {"kind": "overdue", "step": "1", "status": "planned", "due_at": "2026-02-01T00:00:00Z",
             "fired_at": None, "cancelled_at": None, "outcome": None, "detail": None},
            {"kind": "reminder", "step": "before_3", "status": "planned", "due_at": "2026-01-28T09:00:00Z",
             "fired_at": None, "cancelled_at": None, "outcome": None, "detail": {"template": "invoice_reminder"}},
            {"kind": "reminder", "step": "manual_2026-01-02", "status": "done", "due_at": "2026-01-02T08:00:00Z",
             "fired_at": "2026-01-02T08:00:01Z", "cancelled_at": None, "outcome": "reminder_requested",
             "detail": {"tone": "gentle"}},
        ],
        "history": [{"type": "invoice.issued", "at": "2026-01-01T10:00:01Z", "detail": {}},
                    {"type": "invoice.payment_failed", "at": "2026-01-03T10:00:00Z",
                     "detail": {"failure_message": "Your card was declined."}}],
    }
    rows = timeline(invoice, collection)
    assert [row["what"] for row in rows] == [
        "Invoice created", "Invoice issued", "Reminder sent by hand", "Payment failed",
        "Reminder (3 days before due)", "Due date passes unpaid"]
    assert [row["state"] for row in rows][-2:] == ["planned", "planned"]
    assert rows[3]["detail"] == "Your card was declined."
    assert [row["what"] for row in timeline({**invoice, "issued_at": None}, None)] == ["Invoice created"]
