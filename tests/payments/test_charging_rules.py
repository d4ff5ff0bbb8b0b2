"""Pure rules of charging: what is payable, the gateway request, reading the gateway's answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import stripe

from duely_payments.domain.charging import (
    CARD_DECLINED, SAFE_FAILURE_REASONS, AttemptFacts, CardDetails, ChargePending, attempt_idempotency_key,
    card_details, card_of_intent,
    invalid_request_result, not_payable_reason, object_id, payment_intent_params, recovery_delay,
    result_from_payment_intent, safe_failure_reason,
)

FACTS = AttemptFacts("payatt_1", "org_1", "in_1", 2, 1999, "usd", "pm_card_visa")


def test_idempotency_key_is_derived_from_invoice_and_attempt():
    assert attempt_idempotency_key("in_1", 1) == "in_1:attempt:1"
    assert attempt_idempotency_key("in_1", 2) != attempt_idempotency_key("in_1", 1)


@pytest.mark.parametrize("status", ["issued", "past_due"])
def test_issued_and_past_due_invoices_with_money_due_are_payable(status):
    assert not_payable_reason(status, 1, already_paid=False) is None


@pytest.mark.parametrize("status", ["draft", "paid", "void", "uncollectible", "weird"])
def test_other_statuses_are_not_payable(status):
    assert status in not_payable_reason(status, 1000, already_paid=False)


@pytest.mark.parametrize("amount_due", [0, -5])
def test_nothing_due_is_not_payable(amount_due):
    assert not_payable_reason("issued", amount_due, already_paid=False) == "This invoice has nothing left to pay."


def test_an_invoice_we_already_collected_is_not_payable_even_before_invoicing_says_paid():
    assert not_payable_reason("issued", 1000, already_paid=True) == "This invoice has already been paid."


def test_payment_intent_params_come_only_from_the_attempt_and_are_stable():
    params = payment_intent_params(FACTS)
    assert params == payment_intent_params(AttemptFacts(*FACTS.__dict__.values()))
    assert params["amount"] == 1999 and params["currency"] == "usd"
    assert params["payment_method"] == "pm_card_visa"
    assert params["confirm"] is True and params["off_session"] is True
    assert params["metadata"] == {"duely_invoice_id": "in_1", "duely_organization_id": "org_1",
                                  "duely_attempt_id": "payatt_1", "duely_attempt_number": "2"}


@pytest.mark.parametrize("value, expected", [
    (None, None), ("ch_1", "ch_1"), ({"id": "ch_2", "object": "charge"}, "ch_2"),
    (stripe.StripeObject.construct_from({"id": "ch_3"}, "k"), "ch_3"),
])
def test_object_id_accepts_an_id_or_an_expanded_object(value, expected):
    assert object_id(value) == expected


def test_succeeded_intent_is_a_success_with_its_charge():
    result = result_from_payment_intent({"id": "pi_1", "status": "succeeded", "latest_charge": {"id": "ch_1"}})
    assert result.succeeded and result.gateway_reference == "pi_1" and result.gateway_charge == "ch_1"
    assert result_from_payment_intent({"id": "pi_1", "status": "succeeded", "latest_charge": "ch_9"}).gateway_charge == "ch_9"


def test_intent_needing_a_new_method_is_a_failure_with_the_gateway_code():
    result = result_from_payment_intent({"id": "pi_2", "status": "requires_payment_method", "latest_charge": None,
                                         "last_payment_error": {"code": "card_declined", "message": "Declined."}})
    assert not result.succeeded
    assert (result.failure_code, result.failure_message, result.gateway_reference) == ("card_declined", "Declined.", "pi_2")


def test_intent_needing_authentication_off_session_fails():
    result = result_from_payment_intent({"id": "pi_3", "status": "requires_action"})
    assert result.failure_code == "authentication_required"


def test_processing_intent_is_pending():
    with pytest.raises(ChargePending):
        result_from_payment_intent({"id": "pi_4", "status": "processing"})


def test_recovery_backs_off_and_is_capped():
    assert recovery_delay(0) == timedelta(seconds=10)
    assert recovery_delay(1) == timedelta(seconds=20)
    assert recovery_delay(3) == timedelta(seconds=80)
    assert recovery_delay(30) == timedelta(seconds=300)


@pytest.mark.parametrize("code, decline_code, reason", [
    ("card_declined", "insufficient_funds", "insufficient_funds"),
    ("card_declined", "generic_decline", "card_declined"),
    ("card_declined", "lost_card", "card_declined"),       # lost or stolen: the customer reads only "declined"
    ("card_declined", "stolen_card", "card_declined"),
    ("card_declined", "fraudulent", "card_declined"),
    ("expired_card", None, "expired_card"),
    ("incorrect_cvc", None, "incorrect_cvc"),
    ("processing_error", None, "processing_error"),
    ("card_declined", "INSUFFICIENT_FUNDS", "insufficient_funds"),
    (None, None, "card_declined"),
])
def test_safe_failure_reason(code, decline_code, reason):
    assert safe_failure_reason(code, decline_code) == reason


def test_every_safe_reason_is_one_the_contract_names():
    from duely_contracts.models import CUSTOMER_FAILURE_REASONS
    assert set(SAFE_FAILURE_REASONS.values()) | {CARD_DECLINED} == set(CUSTOMER_FAILURE_REASONS)


def test_a_refused_request_is_invalid_and_names_the_payment_method_unless_another_field():
    for code, param in ((None, None), ("resource_missing", "payment_method"), ("parameter_invalid", "payment_method")):
        result = invalid_request_result(code, param, "pm_card_doesnotexist")
        assert (result.status, result.failure_code, result.param) == ("invalid", "payment_method_invalid",
                                                                      "payment_method")
        assert "'pm_card_doesnotexist'" in result.failure_message and not result.succeeded
    for code, param in (("amount_too_small", "amount"), ("livemode_mismatch", None)):  # not the payer's card
        other = invalid_request_result(code, param, "pm_card_visa")
        assert (other.status, other.failure_code, other.param) == ("invalid", "payment_request_invalid", param)
        assert "pm_card_visa" not in other.failure_message


def test_card_details_from_the_shapes_the_gateway_answers_with():
    assert card_details({"card": {"brand": "Visa", "last4": "4242"}}) == CardDetails("visa", "4242")
    assert card_details({"brand": "mastercard", "last4": "4444"}) == CardDetails("mastercard", "4444")
    assert card_details({"type": "sepa_debit"}) is None and card_details(None) is None
    intent = {"status": "requires_payment_method", "last_payment_error": {
        "code": "card_declined", "decline_code": "insufficient_funds",
        "payment_method": {"card": {"brand": "visa", "last4": "9995"}}}}
    result = result_from_payment_intent(intent)
    assert (result.failure_reason, result.card) == ("insufficient_funds", CardDetails("visa", "9995"))
    assert card_of_intent({"payment_method": "pm_123", "latest_charge": "ch_1"}) is None  # ids only
