"""Saved payment methods through payments' API: the real sandbox gateway (SetupIntents, mandates), real
invoicing (the customer must exist), events read back from the real broker."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import wait_for

MANDATE = {"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0 (payments test)"}
ACH_TEXT = "I authorize Acme Payments Test to debit my account for invoices I owe."


async def new_customer(invoicing, org, name: str = "Ada Lovelace") -> dict:
    async with httpx.AsyncClient(base_url=invoicing.url, headers=org.headers) as client:
        response = await client.post("/v1/customers", json={"name": name,
                                                            "email": f"ada+{uuid.uuid4().hex[:6]}@example.com"})
    assert response.status_code == 201, response.text
    return response.json()


def sepa_method(sandbox_gateway, iban: str = "DE89370400440532013000") -> str:
    return sandbox_gateway.client().v1.payment_methods.create(params={
        "type": "sepa_debit", "sepa_debit": {"iban": iban},
        "billing_details": {"name": "Ada Lovelace", "email": "ada@example.com"}}).id


def ach_method(sandbox_gateway, account: str = "000123456789") -> str:
    return sandbox_gateway.client().v1.payment_methods.create(params={
        "type": "us_bank_account", "billing_details": {"name": "Ada Lovelace"},
        "us_bank_account": {"routing_number": "110000000", "account_number": account,
                            "account_holder_type": "individual"}}).id


async def method_events(read_events, method_id: str) -> list:
    found = []
    for topic in ("payment_method.attached", "payment_method.updated", "payment_method.detached"):
        found += [e for e in await read_events(topic, timeout=3, quiet_s=0.5) if e.aggregate_id == method_id]
    return sorted(found, key=lambda e: e.aggregate_version)


async def test_save_a_card_list_make_default_and_detach(payments, invoicing, org, read_events, sandbox_gateway):
    customer = await new_customer(invoicing, org)
    base = f"/v1/customers/{customer['id']}/payment_methods"
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as api:
        first = await api.post(base, json={"payment_method": "pm_card_visa"})
        assert first.status_code == 201, first.text
        visa = first.json()
        assert visa["id"].startswith("pm_") and visa["id"] != "pm_card_visa"  # the gateway's own new method
        assert (visa["object"], visa["customer_id"], visa["type"], visa["status"], visa["is_default"]) == (
            "payment_method", customer["id"], "card", "active", True)
        assert visa["card"]["brand"] == "visa" and visa["card"]["last4"] == "4242"
        assert visa["card"]["exp_month"] and visa["card"]["exp_year"] and visa["mandate"] is None

        second = await api.post(base, json={"payment_method": "pm_card_mastercard"})
        assert second.status_code == 201, second.text
        master = second.json()
        assert master["is_default"] is False and master["card"]["brand"] == "mastercard"

        listed = (await api.get(base)).json()
        assert [(m["id"], m["is_default"]) for m in listed["data"]] == [(visa["id"], True), (master["id"], False)]

        made = await api.post(f"{base}/{master['id']}/default")
        assert made.status_code == 200 and made.json()["is_default"] is True
        listed = (await api.get(base)).json()["data"]
        assert {m["id"]: m["is_default"] for m in listed} == {visa["id"]: False, master["id"]: True}
        assert (await api.get(f"{base}/{visa['id']}")).json()["is_default"] is False

        detached = await api.delete(f"{base}/{master['id']}")
        assert detached.status_code == 200 and detached.json()["status"] == "detached"
        assert [m["id"] for m in (await api.get(base)).json()["data"]] == [visa["id"]]
        gone = await api.get(f"{base}/{master['id']}")
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "resource_missing"
    # At the gateway: attached to the customer's gateway Customer, then detached.
    gateway = sandbox_gateway.client()
    assert gateway.v1.payment_methods.retrieve(visa["id"]).customer
    assert gateway.v1.payment_methods.retrieve(master["id"]).customer is None

    events = await wait_for(lambda: _enough(method_events(read_events, master["id"]), 3))
    assert [(e.type, e.aggregate_version, e.data["payment_method"]["is_default"]) for e in events] == [
        ("payment_method.attached", 1, False), ("payment_method.updated", 2, True),
        ("payment_method.detached", 3, False)]
    assert events[0].organization_id == org.id and events[0].aggregate_type == "payment_method"
    assert events[0].data["payment_method"]["customer_id"] == customer["id"]
    assert events[0].data["customer"]["id"] == customer["id"]
    visa_events = await wait_for(lambda: _enough(method_events(read_events, visa["id"]), 2))
    assert [(e.type, e.data["payment_method"]["is_default"]) for e in visa_events] == [
        ("payment_method.attached", True), ("payment_method.updated", False)]


async def test_save_sepa_and_ach_with_mandate_evidence(payments, invoicing, org, sandbox_gateway):
    customer = await new_customer(invoicing, org)
    base = f"/v1/customers/{customer['id']}/payment_methods"
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as api:
        sepa = await api.post(base, json={"payment_method": sepa_method(sandbox_gateway),
                                          "mandate": {**MANDATE, "accepted_at": "2026-11-01T10:00:00Z"}})
        assert sepa.status_code == 201, sepa.text
        body = sepa.json()
        assert body["type"] == "sepa_debit" and body["status"] == "active" and body["is_default"] is True
        assert body["sepa_debit"] == {"bank_code": body["sepa_debit"]["bank_code"], "country": "DE", "last4": "3000"}
        mandate = body["mandate"]
        assert mandate["reference"] and mandate["ip_address"] == MANDATE["ip_address"]
        assert mandate["user_agent"] == MANDATE["user_agent"] and mandate["accepted_at"].startswith("2026-11-01T10:00")
        assert mandate["authorization_text"] is None

        ach = await api.post(base, json={"payment_method": ach_method(sandbox_gateway), "mandate": MANDATE,
                                         "authorization_text": ACH_TEXT})
        assert ach.status_code == 201, ach.text
        body = ach.json()
        assert body["type"] == "us_bank_account" and body["us_bank_account"]["last4"] == "6789"
        assert body["us_bank_account"]["account_holder_type"] == "individual"
        assert body["status"] in ("active", "pending_verification") and body["is_default"] is False
        assert body["mandate"]["authorization_text"] == ACH_TEXT and body["mandate"]["accepted_at"]
        fetched = (await api.get(f"{base}/{body['id']}")).json()
        assert fetched["mandate"] == body["mandate"]


async def test_bad_input_is_refused_naming_the_field(payments, invoicing, org, sandbox_gateway):
    customer = await new_customer(invoicing, org)
    base = f"/v1/customers/{customer['id']}/payment_methods"
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as api:
        missing = await api.post(base, json={})
        assert missing.status_code == 400 and missing.json()["error"]["param"] == "payment_method"
        unknown = await api.post(base, json={"payment_method": "pm_doesnotexist"})
        assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "payment_method"
        no_mandate = await api.post(base, json={"payment_method": sepa_method(sandbox_gateway)})
        assert no_mandate.status_code == 400, no_mandate.text
        assert no_mandate.json()["error"]["param"] == "mandate"
        half_mandate = await api.post(base, json={"payment_method": sepa_method(sandbox_gateway),
                                                  "mandate": {"ip_address": "203.0.113.7"}})
        assert half_mandate.status_code == 400 and half_mandate.json()["error"]["param"] == "mandate.user_agent"
        no_text = await api.post(base, json={"payment_method": ach_method(sandbox_gateway), "mandate": MANDATE})
        assert no_text.status_code == 400 and no_text.json()["error"]["param"] == "authorization_text"
        nobody = await api.post("/v1/customers/cus_nobody/payment_methods", json={"payment_method": "pm_card_visa"})
        assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "resource_missing"
        assert "customer" in nobody.json()["error"]["message"]
        assert (await api.get("/v1/customers/cus_nobody/payment_methods")).status_code == 404
        assert (await api.get(base)).json()["data"] == []  # nothing half-saved


async def test_another_organizations_customers_and_methods_are_not_found(
        payments, invoicing, org, other_org):
    customer = await new_customer(invoicing, org)
    base = f"/v1/customers/{customer['id']}/payment_methods"
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as ours:
        saved = (await ours.post(base, json={"payment_method": "pm_card_visa"})).json()
    async with httpx.AsyncClient(base_url=payments.url, headers=other_org.headers) as theirs:
        for response in (await theirs.get(base), await theirs.get(f"{base}/{saved['id']}"),
                         await theirs.post(base, json={"payment_method": "pm_card_visa"}),
                         await theirs.post(f"{base}/{saved['id']}/default"),
                         await theirs.delete(f"{base}/{saved['id']}")):
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "resource_missing"
        # Their own customer cannot reach our method either.
        their_customer = await new_customer(invoicing, other_org)
        cross = await theirs.get(f"/v1/customers/{their_customer['id']}/payment_methods/{saved['id']}")
        assert cross.status_code == 404
    async with httpx.AsyncClient(base_url=payments.url, headers=org.headers) as ours:
        assert (await ours.get(f"{base}/{saved['id']}")).json()["status"] == "active"


async def _enough(found, count: int):
    events = await found
    return events if len(events) >= count else None


async def test_the_portal_manages_a_customers_methods_through_internal_routes(
        payments, invoicing, org, other_org, sandbox_gateway):
    from duely_runtime.auth import INTERNAL_HEADER
    from duely_runtime.config import EMBEDDED_SECRET
    customer = await new_customer(invoicing, org)
    base = f"/internal/customers/{customer['id']}/payment_methods"
    async with httpx.AsyncClient(base_url=payments.url, headers={INTERNAL_HEADER: EMBEDDED_SECRET}) as portal:
        assert (await portal.get(base, params={"organization_id": org.id})).json()["data"] == []
        visa = await portal.post(base, json={"organization_id": org.id, "payment_method": "pm_card_visa"})
        assert visa.status_code == 201 and visa.json()["is_default"] is True, visa.text
        spare = await portal.post(base, json={"organization_id": org.id, "payment_method": "pm_card_mastercard",
                                              "set_default": False})
        assert spare.status_code == 201 and spare.json()["is_default"] is False, spare.text
        sepa = await portal.post(base, json={"organization_id": org.id, "payment_method": sepa_method(sandbox_gateway),
                                             "set_default": False, "mandate": MANDATE})
        assert sepa.status_code == 201 and sepa.json()["mandate"]["reference"], sepa.text
        listed = (await portal.get(base, params={"organization_id": org.id})).json()["data"]
        assert {m["id"] for m in listed} == {visa.json()["id"], spare.json()["id"], sepa.json()["id"]}

        chosen = await portal.post(f"{base}/{spare.json()['id']}/default", json={"organization_id": org.id})
        assert chosen.status_code == 200 and chosen.json()["is_default"] is True
        removed = await portal.delete(f"{base}/{visa.json()['id']}", params={"organization_id": org.id})
        assert removed.status_code == 200 and removed.json()["status"] == "detached"
        listed = (await portal.get(base, params={"organization_id": org.id})).json()["data"]
        assert [(m["id"], m["is_default"]) for m in listed if m["type"] == "card"] == [(spare.json()["id"], True)]

        # Another organization names the same customer and methods: not found, nothing changed.
        assert (await portal.get(base, params={"organization_id": other_org.id})).status_code == 404
        refused = await portal.delete(f"{base}/{spare.json()['id']}", params={"organization_id": other_org.id})
        assert refused.status_code == 404
        assert (await portal.post(f"{base}/{spare.json()['id']}/default",
                                  json={"organization_id": other_org.id})).status_code == 404
