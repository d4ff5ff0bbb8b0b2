"""The customer portal's side of invoicing (issue #11): the organization's `portal` setting, and the internal
endpoints the portal asks while a customer waits — the portal context, the customer's own AutoPay (as PATCH
/v1/customers/{id} sets it, same event) and their drafts — each scoped to one organization (real Postgres +
broker)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from duely_contracts.events import CustomerUpdated
from duely_invoicing.models import SavedPaymentMethod
from duely_runtime.auth import INTERNAL_HEADER

from tests.invoicing.collection_helpers import method_envelope
from tests.invoicing.helpers import create_customer, create_draft
from tests.invoicing.pricing_helpers import assert_error

DEFAULT_PORTAL = {"show_drafts": False, "customer_autopay": True}


async def save_method(svc, publish, wait_for, organization_id: str, customer_id: str) -> str:
    """payment_method.attached as payments publishes it, waited for in invoicing's read model."""
    method_id = f"pm_{uuid.uuid4().hex[:12]}"
    await publish(method_envelope(organization_id, customer_id, method_id))

    async def known():
        return await svc.count(SavedPaymentMethod, SavedPaymentMethod.id == method_id)
    await wait_for(known, timeout=30)
    return method_id


def internal(svc) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=svc.url, headers={INTERNAL_HEADER: svc.settings.internal_secret}, timeout=30)


# --- the organization's setting ----------------------------------------------------------------------------------

async def test_portal_setting_defaults_set_whole_and_reset(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        body = (await client.get("/v1/settings/invoicing")).json()
        assert body["portal"] == DEFAULT_PORTAL and "portal" in body["defaults"]

        response = await client.patch("/v1/settings/invoicing", json={"portal": {"show_drafts": True}})
        assert response.status_code == 200, response.text
        # Whole: the field left out takes its default.
        assert response.json()["portal"] == {"show_drafts": True, "customer_autopay": True}
        assert "portal" not in response.json()["defaults"]
        response = await client.patch("/v1/settings/invoicing", json={"portal": {"customer_autopay": False}})
        assert response.json()["portal"] == {"show_drafts": False, "customer_autopay": False}
        assert (await client.get("/v1/settings/invoicing")).json()["portal"] == {"show_drafts": False,
                                                                                 "customer_autopay": False}

        response = await client.patch("/v1/settings/invoicing", json={"portal": None})
        assert response.json()["portal"] == DEFAULT_PORTAL and "portal" in response.json()["defaults"]


@pytest.mark.parametrize("patch,param", [
    ({"portal": {"show_drafts": "yes"}}, "portal.show_drafts"),
    ({"portal": {"customer_autopay": 1}}, "portal.customer_autopay"),
    ({"portal": {"show_drafts": True, "theme": "dark"}}, "portal.theme"),
    ({"portal": True}, "portal"),
])
async def test_bad_portal_settings_are_400_naming_the_field(svc, org, patch, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        assert_error(await client.patch("/v1/settings/invoicing", json=patch), 400, None, param)
        assert (await client.get("/v1/settings/invoicing")).json()["portal"] == DEFAULT_PORTAL  # nothing stored


# --- GET /internal/customers/{id}/portal_context -------------------------------------------------------------------

async def test_portal_context_brands_localizes_and_resolves_autopay(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client, internal(svc) as service:
        customer = await create_customer(client, "Anna Käufer")
        response = await service.get(f"/internal/customers/{customer['id']}/portal_context",
                                     params={"organization_id": organization_id})
        assert response.status_code == 200, response.text
        assert response.json() == {
            "customer": {"id": customer["id"], "name": "Anna Käufer", "email": "jane@example.com",
                         "locale": "en_US"},
            "organization": {"id": organization_id, "name": response.json()["organization"]["name"],
                             "logo_url": None, "accent_color": "#1F2937", "locale": "en_US"},
            "portal": DEFAULT_PORTAL,
            "autopay": {"enabled": False, "timing": "on_issue", "days_before_due": None, "payment_method_id": None},
            "autopay_source": "default",
            "accepted_payment_methods": ["card"]}

        assert (await client.patch("/v1/settings/invoicing", json={
            "company_name": "Acme GmbH", "accent_color": "#0055AA", "locale": "fr_FR",
            "accepted_payment_methods": ["card", "sepa_debit"], "portal": {"show_drafts": True},
            "autopay": {"enabled": True, "timing": "on_due_date"}})).status_code == 200
        assert (await client.patch(f"/v1/customers/{customer['id']}", json={"locale": "de_DE"})).status_code == 200
        body = (await service.get(f"/internal/customers/{customer['id']}/portal_context",
                                  params={"organization_id": organization_id})).json()
        assert body["customer"]["locale"] == "de_DE"
        assert body["organization"] == {"id": organization_id, "name": "Acme GmbH", "logo_url": None,
                                        "accent_color": "#0055AA", "locale": "fr_FR"}
        assert body["portal"] == {"show_drafts": True, "customer_autopay": True}
        assert (body["autopay"]["enabled"], body["autopay"]["timing"], body["autopay_source"]) == (
            True, "on_due_date", "organization")
        assert body["accepted_payment_methods"] == ["card", "sepa_debit"]


async def test_portal_endpoints_refuse_another_organizations_customer_and_strangers(svc, org):
    organization_id, api_key = org
    other_id, other_key = await svc.create_org(f"Other {uuid.uuid4().hex[:6]}")
    async with svc.client(api_key) as client, svc.client(other_key) as other, internal(svc) as service:
        customer = await create_customer(client)
        await create_draft(client, customer["id"])
        theirs = await create_customer(other)
        for path in ("portal_context", "draft_invoices"):
            # Another organization's customer, asked for under this organization (and the reverse): 404.
            assert_error(await service.get(f"/internal/customers/{theirs['id']}/{path}",
                                           params={"organization_id": organization_id}), 404, None, "id")
            assert_error(await service.get(f"/internal/customers/{customer['id']}/{path}",
                                           params={"organization_id": other_id}), 404, None, "id")
            assert_error(await service.get(f"/internal/customers/cus_nope/{path}",
                                           params={"organization_id": organization_id}), 404, None, "id")
            # Without the internal secret: refused.
            async with httpx.AsyncClient(base_url=svc.url) as stranger:
                response = await stranger.get(f"/internal/customers/{customer['id']}/{path}",
                                              params={"organization_id": organization_id})
                assert response.status_code == 403
        assert_error(await service.put(f"/internal/customers/{customer['id']}/autopay",
                                       json={"organization_id": other_id, "enabled": True}), 404, None, "id")
        # Nothing changed on the customer.
        assert (await client.get(f"/v1/customers/{customer['id']}")).json()["autopay"] is None


# --- PUT /internal/customers/{id}/autopay --------------------------------------------------------------------------

async def customer_updates(read_events, wait_for, customer_id: str, count: int) -> list[CustomerUpdated]:
    async def found():
        events = [e for e in await read_events("customer.updated", timeout=3) if e.aggregate_id == customer_id]
        return events if len(events) >= count else None
    return [CustomerUpdated.model_validate(e.data) for e in await wait_for(found, timeout=30)]


async def test_customer_sets_own_autopay_as_the_merchant_would(svc, org, publish, read_events, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client, internal(svc) as service:
        customer = await create_customer(client)
        method_id = await save_method(svc, publish, wait_for, organization_id, customer["id"])
        url = f"/internal/customers/{customer['id']}/autopay"

        response = await service.put(url, json={"organization_id": organization_id, "enabled": True,
                                                "timing": "days_before_due", "days_before_due": 3,
                                                "payment_method_id": method_id})
        assert response.status_code == 200, response.text
        expected = {"enabled": True, "timing": "days_before_due", "days_before_due": 3,
                    "payment_method_id": method_id}
        assert response.json() == {"autopay": expected, "autopay_source": "customer"}
        # The same as PATCH /v1/customers/{id} {"autopay": ...}: the customer's own setting, and customer.updated.
        stored = (await client.get(f"/v1/customers/{customer['id']}")).json()
        assert stored["autopay"] == expected and stored["version"] == 2
        [event] = await customer_updates(read_events, wait_for, customer["id"], 1)
        assert event.invoice_settings.autopay.model_dump() == expected
        context = (await service.get(f"/internal/customers/{customer['id']}/portal_context",
                                     params={"organization_id": organization_id})).json()
        assert (context["autopay"], context["autopay_source"]) == (expected, "customer")

        # Off again: the customer's own choice still decides (not the organization's).
        response = await service.put(url, json={"organization_id": organization_id, "enabled": False})
        assert response.json() == {"autopay": {"enabled": False, "timing": "on_issue", "days_before_due": None,
                                               "payment_method_id": None}, "autopay_source": "customer"}
        events = await customer_updates(read_events, wait_for, customer["id"], 2)
        assert events[-1].invoice_settings.autopay.enabled is False
        # The same again changes nothing and publishes nothing.
        assert (await service.put(url, json={"organization_id": organization_id, "enabled": False})
                ).status_code == 200
        assert (await client.get(f"/v1/customers/{customer['id']}")).json()["version"] == 3


@pytest.mark.parametrize("body,param", [
    ({"enabled": True, "timing": "days_before_due"}, "days_before_due"),
    ({"enabled": True, "timing": "on_issue", "days_before_due": 3}, "days_before_due"),
    ({"enabled": True, "timing": "weekly"}, "timing"),
    ({"enabled": "sometimes"}, "enabled"),
    ({"enabled": True, "payment_method_id": "pm_someone_elses"}, "payment_method_id"),
    ({"enabled": True, "colour": "red"}, "colour"),
])
async def test_bad_autopay_is_400_naming_the_field(svc, org, body, param):
    organization_id, api_key = org
    async with svc.client(api_key) as client, internal(svc) as service:
        customer = await create_customer(client)
        assert_error(await service.put(f"/internal/customers/{customer['id']}/autopay",
                                       json={"organization_id": organization_id, **body}), 400, None, param)
        assert (await client.get(f"/v1/customers/{customer['id']}")).json()["autopay"] is None


async def test_autopay_is_403_when_the_organization_manages_it(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client, internal(svc) as service:
        customer = await create_customer(client)
        assert (await client.patch("/v1/settings/invoicing",
                                   json={"portal": {"customer_autopay": False}})).status_code == 200
        response = await service.put(f"/internal/customers/{customer['id']}/autopay",
                                     json={"organization_id": organization_id, "enabled": True})
        assert_error(response, 403, "autopay_not_customer_managed", None)
        stored = (await client.get(f"/v1/customers/{customer['id']}")).json()
        assert stored["autopay"] is None and stored["version"] == 1


# --- GET /internal/customers/{id}/draft_invoices -------------------------------------------------------------------

async def test_draft_invoices_lists_only_this_customers_drafts(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client, internal(svc) as service:
        customer = await create_customer(client)
        neighbour = await create_customer(client, "Someone Else")
        url = f"/internal/customers/{customer['id']}/draft_invoices"
        assert (await service.get(url, params={"organization_id": organization_id})).json() == {"data": []}

        first = await create_draft(client, customer["id"], memo="first")
        second = await create_draft(client, customer["id"], memo="second")
        issued = await create_draft(client, customer["id"])
        assert (await client.post(f"/v1/invoices/{issued['id']}/approve")).status_code == 200
        await create_draft(client, neighbour["id"])

        response = await service.get(url, params={"organization_id": organization_id})
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert [d["id"] for d in data] == [second["id"], first["id"]]  # newest first
        assert {d["status"] for d in data} == {"draft"} and {d["number"] for d in data} == {None}
        assert data[0]["memo"] == "second" and data[0]["customer"]["id"] == customer["id"]
        assert data[0]["total"] == second["total"] and data[0]["lines"]
