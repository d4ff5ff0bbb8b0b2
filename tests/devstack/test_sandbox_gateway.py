"""The sandbox gateway behaves like Stripe for what the payments service relies on."""

from __future__ import annotations

import pytest
import stripe


@pytest.fixture
def gateway(start_module, tmp_path):
    return start_module("duely_devstack.sandbox_gateway", "--state-dir", str(tmp_path / "state"))


def _client(port: int) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_sandbox", base_addresses={"api": f"http://127.0.0.1:{port}"})


def _params(payment_method: str, invoice_id: str = "inv_1", **extra) -> dict:
    return {
        "amount": 1000,
        "currency": "usd",
        "payment_method": payment_method,
        "confirm": True,
        "off_session": True,
        "payment_method_types": ["card"],
        "metadata": {"invoice_id": invoice_id},
        **extra,
    }


def test_visa_succeeds(gateway):
    client = _client(gateway.port)
    pi = client.v1.payment_intents.create(params=_params("pm_card_visa"), options={"idempotency_key": "inv_1:attempt:1"})
    assert pi.status == "succeeded"
    assert pi.metadata["invoice_id"] == "inv_1"
    assert pi.last_payment_error is None


@pytest.mark.parametrize("payment_method", ["pm_card_chargeDeclined", "pm_card_chargeCustomerFail"])
def test_decline_ids_fail_at_charge_time(gateway, payment_method):
    client = _client(gateway.port)
    with pytest.raises(stripe.CardError) as excinfo:
        client.v1.payment_intents.create(params=_params(payment_method), options={"idempotency_key": f"k:{payment_method}"})
    err = excinfo.value
    assert err.code == "card_declined"
    assert err.http_status == 402
    pi = err.error.payment_intent
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "card_declined"
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


@pytest.mark.parametrize("payment_method", ["pm_card_chargeDeclined", "pm_card_chargeCustomerFail"])
def test_decline_ids_attach_to_a_customer_then_fail_when_charged(gateway, payment_method):
    client = _client(gateway.port)
    customer = client.v1.customers.create(params={"email": "c@example.test"})
    pm = client.v1.payment_methods.attach(payment_method, params={"customer": customer.id})
    assert pm.customer == customer.id
    with pytest.raises(stripe.CardError) as excinfo:
        client.v1.payment_intents.create(params=_params(pm.id, customer=customer.id))
    assert excinfo.value.code == "card_declined"


def test_idempotency_key_replays_the_same_payment_intent(gateway):
    client = _client(gateway.port)
    first = client.v1.payment_intents.create(params=_params("pm_card_visa"), options={"idempotency_key": "inv_1:attempt:1"})
    again = client.v1.payment_intents.create(params=_params("pm_card_visa"), options={"idempotency_key": "inv_1:attempt:1"})
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    # API answers carry latest_charge expanded (Stripe returns an id unless expanded; events do).
    assert [c.id for c in client.v1.charges.list().data] == [first.latest_charge.id]
    assert len(client.v1.payment_intents.list().data) == 1


def test_idempotency_key_replays_a_decline(gateway):
    client = _client(gateway.port)
    ids = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as excinfo:
            client.v1.payment_intents.create(params=_params("pm_card_chargeDeclined"), options={"idempotency_key": "inv_2:attempt:1"})
        ids.append(excinfo.value.error.payment_intent.id)
    assert ids[0] == ids[1]
    assert len(client.v1.charges.list().data) == 1


def test_same_key_with_different_body_is_an_idempotency_error(gateway):
    client = _client(gateway.port)
    client.v1.payment_intents.create(params=_params("pm_card_visa"), options={"idempotency_key": "inv_1:attempt:1"})
    with pytest.raises(stripe.IdempotencyError) as excinfo:
        client.v1.payment_intents.create(params=_params("pm_card_visa", invoice_id="inv_other"), options={"idempotency_key": "inv_1:attempt:1"})
    assert excinfo.value.http_status == 400
    assert excinfo.value.error.type == "idempotency_error"


def test_state_survives_a_restart(start_module, tmp_path):
    state = str(tmp_path / "state")
    gateway = start_module("duely_devstack.sandbox_gateway", "--state-dir", state)
    first = _client(gateway.port).v1.payment_intents.create(params=_params("pm_card_visa"), options={"idempotency_key": "inv_1:attempt:1"})
    gateway.stop()

    restarted = start_module("duely_devstack.sandbox_gateway", "--state-dir", state, port=gateway.port)
    client = _client(restarted.port)
    again = client.v1.payment_intents.create(params=_params("pm_card_visa"), options={"idempotency_key": "inv_1:attempt:1"})
    assert again.id == first.id
    assert client.v1.payment_intents.retrieve(first.id).status == "succeeded"
    assert len(client.v1.charges.list().data) == 1
