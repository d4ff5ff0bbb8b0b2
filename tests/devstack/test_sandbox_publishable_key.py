"""A publishable key (pk_…) in the sandbox, as at Stripe: a browser may create a PaymentMethod with it
(Stripe.js's tokenization, CORS included) and nothing else."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def gateway(start_module, tmp_path):
    return start_module("duely_devstack.sandbox_gateway", "--state-dir", str(tmp_path / "state"))


PK = {"Authorization": "Bearer pk_test_sandbox"}


def test_a_publishable_key_creates_a_payment_method_from_another_origin(gateway):
    base = f"http://127.0.0.1:{gateway.port}"
    preflight = httpx.options(f"{base}/v1/payment_methods", headers={
        "Origin": "http://127.0.0.1:9999", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()

    created = httpx.post(f"{base}/v1/payment_methods", headers={**PK, "Origin": "http://127.0.0.1:9999"}, data={
        "type": "sepa_debit", "sepa_debit[iban]": "DE89370400440532013000",
        "billing_details[name]": "Jenny Rosen", "billing_details[email]": "jenny@example.com"})
    assert created.status_code == 200, created.text
    assert created.headers["access-control-allow-origin"] == "*"
    body = created.json()
    assert body["id"].startswith("pm_") and body["sepa_debit"]["last4"] == "3000"
    assert "DE89370400440532013000" not in created.text  # the account number is never echoed back

    refused = httpx.post(f"{base}/v1/payment_methods", headers=PK, data={"type": "sepa_debit"})
    assert refused.status_code == 400 and refused.headers["access-control-allow-origin"] == "*"  # readable by the page


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/payment_methods/pm_card_visa"), ("POST", "/v1/payment_intents"), ("POST", "/v1/customers"),
    ("GET", "/v1/payment_intents"), ("POST", "/v1/refunds"), ("POST", "/v1/payment_methods/pm_card_visa/attach"),
])
def test_a_publishable_key_is_refused_everywhere_else(gateway, method, path):
    base = f"http://127.0.0.1:{gateway.port}"
    response = httpx.request(method, f"{base}{path}", headers=PK,
                             data={"amount": "100", "currency": "eur"} if method == "POST" else None)
    assert response.status_code == 401, response.text
    assert "publishable API key" in response.json()["error"]["message"]
    # The secret key still may.
    assert httpx.post(f"{base}/v1/customers", headers={"Authorization": "Bearer sk_test_sandbox"}).status_code == 200
