"""Bad settings input: each a 4xx naming the field, and nothing written."""

from __future__ import annotations

import pytest

from duely_invoicing.models import Customer, Invoice, InvoiceSettings, Subscription

from tests.invoicing.helpers import create_customer, invoice_body


@pytest.mark.parametrize("patch,param", [
    ({"accent_color": "blue"}, "accent_color"),
    ({"accent_color": "#12345"}, "accent_color"),
    ({"locale": "xx_YY"}, "locale"),
    ({"locale": "english please"}, "locale"),
    ({"currency": "ZZZ"}, "currency"),
    ({"payment_terms": "net_-3"}, "payment_terms"),
    ({"payment_terms": "net_400"}, "payment_terms"),
    ({"extra_cc_emails": ["not-an-email"]}, "extra_cc_emails[0]"),
    ({"invoice_prefix": "IN V"}, "invoice_prefix"),
    ({"number_format": "{PREFIX}-{DD}-{NNN}"}, "number_format"),
    ({"number_format": "{PREFIX}-{YYYY}"}, "number_format"),
    ({"number_reset": "monthly"}, "number_reset"),
    ({"number_reset": "yearly", "number_format": "{PREFIX}-{NNN}"}, "number_format"),
    ({"accepted_payment_methods": ["card", "bitcoin"]}, "accepted_payment_methods[1]"),
    ({"accepted_payment_methods": []}, "accepted_payment_methods"),
    ({"bank_details": {"iban": "DE00370400440532013000"}}, "bank_details.iban"),
    ({"bank_details": {"bank_name": "No account"}}, "bank_details"),
    ({"bank_details": {"iban": "DE89370400440532013000", "bic": "NOPE"}}, "bank_details.bic"),
    ({"address": {"country": "Narnia"}}, "address.country"),
    ({"logo_url": "javascript:alert(1)"}, "logo_url"),
    ({"company_name": ""}, "company_name"),
    ({"unknown_setting": 1}, "unknown_setting"),
    ({"footer": "nul\u0000byte"}, "footer"),
    ({"address": {"lines": ["ok", "nul\u0000"]}}, "address.lines"),
    ({"locale": "root"}, "locale"),
    ({"email_reply_to": "not-an-address"}, "email_reply_to"),
    ({"email_reply_to": "billing@acme.example\r\nBcc: all@victim.example"}, "email_reply_to"),
    ({"email_from_name": "Acme\r\nBcc: all@victim.example"}, "email_from_name"),
    ({"email_from_name": "   "}, "email_from_name"),
    ({"email_from_name": "x" * 101}, "email_from_name"),
])
async def test_bad_organization_settings(svc, org, patch, param):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        before = (await client.get("/v1/settings/invoicing")).json()
        response = await client.patch("/v1/settings/invoicing", json=patch)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"] == param, response.json()
        assert (await client.get("/v1/settings/invoicing")).json() == before


async def test_yearly_reset_alone_is_refused_while_the_format_has_no_year(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        await client.patch("/v1/settings/invoicing", json={"number_format": "{PREFIX}-{NNNN}"})
        response = await client.patch("/v1/settings/invoicing", json={"number_reset": "yearly"})
        assert response.status_code == 400 and response.json()["error"]["param"] == "number_reset"
        assert (await client.get("/v1/settings/invoicing")).json()["number_reset"] == "never"


@pytest.mark.parametrize("patch,param", [
    ({"payment_terms": "net_-3"}, "payment_terms"),
    ({"currency": "dollars"}, "currency"),
    ({"locale": "zz"}, "locale"),
    ({"email": "nobody"}, "email"),
    ({"email": None}, "email"),
    ({"name": None}, "name"),
    ({"cc_emails": ["ok@example.com", "bad@"]}, "cc_emails[1]"),
    ({"billing_contact": {"name": "No email"}}, "billing_contact.email"),
    ({"finance_contacts": [{"email": "x"}]}, "finance_contacts[0].email"),
    ({"billing_address": {"lines": ["a", "b", "c", "d", "e"]}}, "billing_address.lines"),
    ({"tax_exempt": "maybe"}, "tax_exempt"),
])
async def test_bad_customer_updates(svc, org, patch, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        response = await client.patch(f"/v1/customers/{customer['id']}", json=patch)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["param"] == param, error
        assert (await client.get(f"/v1/customers/{customer['id']}")).json() == customer
        created = await client.post("/v1/customers", json={"name": "N", "email": "n@example.com", **patch})
        assert created.status_code == 400


async def test_foreign_and_unknown_ids(svc, org):
    organization_id, api_key = org
    _, other_key = await svc.create_org("Someone else")
    async with svc.client(other_key) as other:
        foreign_customer = await create_customer(other)
        foreign_sub = (await other.post("/v1/subscriptions", json={"customer_id": foreign_customer["id"]})).json()
    async with svc.client(api_key) as client:
        mine = await create_customer(client)
        my_other = await create_customer(client, "Second")
        my_sub = (await client.post("/v1/subscriptions", json={"customer_id": my_other["id"]})).json()

        checks = [
            (await client.patch(f"/v1/customers/{foreign_customer['id']}", json={"currency": "eur"}), 404, "id"),
            (await client.get(f"/v1/subscriptions/{foreign_sub['id']}"), 404, "id"),
            (await client.patch(f"/v1/subscriptions/{foreign_sub['id']}", json={"status": "paused"}), 404, "id"),
            (await client.post("/v1/subscriptions", json={"customer_id": foreign_customer["id"]}), 400,
             "customer_id"),
            (await client.post("/v1/subscriptions", json={"customer_id": mine["id"],
                                                          "settings": {"locale": "qq"}}), 400, "settings.locale"),
            (await client.patch(f"/v1/subscriptions/{my_sub['id']}", json={"status": "stopped"}), 400, "status"),
            (await client.post("/v1/invoices", json=invoice_body(mine["id"], subscription_id=foreign_sub["id"])),
             400, "subscription_id"),
            (await client.post("/v1/invoices", json=invoice_body(mine["id"], subscription_id=my_sub["id"])),
             400, "subscription_id"),  # a subscription of another customer
            (await client.get("/v1/settings/invoicing/resolved", params={"customer_id": foreign_customer["id"]}),
             404, "customer_id"),
            (await client.get("/v1/settings/invoicing/resolved", params={
                "customer_id": mine["id"], "subscription_id": foreign_sub["id"]}), 404, "subscription_id"),
            (await client.get("/v1/invoices/in_nope/settings"), 404, "id"),
        ]
        for response, code, param in checks:
            assert response.status_code == code, response.text
            assert response.json()["error"]["param"] == param, response.json()
        assert (await client.get(f"/v1/customers/{foreign_customer['id']}")).status_code == 404
    assert await svc.count(Subscription, Subscription.organization_id == organization_id) == 1
    assert await svc.count(Invoice, Invoice.organization_id == organization_id) == 0
    assert await svc.count(Customer, Customer.id == foreign_customer["id"], Customer.currency.is_not(None)) == 0
    assert await svc.count(InvoiceSettings, InvoiceSettings.organization_id == organization_id) == 0
