"""Bank debits settle after the configured delay, refunds, and signed events delivered (with retries)
to a real HTTP server, verified with stripe.Webhook.construct_event. All against the real sandbox process."""

from __future__ import annotations

import time

import httpx
import pytest
import stripe

from duely_devstack.net import free_port
from tests.devstack.conftest import PORT_RANGE
from tests.devstack.test_sandbox_gateway import _client
from tests.devstack.test_sandbox_payment_methods import MANDATE_DATA, ach, sepa

SECRET = "whsec_test_duely_sandbox_secret"
FAST = ("--settlement-delay-s", "0.5", "--webhook-retry-base-s", "0.2")


def start(start_module, tmp_path, *args, port=None):
    return start_module("duely_devstack.sandbox_gateway", "--state-dir", str(tmp_path / "state"), *FAST, *args,
                        port=port)


def saved_debit(client: stripe.StripeClient, kind: str, number: str):
    """A customer with a debit method saved through a SetupIntent (as payments does): (customer, pm, mandate)."""
    customer = client.v1.customers.create(params={"email": "ap@example.com", "name": "Jenny Rosen"})
    method = sepa(client, number) if kind == "sepa_debit" else ach(client, number)
    seti = client.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method": method.id, "confirm": True, "usage": "off_session",
        "payment_method_types": [kind], "mandate_data": MANDATE_DATA})
    return customer, method, seti.mandate


def debit(client: stripe.StripeClient, kind: str, customer, method, mandate, *, key: str | None = None,
          amount: int = 4200):
    params = {"amount": amount, "currency": "eur" if kind == "sepa_debit" else "usd", "customer": customer.id,
              "payment_method": method.id, "confirm": True, "off_session": True, "payment_method_types": [kind],
              "mandate": mandate, "metadata": {"duely_invoice_id": "in_1"}}
    return client.v1.payment_intents.create(params=params, options={"idempotency_key": key} if key else {})


def wait_status(client: stripe.StripeClient, intent_id: str, *, not_: str = "processing", timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        intent = client.v1.payment_intents.retrieve(intent_id)
        if intent.status != not_ or time.monotonic() > deadline:
            return intent
        time.sleep(0.05)


CASES = [
    ("us_bank_account", "000123456789", None),
    ("us_bank_account", "000222222227", "insufficient_funds"),
    ("us_bank_account", "000111111113", "account_closed"),
    ("sepa_debit", "DE89370400440532013000", None),
    ("sepa_debit", "DE62370400440532013001", "generic_decline"),
    ("sepa_debit", "AT861904300235473202", "generic_decline"),
]


@pytest.mark.parametrize(("kind", "number", "failure"), CASES)
def test_a_debit_is_processing_then_settles_per_the_test_number(start_module, tmp_path, kind, number, failure):
    client = _client(start(start_module, tmp_path).port)
    customer, method, mandate = saved_debit(client, kind, number)
    intent = debit(client, kind, customer, method, mandate)
    assert (intent.status, intent.mandate, intent.amount_received) == ("processing", mandate, 0)
    assert intent.latest_charge.status == "pending"
    settled = wait_status(client, intent.id)
    charge = client.v1.charges.retrieve(settled.latest_charge.id)
    if failure is None:
        assert (settled.status, settled.amount_received, settled.last_payment_error) == ("succeeded", 4200, None)
        assert charge.status == "succeeded" and charge.paid
        details = charge.payment_method_details[kind]
        assert details.last4 == number[-4:] and details.mandate == mandate
    else:
        assert settled.status == "requires_payment_method"
        assert settled.last_payment_error.code == failure
        assert settled.last_payment_error.payment_method.id == method.id
        assert (charge.status, charge.failure_code) == ("failed", failure)


def test_a_debit_needs_a_mandate_and_its_currency(start_module, tmp_path):
    client = _client(start(start_module, tmp_path).port)
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    method = sepa(client)
    client.v1.payment_methods.attach(method.id, params={"customer": customer.id})  # attached, no SetupIntent
    base = {"amount": 1000, "currency": "eur", "customer": customer.id, "payment_method": method.id,
            "confirm": True, "off_session": True, "payment_method_types": ["sepa_debit"]}
    with pytest.raises(stripe.InvalidRequestError) as no_mandate:
        client.v1.payment_intents.create(params=base)
    assert no_mandate.value.param == "mandate"
    with pytest.raises(stripe.InvalidRequestError) as usd:
        client.v1.payment_intents.create(params={**base, "currency": "usd", "mandate_data": MANDATE_DATA})
    assert usd.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as card_only:
        client.v1.payment_intents.create(params={**base, "payment_method_types": ["card"], "mandate_data": MANDATE_DATA})
    assert card_only.value.param == "payment_method"
    # mandate_data on the charge itself creates the mandate, as Stripe does
    intent = client.v1.payment_intents.create(params={**base, "mandate_data": MANDATE_DATA})
    assert intent.status == "processing" and intent.mandate.startswith("mandate_")
    # nothing was left behind by the refused requests
    assert [pi.id for pi in client.v1.payment_intents.list(params={"customer": customer.id}).data] == [intent.id]


def test_the_settlement_delay_is_configurable_and_can_be_cut_short(start_module, tmp_path):
    port = start(start_module, tmp_path).port
    client = _client(port)
    assert httpx.post(f"http://127.0.0.1:{port}/_config/settlement_delay", json={"seconds": 60}).json() == {
        "seconds": 60.0}
    customer, method, mandate = saved_debit(client, "sepa_debit", "DE89370400440532013000")
    intent = debit(client, "sepa_debit", customer, method, mandate)
    time.sleep(1.0)
    assert client.v1.payment_intents.retrieve(intent.id).status == "processing"
    assert httpx.post(f"http://127.0.0.1:{port}/_config/settle_now", data={"payment_intent": intent.id}).json() == {
        "settling": 1}
    assert wait_status(client, intent.id).status == "succeeded"
    assert httpx.get(f"http://127.0.0.1:{port}/_config/settlement_delay").json() == {"seconds": 60.0}


def test_an_idempotent_debit_replays_and_settles_once(start_module, tmp_path, receiver):
    rec = receiver()
    client = _client(start(start_module, tmp_path, "--webhook-url", rec.url, "--webhook-secret", SECRET).port)
    customer, method, mandate = saved_debit(client, "us_bank_account", "000123456789")
    first = debit(client, "us_bank_account", customer, method, mandate, key="in_1:attempt:1")
    again = debit(client, "us_bank_account", customer, method, mandate, key="in_1:attempt:1")
    assert again.id == first.id and again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert wait_status(client, first.id).status == "succeeded"
    events = rec.wait_for(SECRET, lambda evs: any(e.type == "payment_intent.succeeded" for e in evs))
    time.sleep(0.5)
    events = rec.events(SECRET)
    assert [e.type for e in events if e.type.startswith("payment_intent.")] == [
        "payment_intent.processing", "payment_intent.succeeded"]


def test_refunds_partial_then_the_rest_then_no_more(start_module, tmp_path):
    client = _client(start(start_module, tmp_path).port)
    card = client.v1.payment_intents.create(params={"amount": 10000, "currency": "usd", "payment_method": "pm_card_visa",
                                                   "confirm": True, "off_session": True})
    partial = client.v1.refunds.create(params={"payment_intent": card.id, "amount": 2500, "reason": "requested_by_customer"},
                                       options={"idempotency_key": "refund:1"})
    assert (partial.status, partial.amount, partial.payment_intent, partial.reason) == (
        "succeeded", 2500, card.id, "requested_by_customer")
    replay = client.v1.refunds.create(params={"payment_intent": card.id, "amount": 2500, "reason": "requested_by_customer"},
                                      options={"idempotency_key": "refund:1"})
    assert replay.id == partial.id
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": card.id, "amount": 7501})
    assert (too_much.value.param, too_much.value.code) == ("amount", "amount_too_large")
    rest = client.v1.refunds.create(params={"payment_intent": card.id})
    assert rest.amount == 7500
    with pytest.raises(stripe.InvalidRequestError) as done:
        client.v1.refunds.create(params={"payment_intent": card.id, "amount": 1})
    assert done.value.code == "charge_already_refunded"
    charge = client.v1.charges.retrieve(card.latest_charge.id)
    assert (charge.amount_refunded, charge.refunded) == (10000, True)
    assert sorted(r.amount for r in client.v1.refunds.list(params={"payment_intent": card.id}).data) == [2500, 7500]
    assert client.v1.refunds.retrieve(partial.id).amount == 2500

    customer, method, mandate = saved_debit(client, "sepa_debit", "DE89370400440532013000")
    processing = debit(client, "sepa_debit", customer, method, mandate)
    with pytest.raises(stripe.InvalidRequestError):  # nothing to refund before it succeeded
        client.v1.refunds.create(params={"payment_intent": processing.id})
    assert wait_status(client, processing.id).status == "succeeded"
    bank_refund = client.v1.refunds.create(params={"payment_intent": processing.id, "amount": 200})
    assert bank_refund.status == "pending"  # a debit's refund settles later too
    deadline = time.monotonic() + 10
    while client.v1.refunds.retrieve(bank_refund.id).status == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.v1.refunds.retrieve(bank_refund.id).status == "succeeded"


def test_webhook_endpoints_are_created_with_a_secret_listed_and_deleted(start_module, tmp_path):
    client = _client(start(start_module, tmp_path).port)
    endpoint = client.v1.webhook_endpoints.create(params={
        "url": "http://127.0.0.1:9/hook", "enabled_events": ["payment_intent.succeeded", "charge.refunded"]})
    assert endpoint.secret.startswith("whsec_") and endpoint.status == "enabled"
    assert endpoint.enabled_events == ["payment_intent.succeeded", "charge.refunded"]
    listed = client.v1.webhook_endpoints.list().data
    assert [e.id for e in listed] == [endpoint.id] and "secret" not in listed[0]
    assert client.v1.webhook_endpoints.delete(endpoint.id).deleted is True
    assert client.v1.webhook_endpoints.list().data == []


def test_events_reach_a_registered_url_signed_as_stripe_signs_them(start_module, tmp_path, receiver):
    rec = receiver()
    client = _client(start(start_module, tmp_path).port)
    endpoint = client.v1.webhook_endpoints.create(params={"url": rec.url, "enabled_events": ["*"]})
    customer, method, mandate = saved_debit(client, "sepa_debit", "DE89370400440532013000")
    ok = debit(client, "sepa_debit", customer, method, mandate)
    bad = debit(client, "us_bank_account", *saved_debit(client, "us_bank_account", "000222222227"))
    wanted = {("payment_intent.succeeded", ok.id), ("payment_intent.payment_failed", bad.id)}
    events = rec.wait_for(endpoint.secret, lambda evs: wanted <= {(e.type, e.data.object.id) for e in evs})
    by_type = {}
    for event in events:
        by_type.setdefault(event.type, []).append(event)
    assert {"setup_intent.succeeded", "payment_method.attached", "payment_intent.processing"} <= set(by_type)
    succeeded = next(e for e in by_type["payment_intent.succeeded"] if e.data.object.id == ok.id)
    assert (succeeded.object, succeeded.livemode, succeeded.data.object.status) == ("event", False, "succeeded")
    assert succeeded.id.startswith("evt_") and succeeded.api_version and succeeded.created
    assert succeeded.data.object.latest_charge.startswith("ch_")  # an id in events, as Stripe sends it
    failed = next(e for e in by_type["payment_intent.payment_failed"] if e.data.object.id == bad.id)
    assert failed.data.object.last_payment_error.code == "insufficient_funds"
    assert client.v1.events.retrieve(succeeded.id).data.object.id == ok.id
    assert customer.id in {e.data.object.customer for e in by_type["payment_method.attached"]}

    refund = client.v1.refunds.create(params={"payment_intent": ok.id, "amount": 100})
    client.v1.payment_methods.detach(method.id)
    events = rec.wait_for(endpoint.secret, lambda evs: {"charge.refunded", "payment_method.detached"} <= {
        e.type for e in evs})
    refunded = next(e for e in events if e.type == "charge.refunded")
    assert (refunded.data.object.amount_refunded, refunded.data.object.payment_intent) == (100, ok.id)
    assert refund.charge == refunded.data.object.id
    detached = next(e for e in events if e.type == "payment_method.detached")
    assert detached.data.object.customer is None and detached.data.previous_attributes.customer == customer.id
    # a payload signed with another secret does not verify
    body, headers = rec.received[-1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"], "whsec_other")


def test_only_the_enabled_events_are_sent(start_module, tmp_path, receiver):
    rec = receiver()
    client = _client(start(start_module, tmp_path).port)
    endpoint = client.v1.webhook_endpoints.create(params={"url": rec.url, "enabled_events": ["payment_intent.succeeded"]})
    client.v1.payment_intents.create(params={"amount": 500, "currency": "usd", "payment_method": "pm_card_visa",
                                             "confirm": True, "off_session": True})
    events = rec.wait_for(endpoint.secret, lambda evs: len(evs) >= 1)
    time.sleep(0.5)
    assert [e.type for e in rec.events(endpoint.secret)] == ["payment_intent.succeeded"]
    assert events[0].data.object.amount == 500


def test_a_failing_endpoint_gets_the_event_again_with_backoff(start_module, tmp_path, receiver):
    rec = receiver(fail_first=2)
    gateway = start(start_module, tmp_path, "--webhook-url", rec.url, "--webhook-secret", SECRET)
    client = _client(gateway.port)
    intent = client.v1.payment_intents.create(params={"amount": 700, "currency": "usd", "payment_method": "pm_card_visa",
                                                      "confirm": True, "off_session": True})
    rec.wait_for(SECRET, lambda evs: any(e.type == "payment_intent.succeeded" and e.data.object.id == intent.id
                                         for e in evs))
    ids = [stripe.Webhook.construct_event(b.decode(), h["Stripe-Signature"], SECRET).id for b, h in rec.received]
    assert len(ids) >= 3 and len(set(ids)) < len(ids)  # the failed ones were sent again, same event id
    assert "retry in" in gateway.output()  # the retries are logged


def test_an_endpoint_that_is_down_gets_its_events_once_it_is_up(start_module, tmp_path, receiver):
    port = free_port(*PORT_RANGE)
    url = f"http://127.0.0.1:{port}/webhooks/stripe"
    client = _client(start(start_module, tmp_path, "--webhook-url", url, "--webhook-secret", SECRET).port)
    intent = client.v1.payment_intents.create(params={"amount": 900, "currency": "usd", "payment_method": "pm_card_visa",
                                                      "confirm": True, "off_session": True})
    time.sleep(0.5)  # a try or two fail: nothing listens
    rec = receiver(port=port)
    rec.wait_for(SECRET, lambda evs: any(e.type == "payment_intent.succeeded" and e.data.object.id == intent.id
                                         for e in evs))


def test_a_restart_keeps_pending_settlements_and_undelivered_events(start_module, tmp_path, receiver):
    rec = receiver()
    args = ("--webhook-url", rec.url, "--webhook-secret", SECRET, "--settlement-delay-s", "1.5")
    gateway = start(start_module, tmp_path, *args)
    client = _client(gateway.port)
    customer, method, mandate = saved_debit(client, "sepa_debit", "DE89370400440532013000")
    intent = debit(client, "sepa_debit", customer, method, mandate)
    gateway.stop()  # before the settlement is due
    time.sleep(2.0)
    restarted = start(start_module, tmp_path, *args, port=gateway.port)
    client = _client(restarted.port)
    assert wait_status(client, intent.id).status == "succeeded"
    rec.wait_for(SECRET, lambda evs: any(e.type == "payment_intent.succeeded" and e.data.object.id == intent.id
                                         for e in evs))
    assert client.v1.mandates.retrieve(mandate).status == "active"


def test_the_payments_fixture_registers_a_url_with_a_chosen_secret_and_controls_settlement(tmp_path, receiver):
    from tests.payments.conftest import start_sandbox

    rec = receiver()
    with start_sandbox(free_port(*PORT_RANGE), tmp_path / "sandbox") as sandbox:
        assert sandbox.register_webhook(rec.url, secret=SECRET) == SECRET
        assert sandbox.register_webhook(rec.url, secret=SECRET) == SECRET  # the same URL again: still one endpoint
        assert len(sandbox.client().v1.webhook_endpoints.list().data) == 1
        made = sandbox.register_webhook("http://127.0.0.1:9/elsewhere")
        assert made.startswith("whsec_") and made != SECRET
        sandbox.remove_webhook("http://127.0.0.1:9/elsewhere")
        sandbox.set_settlement_delay(60)
        client = sandbox.client()
        customer, method, mandate = saved_debit(client, "us_bank_account", "000111111113")
        intent = debit(client, "us_bank_account", customer, method, mandate)
        time.sleep(0.5)
        assert client.v1.payment_intents.retrieve(intent.id).status == "processing"
        assert sandbox.settle_now(intent.id) == 1
        events = rec.wait_for(SECRET, lambda evs: any(e.type == "payment_intent.payment_failed" for e in evs))
        failed = next(e for e in events if e.type == "payment_intent.payment_failed")
        assert (failed.data.object.id, failed.data.object.last_payment_error.code) == (intent.id, "account_closed")
