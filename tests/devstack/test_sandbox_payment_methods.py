"""Saving payment methods in the sandbox as in Stripe's test mode: cards, ACH and SEPA accounts,
SetupIntents with mandates. Everything through the official stripe SDK against the real process."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.devstack.test_sandbox_gateway import _client

MANDATE_DATA = {"customer_acceptance": {"type": "online", "accepted_at": 1_790_000_000,
                                        "online": {"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0 test"}}}


@pytest.fixture
def gateway(start_module, tmp_path):
    return start_module("duely_devstack.sandbox_gateway", "--state-dir", str(tmp_path / "state"))


def sepa(client: stripe.StripeClient, iban: str = "DE89370400440532013000"):
    return client.v1.payment_methods.create(params={
        "type": "sepa_debit", "sepa_debit": {"iban": iban},
        "billing_details": {"name": "Jenny Rosen", "email": "jenny@example.com"}})


def ach(client: stripe.StripeClient, account: str = "000123456789"):
    return client.v1.payment_methods.create(params={
        "type": "us_bank_account",
        "us_bank_account": {"routing_number": "110000000", "account_number": account,
                            "account_holder_type": "company"},
        "billing_details": {"name": "Acme Inc"}})


def test_a_card_from_its_number_shows_brand_last4_expiry_and_funding(gateway):
    client = _client(gateway.port)
    pm = client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "5555555555554444", "exp_month": 4, "exp_year": 2031, "cvc": "123"}})
    assert pm.id.startswith("pm_") and pm.type == "card" and pm.customer is None
    assert (pm.card.brand, pm.card.last4, pm.card.exp_month, pm.card.exp_year, pm.card.funding) == (
        "mastercard", "4444", 4, 2031, "credit")
    assert "number" not in pm.card.to_dict()  # never the full number
    assert client.v1.payment_methods.retrieve(pm.id).card.last4 == "4444"

    with pytest.raises(stripe.CardError) as bad:
        client.v1.payment_methods.create(params={
            "type": "card", "card": {"number": "4242424242424241", "exp_month": 4, "exp_year": 2031, "cvc": "123"}})
    assert bad.value.code == "incorrect_number"
    with pytest.raises(stripe.CardError) as expired:
        client.v1.payment_methods.create(params={
            "type": "card", "card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2020, "cvc": "123"}})
    assert expired.value.code == "invalid_expiry_year"


@pytest.mark.parametrize(("test_id", "brand", "last4"), [
    ("pm_card_visa", "visa", "4242"), ("pm_card_mastercard", "mastercard", "4444"),
    ("pm_card_amex", "amex", "0005"), ("pm_card_chargeCustomerFail", "visa", "0341")])
def test_attaching_a_test_id_creates_a_new_method_like_stripe(gateway, test_id, brand, last4):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "c@example.test", "name": "C"})
    first = client.v1.payment_methods.attach(test_id, params={"customer": customer.id})
    second = client.v1.payment_methods.attach(test_id, params={"customer": customer.id})
    assert first.id.startswith("pm_") and first.id != test_id and first.id != second.id
    assert (first.customer, first.card.brand, first.card.last4) == (customer.id, brand, last4)
    assert first.card.exp_year == time.gmtime().tm_year + 1
    listed = client.v1.payment_methods.list(params={"customer": customer.id, "type": "card"})
    assert {pm.id for pm in listed.data} == {first.id, second.id}


def test_a_card_declined_when_verified_cannot_be_attached(gateway):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "c@example.test"})
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_methods.attach("pm_card_visa_chargeDeclined", params={"customer": customer.id})
    assert (declined.value.code, declined.value.error.decline_code) == ("card_declined", "generic_decline")
    assert client.v1.payment_methods.list(params={"customer": customer.id}).data == []


def test_bank_accounts_show_what_stripe_shows_and_never_the_full_number(gateway):
    client = _client(gateway.port)
    bank = ach(client)
    assert bank.type == "us_bank_account"
    shown = bank.us_bank_account
    assert (shown.bank_name, shown.last4, shown.routing_number, shown.account_holder_type, shown.account_type) == (
        "STRIPE TEST BANK", "6789", "110000000", "company", "checking")
    assert "000123456789" not in str(bank.to_dict())
    account = sepa(client)
    assert (account.sepa_debit.bank_code, account.sepa_debit.country, account.sepa_debit.last4) == (
        "37040044", "DE", "3000")
    assert account.billing_details.email == "jenny@example.com"
    assert "DE89370400440532013000" not in str(account.to_dict())


@pytest.mark.parametrize(("params", "param"), [
    ({"type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013009"},
      "billing_details": {"name": "J", "email": "j@example.com"}}, "sepa_debit[iban]"),
    ({"type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013000"}, "billing_details": {"name": "J"}},
     "billing_details[email]"),
    ({"type": "us_bank_account", "us_bank_account": {"routing_number": "110000001", "account_number": "000123456789"},
      "billing_details": {"name": "J"}}, "us_bank_account[routing_number]"),
    ({"type": "us_bank_account", "us_bank_account": {"routing_number": "110000000", "account_number": "000123456789"}},
     "billing_details[name]"),
])
def test_bad_bank_details_are_refused_with_the_field_named(gateway, params, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _client(gateway.port).v1.payment_methods.create(params=params)
    assert refused.value.http_status == 400 and refused.value.param == param


def test_a_sepa_setup_intent_attaches_the_method_and_creates_a_mandate_with_a_reference(gateway):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "jenny@example.com", "name": "Jenny Rosen"})
    method = sepa(client)
    seti = client.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method": method.id, "confirm": True, "usage": "off_session",
        "payment_method_types": ["sepa_debit"], "mandate_data": MANDATE_DATA})
    assert (seti.status, seti.payment_method, seti.usage) == ("succeeded", method.id, "off_session")
    assert client.v1.payment_methods.retrieve(method.id).customer == customer.id
    mandate = client.v1.mandates.retrieve(seti.mandate)
    assert (mandate.status, mandate.type, mandate.payment_method) == ("active", "multi_use", method.id)
    assert mandate.payment_method_details.type == "sepa_debit"
    reference = mandate.payment_method_details.sepa_debit.reference
    assert reference and reference.isalnum() and len(reference) >= 8
    acceptance = mandate.customer_acceptance
    assert (acceptance.type, acceptance.accepted_at, acceptance.online.ip_address, acceptance.online.user_agent) == (
        "online", 1_790_000_000, "203.0.113.7", "Mozilla/5.0 test")
    assert client.v1.setup_intents.retrieve(seti.id).mandate == mandate.id


def test_an_ach_setup_intent_gives_a_us_bank_account_mandate(gateway):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "ap@acme.test", "name": "Acme"})
    seti = client.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method": ach(client).id, "confirm": True, "usage": "off_session",
        "payment_method_types": ["us_bank_account"], "mandate_data": MANDATE_DATA})
    assert seti.status == "succeeded"
    mandate = client.v1.mandates.retrieve(seti.mandate)
    assert mandate.payment_method_details.type == "us_bank_account"
    assert "us_bank_account" in mandate.payment_method_details


def test_a_debit_setup_needs_the_customers_acceptance_and_an_allowed_type(gateway):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    method = sepa(client)
    base = {"customer": customer.id, "payment_method": method.id, "confirm": True, "usage": "off_session"}
    with pytest.raises(stripe.InvalidRequestError) as no_mandate:
        client.v1.setup_intents.create(params={**base, "payment_method_types": ["sepa_debit"]})
    assert no_mandate.value.param == "mandate_data"
    with pytest.raises(stripe.InvalidRequestError) as no_ip:
        client.v1.setup_intents.create(params={**base, "payment_method_types": ["sepa_debit"], "mandate_data": {
            "customer_acceptance": {"type": "online", "online": {"user_agent": "x"}}}})
    assert no_ip.value.param == "mandate_data[customer_acceptance][online][ip_address]"
    with pytest.raises(stripe.InvalidRequestError) as wrong_type:
        client.v1.setup_intents.create(params={**base, "mandate_data": MANDATE_DATA})  # types default to card
    assert wrong_type.value.param == "payment_method"
    assert client.v1.payment_methods.retrieve(method.id).customer is None  # nothing half done


def test_a_card_setup_intent_with_a_test_id_attaches_a_new_method(gateway):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    seti = client.v1.setup_intents.create(params={"customer": customer.id, "payment_method": "pm_card_visa",
                                                  "confirm": True, "usage": "off_session",
                                                  "payment_method_types": ["card"]})
    assert seti.status == "succeeded" and seti.mandate is None and seti.payment_method.startswith("pm_")
    assert client.v1.payment_methods.retrieve(seti.payment_method).customer == customer.id
    with pytest.raises(stripe.CardError) as declined:
        client.v1.setup_intents.create(params={"customer": customer.id, "payment_method": "pm_card_visa_chargeDeclined",
                                               "confirm": True, "payment_method_types": ["card"]})
    assert declined.value.error.setup_intent.status == "requires_payment_method"


def test_detach_removes_the_method_from_the_customer_and_it_cannot_be_charged_again(gateway):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    detached = client.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    assert client.v1.customers.payment_methods.list(customer.id).data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.detach(pm.id)
    with pytest.raises(stripe.InvalidRequestError) as reuse:
        client.v1.payment_intents.create(params={"amount": 500, "currency": "usd", "customer": customer.id,
                                                 "payment_method": pm.id, "confirm": True, "off_session": True})
    assert reuse.value.param == "payment_method"


def test_a_saved_method_is_charged_only_with_its_customer(gateway):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    other = client.v1.customers.create(params={"email": "b@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    for wrong in ({}, {"customer": other.id}):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.payment_intents.create(params={"amount": 500, "currency": "usd", "payment_method": pm.id,
                                                     "confirm": True, "off_session": True, **wrong})
        assert refused.value.param == "customer"
    paid = client.v1.payment_intents.create(params={"amount": 500, "currency": "usd", "customer": customer.id,
                                                    "payment_method": pm.id, "confirm": True, "off_session": True})
    assert paid.status == "succeeded" and paid.customer == customer.id


def test_customers_are_created_retrieved_and_take_a_default_method(gateway):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "a@example.com", "name": "A", "metadata": {"org": "o1"}})
    assert client.v1.customers.retrieve(customer.id).metadata["org"] == "o1"
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    updated = client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    assert updated.invoice_settings.default_payment_method == pm.id
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_nope")
    assert missing.value.http_status == 404


def test_an_idempotent_setup_intent_replays(gateway):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    params = {"customer": customer.id, "payment_method": sepa(client).id, "confirm": True, "usage": "off_session",
              "payment_method_types": ["sepa_debit"], "mandate_data": MANDATE_DATA}
    first = client.v1.setup_intents.create(params=params, options={"idempotency_key": "save:1"})
    again = client.v1.setup_intents.create(params=params, options={"idempotency_key": "save:1"})
    assert (again.id, again.mandate) == (first.id, first.mandate)
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
