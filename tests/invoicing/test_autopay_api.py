"""AutoPay settings through the API (issue #9): validation, the three levels and their sources, methods checked
against the saved-methods read model, and the plan fixed on the invoice at approval (real Postgres + broker)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from duely_contracts.events import InvoiceIssued
from duely_invoicing.models import SavedPaymentMethod

from tests.invoicing.collection_helpers import method_envelope
from tests.invoicing.helpers import create_customer, create_draft
from tests.invoicing.pricing_helpers import assert_error


def pm() -> str:
    return f"pm_{uuid.uuid4().hex[:12]}"


async def save_method(svc, publish, wait_for, organization_id, customer_id, **kw) -> str:
    """Publish payment_method.attached and wait until invoicing's read model has it."""
    method_id = kw.pop("method_id", None) or pm()
    await publish(method_envelope(organization_id, customer_id, method_id, **kw))

    async def known():
        return await svc.count(SavedPaymentMethod, SavedPaymentMethod.id == method_id,
                               SavedPaymentMethod.version == kw.get("version", 1))
    await wait_for(known, timeout=30)
    return method_id


async def issued_event(read_events, wait_for, invoice_id: str) -> InvoiceIssued:
    async def found():
        return [e for e in await read_events("invoice.issued", timeout=3) if e.aggregate_id == invoice_id]
    [envelope] = await wait_for(found, timeout=30)
    return InvoiceIssued.model_validate(envelope.data)


@pytest.mark.parametrize("patch,param", [
    ({"autopay": {"enabled": True, "timing": "days_before_due"}}, "autopay.days_before_due"),
    ({"autopay": {"enabled": True, "timing": "on_issue", "days_before_due": 3}}, "autopay.days_before_due"),
    ({"autopay": {"enabled": True, "timing": "days_before_due", "days_before_due": 61}}, "autopay.days_before_due"),
    ({"autopay": {"enabled": True, "timing": "days_before_due", "days_before_due": 0}}, "autopay.days_before_due"),
    ({"autopay": {"enabled": True, "timing": "days_before_due", "days_before_due": "3"}}, "autopay.days_before_due"),
    ({"autopay": {"enabled": True, "timing": "weekly"}}, "autopay.timing"),
    ({"autopay": {"enabled": True, "colour": "red"}}, "autopay.colour"),
    ({"autopay": {"enabled": True, "payment_method_id": "pm_card_visa"}}, "autopay.payment_method_id"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "+02:00"}, "timezone"),
    ({"sepa_prenotification_days": 0}, "sepa_prenotification_days"),
    ({"sepa_prenotification_days": 15}, "sepa_prenotification_days"),
])
async def test_bad_organization_settings_are_400_naming_the_field(svc, org, patch, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        assert_error(await client.patch("/v1/settings/invoicing", json=patch), 400, None, param)
        body = (await client.get("/v1/settings/invoicing")).json()
        assert body["autopay"]["enabled"] is False and body["timezone"] == "UTC"  # nothing was stored


async def test_organization_settings_set_read_and_reset(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        body = (await client.get("/v1/settings/invoicing")).json()
        assert body["autopay"] == {"enabled": False, "timing": "on_issue", "days_before_due": None,
                                   "payment_method_id": None}
        assert (body["timezone"], body["sepa_prenotification_days"]) == ("UTC", 14)
        assert {"autopay", "timezone", "sepa_prenotification_days"} <= set(body["defaults"])

        response = await client.patch("/v1/settings/invoicing", json={
            "autopay": {"enabled": True, "timing": "days_before_due", "days_before_due": 5},
            "timezone": "Pacific/Auckland", "sepa_prenotification_days": 7})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["autopay"] == {"enabled": True, "timing": "days_before_due", "days_before_due": 5,
                                   "payment_method_id": None}
        assert (body["timezone"], body["sepa_prenotification_days"]) == ("Pacific/Auckland", 7)
        assert not {"autopay", "timezone", "sepa_prenotification_days"} & set(body["defaults"])

        # PATCH: absent = unchanged; the AutoPay object is replaced whole; null = back to the default
        body = (await client.patch("/v1/settings/invoicing", json={"autopay": {"enabled": True}})).json()
        assert body["autopay"]["timing"] == "on_issue" and body["autopay"]["days_before_due"] is None
        assert body["timezone"] == "Pacific/Auckland"
        body = (await client.patch("/v1/settings/invoicing", json={"autopay": None, "timezone": None})).json()
        assert body["autopay"]["enabled"] is False and body["timezone"] == "UTC"
        assert body["sepa_prenotification_days"] == 7


async def test_three_levels_with_their_sources_and_methods_checked(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        alice = await create_customer(client, "Alice")
        bob = await create_customer(client, "Bob")
        alice_card = await save_method(svc, publish, wait_for, organization_id, alice["id"])
        bob_card = await save_method(svc, publish, wait_for, organization_id, bob["id"])

        def resolved(customer_id, subscription_id=None):
            params = {"customer_id": customer_id}
            if subscription_id:
                params["subscription_id"] = subscription_id
            return client.get("/v1/settings/invoicing/resolved", params=params)

        entry = (await resolved(alice["id"])).json()["settings"]["autopay"]
        assert entry == {"value": {"enabled": False, "timing": "on_issue", "days_before_due": None,
                                   "payment_method_id": None}, "source": "default"}

        org_autopay = {"enabled": True, "timing": "on_due_date", "days_before_due": None, "payment_method_id": None}
        assert (await client.patch("/v1/settings/invoicing", json={"autopay": org_autopay})).status_code == 200
        assert (await resolved(alice["id"])).json()["settings"]["autopay"] == {"value": org_autopay,
                                                                              "source": "organization"}

        # the customer's: a method of another customer, an unknown one: 400 naming the field
        for wrong in (bob_card, "pm_nope"):
            bad = await client.patch(f"/v1/customers/{alice['id']}",
                                     json={"autopay": {"enabled": True, "payment_method_id": wrong}})
            assert_error(bad, 400, None, "autopay.payment_method_id")
        customer_autopay = {"enabled": True, "timing": "days_before_due", "days_before_due": 3,
                            "payment_method_id": alice_card}
        response = await client.patch(f"/v1/customers/{alice['id']}", json={
            "autopay": customer_autopay, "accepted_payment_methods": ["card", "sepa_debit"]})
        assert response.status_code == 200, response.text
        assert response.json()["autopay"] == customer_autopay
        assert response.json()["accepted_payment_methods"] == ["card", "sepa_debit"]
        settings = (await resolved(alice["id"])).json()["settings"]
        assert settings["autopay"] == {"value": customer_autopay, "source": "customer"}
        assert settings["accepted_payment_methods"] == {"value": ["card", "sepa_debit"], "source": "customer"}
        assert (await resolved(bob["id"])).json()["settings"]["autopay"]["source"] == "organization"

        # the subscription's beats the customer's; its method must be its customer's
        bad = await client.post("/v1/subscriptions", json={"customer_id": alice["id"], "settings": {
            "autopay": {"enabled": True, "payment_method_id": bob_card}}})
        assert_error(bad, 400, None, "settings.autopay.payment_method_id")
        alice_sepa = await save_method(svc, publish, wait_for, organization_id, alice["id"], type="sepa_debit",
                                       is_default=False, last4="3000")
        sub_autopay = {"enabled": True, "timing": "on_issue", "days_before_due": None,
                       "payment_method_id": alice_sepa}
        response = await client.post("/v1/subscriptions", json={"customer_id": alice["id"],
                                                                "settings": {"autopay": sub_autopay}})
        assert response.status_code == 201, response.text
        subscription = response.json()
        assert subscription["settings"]["autopay"] == sub_autopay
        entry = (await resolved(alice["id"], subscription["id"])).json()["settings"]["autopay"]
        assert entry == {"value": sub_autopay, "source": "subscription"}
        bad = await client.patch(f"/v1/subscriptions/{subscription['id']}", json={"settings": {
            "autopay": {"enabled": True, "timing": "days_before_due"}}})
        assert_error(bad, 400, None, "settings.autopay.days_before_due")

        # null = inherit again
        response = await client.patch(f"/v1/subscriptions/{subscription['id']}", json={"settings": {"autopay": None}})
        assert response.status_code == 200 and response.json()["settings"]["autopay"] is None
        entry = (await resolved(alice["id"], subscription["id"])).json()["settings"]["autopay"]
        assert entry["source"] == "customer"

        # a detached method can no longer be named
        await publish(method_envelope(organization_id, alice["id"], alice_sepa, version=2,
                                      event_type="payment_method.detached", type="sepa_debit", is_default=False))

        async def detached():
            return await svc.count(SavedPaymentMethod, SavedPaymentMethod.id == alice_sepa,
                                   SavedPaymentMethod.status == "detached")
        await wait_for(detached, timeout=30)
        bad = await client.patch(f"/v1/customers/{alice['id']}", json={"autopay": {
            "enabled": True, "payment_method_id": alice_sepa}})
        assert_error(bad, 400, None, "autopay.payment_method_id")

    # another organization's customer: no methods of this one, and its ids are 404
    other_id, other_key = await svc.create_org("Other")
    async with svc.client(other_key) as client:
        assert (await client.get("/v1/settings/invoicing/resolved",
                                 params={"customer_id": alice["id"]})).status_code == 404


async def test_approval_fixes_the_plan_in_the_organizations_timezone(svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        await client.patch("/v1/settings/invoicing", json={
            "timezone": "America/Los_Angeles", "accepted_payment_methods": ["card", "wire_transfer"],
            "bank_details": {"iban": "DE89370400440532013000"},
            "autopay": {"enabled": True, "timing": "days_before_due", "days_before_due": 3}})
        customer = await create_customer(client)
        card = await save_method(svc, publish, wait_for, organization_id, customer["id"])
        draft = await create_draft(client, customer["id"])
        approved = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()

        due = date.fromisoformat(approved["due_date"])
        issued_at = datetime.fromisoformat(approved["issued_at"].replace("Z", "+00:00"))
        local_issue_day = issued_at.astimezone(ZoneInfo("America/Los_Angeles")).date()
        plan = approved["autopay"]
        assert plan["enabled"] is True and plan["timing"] == "days_before_due" and plan["days_before_due"] == 3
        assert plan["charge_date"] == max(due - timedelta(days=3), local_issue_day).isoformat()
        assert (plan["timezone"], plan["source"], plan["prenotified"]) == ("America/Los_Angeles", "organization",
                                                                          False)
        assert plan["payment_method"]["id"] == card and plan["payment_method_source"] == "customer_default"
        assert approved["accepted_payment_methods"] == ["card", "wire_transfer"]

        event = await issued_event(read_events, wait_for, draft["id"])
        assert event.invoice.autopay.model_dump(mode="json") == plan
        assert event.invoice.accepted_payment_methods == ["card", "wire_transfer"]
        assert event.invoice.credit_applied == 0
        # the invoice's own settings show where AutoPay came from
        settings = (await client.get(f"/v1/invoices/{draft['id']}/settings")).json()["settings"]
        assert settings["autopay"]["source"] == "organization"
        assert settings["timezone"] == {"value": "America/Los_Angeles", "source": "organization"}

        # the plan is fixed: a later settings change does not touch the issued invoice
        await client.patch("/v1/settings/invoicing", json={"autopay": None})
        assert (await client.get(f"/v1/invoices/{draft['id']}")).json()["autopay"] == plan
        # ...and AutoPay disabled: no plan on the next invoice
        later = await create_draft(client, customer["id"])
        assert (await client.post(f"/v1/invoices/{later['id']}/approve")).json()["autopay"] is None


async def test_auckland_on_issue_the_subscription_method_and_the_sepa_shift(svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        await client.patch("/v1/settings/invoicing", json={
            "timezone": "Pacific/Auckland", "sepa_prenotification_days": 5,
            "autopay": {"enabled": True, "timing": "on_issue"}})
        customer = await create_customer(client)
        await client.patch(f"/v1/customers/{customer['id']}", json={"accepted_payment_methods": ["sepa_debit"]})
        card = await save_method(svc, publish, wait_for, organization_id, customer["id"])
        iban = await save_method(svc, publish, wait_for, organization_id, customer["id"], type="sepa_debit",
                                 is_default=False, last4="3000")
        subscription = (await client.post("/v1/subscriptions", json={"customer_id": customer["id"], "settings": {
            "autopay": {"enabled": True, "timing": "on_issue", "payment_method_id": iban}}})).json()

        # under the subscription: its SEPA method, charged no earlier than issue day + 5 (the email is the notice)
        draft = await create_draft(client, customer["id"], subscription_id=subscription["id"])
        approved = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
        issued_at = datetime.fromisoformat(approved["issued_at"].replace("Z", "+00:00"))
        auckland_day = issued_at.astimezone(ZoneInfo("Pacific/Auckland")).date()
        plan = (await issued_event(read_events, wait_for, draft["id"])).invoice.autopay
        assert (plan.source, plan.payment_method_source, plan.payment_method.id) == ("subscription", "subscription",
                                                                                     iban)
        assert plan.payment_method.type == "sepa_debit" and plan.payment_method.mandate_reference
        assert plan.prenotified is True and plan.charge_date == auckland_day + timedelta(days=5)
        assert approved["accepted_payment_methods"] == ["sepa_debit"]

        # without the subscription: the organization's AutoPay, the customer's default card, the Auckland day
        draft = await create_draft(client, customer["id"])
        approved = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
        issued_at = datetime.fromisoformat(approved["issued_at"].replace("Z", "+00:00"))
        plan = approved["autopay"]
        assert plan["charge_date"] == issued_at.astimezone(ZoneInfo("Pacific/Auckland")).date().isoformat()
        assert (plan["source"], plan["payment_method"]["id"], plan["prenotified"]) == ("organization", card, False)

        # a customer with no saved method: AutoPay planned, no method (payments reports no_payment_method)
        bare = await create_customer(client, "No Card Ltd")
        draft = await create_draft(client, bare["id"])
        plan = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()["autopay"]
        assert plan["enabled"] is True and plan["payment_method"] is None and plan["payment_method_source"] is None
