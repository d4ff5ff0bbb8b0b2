"""Pure rules of refunds: the gateway key, the request, and what the gateway's answer means."""

from __future__ import annotations

import pytest

from duely_payments.domain.refunding import (
    RefundFacts, RefundPending, refund_idempotency_key, refund_params, result_from_refund,
)

FACTS = RefundFacts("refund_1", "org_1", "in_1", "pay_1", 10825, "usd", "pi_1", refund_idempotency_key("pay_1"))


def test_the_key_is_derived_from_the_payment_so_a_replay_never_refunds_twice():
    assert refund_idempotency_key("pay_1") == refund_idempotency_key("pay_1") == "pay_1:refund"
    assert refund_idempotency_key("pay_2") != refund_idempotency_key("pay_1")


def test_the_request_comes_only_from_the_stored_refund():
    assert refund_params(FACTS) == refund_params(FACTS) == {
        "payment_intent": "pi_1", "amount": 10825,
        "metadata": {"duely_refund_id": "refund_1", "duely_payment_id": "pay_1", "duely_invoice_id": "in_1",
                     "duely_organization_id": "org_1"}}


def test_a_succeeded_refund_is_final():
    result = result_from_refund({"id": "re_1", "status": "succeeded"})
    assert result.succeeded and result.gateway_reference == "re_1"


@pytest.mark.parametrize("status", ["failed", "canceled"])
def test_a_failed_or_canceled_refund_is_a_failure_with_the_reason(status):
    result = result_from_refund({"id": "re_1", "status": status, "failure_reason": "expired_or_canceled_card"})
    assert not result.succeeded and "expired_or_canceled_card" in result.failure_message


@pytest.mark.parametrize("status", ["pending", "requires_action"])
def test_a_pending_refund_is_asked_about_again_by_its_id(status):
    with pytest.raises(RefundPending) as pending:
        result_from_refund({"id": "re_1", "status": status})
    assert pending.value.gateway_reference == "re_1"
