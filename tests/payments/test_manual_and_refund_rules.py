"""The pure rules of manual payments and API refunds (domain/manual_payments.py, domain/refunding.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from duely_payments.domain.manual_payments import amount_problem, paid_at_problem
from duely_payments.domain.refunding import refund_amount_problem, refund_idempotency_key, refundable

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def test_a_manual_payment_may_be_at_most_the_balance_unless_overpayment_is_allowed():
    assert amount_problem(10825, 10825, "usd", allow_overpayment=False) is None
    assert amount_problem(1, 10825, "usd", allow_overpayment=False) is None
    refused = amount_problem(10826, 10825, "usd", allow_overpayment=False)
    assert "10825" in refused and "allow_overpayment" in refused
    assert amount_problem(20000, 10825, "usd", allow_overpayment=True) is None
    assert amount_problem(0, 10825, "usd", allow_overpayment=True)
    assert amount_problem(-1, 10825, "usd", allow_overpayment=True)


def test_paid_at_may_not_be_in_the_future_beyond_clock_skew():
    assert paid_at_problem(NOW - timedelta(days=30), NOW) is None
    assert paid_at_problem(NOW + timedelta(minutes=1), NOW) is None
    assert paid_at_problem(NOW + timedelta(hours=1), NOW)


def test_pending_and_succeeded_refunds_count_failed_ones_do_not():
    assert refundable(10000, []) == 10000
    assert refundable(10000, [(2500, "succeeded"), (1000, "pending"), (6000, "failed")]) == 6500
    assert refund_amount_problem(6500, 6500, "usd") is None
    assert "6500" in refund_amount_problem(6501, 6500, "usd")
    assert refund_amount_problem(0, 6500, "usd")


def test_each_api_refund_has_its_own_key_and_the_automatic_one_keeps_the_payments():
    assert refund_idempotency_key("pay_1") == "pay_1:refund"  # rows written before the refunds API
    assert refund_idempotency_key("pay_1", "refund_a") == "pay_1:refund:refund_a"
    assert refund_idempotency_key("pay_1", "refund_a") != refund_idempotency_key("pay_1", "refund_b")
