"""Invoice settings on Postgres: organization settings, customer overrides, subscriptions, and an invoice
that resolves its settings through subscription → customer → organization."""

from __future__ import annotations

from datetime import date, timedelta

from duely_runtime.auth import INTERNAL_HEADER

from tests.invoicing.helpers import create_customer, invoice_body

LINES = [{"description": "Support plan", "quantity": 1, "unit_amount": 50000}]


async def test_organization_settings_defaults_then_patch_and_reset(svc, org, logo_server):
    _, api_key = org
    async with svc.client(api_key) as client:
        first = (await client.get("/v1/settings/invoicing")).json()
        org_name = (await client.get("/v1/settings/invoicing")).json()["company_name"]
        assert first["object"] == "invoice_settings" and org_name.startswith("Org ")
        assert first["number_format"] == "{PREFIX}-{YYYY}-{NNNNN}" and first["invoice_prefix"] == "INV"
        assert first["next_number_example"] == f"INV-{date.today().year}-00001"
        assert first["payment_terms"] == "net_30" and first["currency"] is None and first["locale"] == "en_US"
        assert first["attach_pdf"] is True and first["cc_finance_contacts"] is True
        assert first["accepted_payment_methods"] == ["card"] and first["number_reset"] == "never"
        assert "company_name" in first["defaults"] and first["version"] == 1
        assert first["email_from_name"] is None and first["email_reply_to"] is None

        patch = {
            "company_name": "Acme Trading GmbH",
            "address": {"lines": ["Hauptstraße 1"], "city": "Berlin", "postal_code": "10115", "country": "de"},
            "tax_id": "DE123456789", "logo_url": f"{logo_server.url}/acme.png", "accent_color": "#0a7cff",
            "footer": "Acme Trading GmbH · Amtsgericht Berlin HRB 1234", "invoice_prefix": "ACME",
            "number_format": "{PREFIX}-{YY}{MM}-{NNN}", "payment_terms": "net_14", "currency": "EUR",
            "locale": "de-DE", "attach_pdf": False, "extra_cc_emails": ["books@acme.example"],
            "accepted_payment_methods": ["card", "sepa_debit", "wire_transfer"],
            "bank_details": {"account_name": "Acme Trading GmbH", "iban": "DE89 3704 0044 0532 0130 00",
                             "bic": "cobadeffxxx", "bank_name": "Commerzbank"},
            "default_memo": "Thank you!", "email_from_name": "  Acme Billing ",
            "email_reply_to": "billing@acme.example",
        }
        response = await client.patch("/v1/settings/invoicing", json=patch)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["accent_color"] == "#0A7CFF" and body["locale"] == "de_DE" and body["currency"] == "eur"
        assert body["address"]["country"] == "DE" and body["bank_details"]["iban"] == "DE89370400440532013000"
        assert body["bank_details"]["bic"] == "COBADEFFXXX"
        assert body["email_from_name"] == "Acme Billing" and body["email_reply_to"] == "billing@acme.example"
        today = date.today()
        assert body["next_number_example"] == f"ACME-{today:%y%m}-001"
        assert body["version"] == 2 and sorted(body["defaults"]) == [  # and issues #9's-#11's, not set here
            "autopay", "cc_finance_contacts", "late_fee", "number_reset", "portal", "reminders",
            "sepa_prenotification_days", "timezone"]
        assert (await client.get("/v1/settings/invoicing")).json() == body

        # Partial: only what is sent changes; null resets to the built-in default.
        again = (await client.patch("/v1/settings/invoicing", json={"footer": None, "locale": "fr"})).json()
        assert again["footer"] is None and again["locale"] == "fr" and again["company_name"] == "Acme Trading GmbH"
        reset = (await client.patch("/v1/settings/invoicing", json={"company_name": None})).json()
        assert reset["company_name"] == org_name and "company_name" in reset["defaults"]
        unset = (await client.patch("/v1/settings/invoicing", json={"email_reply_to": None})).json()
        assert unset["email_reply_to"] is None and "email_reply_to" in unset["defaults"]
        assert unset["email_from_name"] == "Acme Billing"


async def test_customer_overrides_round_trip_and_customer_updated_event(svc, org, read_events):
    _, api_key = org
    async with svc.client(api_key) as client:
        created = await client.post("/v1/customers", json={
            "name": "Buyer SARL", "email": "buyer@example.com", "payment_terms": "net_15", "locale": "fr_FR",
            "billing_address": {"lines": ["1 rue de la Paix"], "city": "Paris", "postal_code": "75002",
                                "country": "FR"},
            "tax_id": "FR40303265045", "billing_contact": {"name": "Comptabilité", "email": "ap@buyer.example"}})
        assert created.status_code == 201, created.text
        customer = created.json()
        assert customer["payment_terms"] == "net_15" and customer["currency"] is None
        assert customer["billing_address"]["city"] == "Paris" and customer["version"] == 1

        patched = await client.patch(f"/v1/customers/{customer['id']}", json={
            "currency": "eur", "attach_pdf": False, "tax_exempt": True, "payment_terms": None,
            "finance_contacts": [{"name": "CFO", "email": "cfo@buyer.example"}], "cc_emails": ["ops@buyer.example"]})
        assert patched.status_code == 200, patched.text
        body = patched.json()
        assert body["payment_terms"] is None and body["currency"] == "eur" and body["attach_pdf"] is False
        assert body["tax_exempt"] is True and body["locale"] == "fr_FR" and body["version"] == 2
        assert body["finance_contacts"] == [{"name": "CFO", "email": "cfo@buyer.example"}]
        assert (await client.get(f"/v1/customers/{customer['id']}")).json() == body
        # Nothing changed: no new version.
        same = (await client.patch(f"/v1/customers/{customer['id']}", json={"currency": "EUR"})).json()
        assert same["version"] == 2

    events = [e for e in await read_events("customer.updated") if e.aggregate_id == customer["id"]]
    assert [e.aggregate_version for e in events] == [2]
    data = events[0].data
    assert data["invoice_settings"]["currency"] == "eur" and data["tax_exempt"] is True
    assert data["billing_address"]["country"] == "FR" and data["cc_emails"] == ["ops@buyer.example"]


async def test_subscription_status_machine_and_settings(svc, org, read_events):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        other = await create_customer(client, "Other")
        response = await client.post("/v1/subscriptions", json={
            "customer_id": customer["id"], "description": "Gold support",
            "settings": {"payment_terms": "net_7", "cc_emails": ["team@buyer.example"], "currency": "gbp"}})
        assert response.status_code == 201, response.text
        sub = response.json()
        assert sub["id"].startswith("sub_") and sub["status"] == "active" and sub["object"] == "subscription"
        assert sub["settings"] == {"payment_terms": "net_7", "currency": "gbp", "locale": None, "attach_pdf": None,
                                   "memo": None, "cc_emails": ["team@buyer.example"],
                                   "autopay": None,  # issue #9: null = inherit
                                   "reminders": None, "dunning_schedule_id": None}  # issue #10: null = inherit
        await client.post("/v1/subscriptions", json={"customer_id": other["id"]})

        listed = (await client.get("/v1/subscriptions", params={"customer_id": customer["id"]})).json()
        assert [s["id"] for s in listed["data"]] == [sub["id"]] and listed["has_more"] is False
        assert len((await client.get("/v1/subscriptions")).json()["data"]) == 2
        assert (await client.get(f"/v1/subscriptions/{sub['id']}")).json() == sub

        steps = [({"status": "paused"}, 200, "paused"), ({"status": "paused"}, 200, "paused"),
                 ({"status": "active", "settings": {"currency": None, "locale": "de"}}, 200, "active"),
                 ({"status": "canceled"}, 200, "canceled")]
        for body, code, expected in steps:
            response = await client.patch(f"/v1/subscriptions/{sub['id']}", json=body)
            assert response.status_code == code, response.text
            assert response.json()["status"] == expected
        final = response.json()
        assert final["canceled_at"] is not None and final["version"] == 4
        assert final["settings"]["currency"] is None and final["settings"]["locale"] == "de"
        assert final["settings"]["payment_terms"] == "net_7"  # absent = unchanged

        for body in ({"status": "active"}, {"status": "paused"}, {"settings": {"memo": "x"}}):
            refused = await client.patch(f"/v1/subscriptions/{sub['id']}", json=body)
            assert refused.status_code == 409 and refused.json()["error"]["code"] == "subscription_canceled"
        assert (await client.get(f"/v1/subscriptions/{sub['id']}")).json() == final

    events = [e for e in await read_events("subscription.updated") if e.aggregate_id == sub["id"]]
    assert [(e.aggregate_version, e.data["status"], e.data["previous_status"]) for e in events] == [
        (2, "paused", "active"), (3, "active", "paused"), (4, "canceled", "active")]
    created = [e for e in await read_events("subscription.created") if e.aggregate_id == sub["id"]]
    assert created[0].data["invoice_settings"]["payment_terms"] == "net_7"


async def test_invoice_resolves_subscription_customer_organization(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        await client.patch("/v1/settings/invoicing", json={
            "company_name": "Acme Trading GmbH", "currency": "eur", "locale": "de_DE", "payment_terms": "net_45",
            "default_memo": "Danke!", "extra_cc_emails": ["books@acme.example"], "tax_id": "DE123456789",
            "accepted_payment_methods": ["card", "wire_transfer"], "accent_color": "#112233",
            "bank_details": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
            "email_from_name": "Acme Billing", "email_reply_to": "billing@acme.example"})
        customer = (await client.post("/v1/customers", json={
            "name": "Buyer SARL", "email": "buyer@example.com", "cc_emails": ["ops@buyer.example"],
            "payment_terms": "net_15", "locale": "fr_FR", "attach_pdf": False, "tax_id": "FR40303265045",
            "billing_address": {"lines": ["1 rue de la Paix"], "city": "Paris", "country": "FR"},
            "finance_contacts": [{"name": "CFO", "email": "cfo@buyer.example"}]})).json()
        sub = (await client.post("/v1/subscriptions", json={
            "customer_id": customer["id"],
            "settings": {"payment_terms": "net_7", "cc_emails": ["team@buyer.example", "OPS@buyer.example"]}})).json()

        preview = (await client.get("/v1/settings/invoicing/resolved",
                                    params={"customer_id": customer["id"], "subscription_id": sub["id"]})).json()
        response = await client.post("/v1/invoices", json={"customer_id": customer["id"],
                                                           "subscription_id": sub["id"], "lines": LINES})
        assert response.status_code == 201, response.text
        invoice = response.json()
        assert (invoice["payment_terms"], invoice["currency"], invoice["memo"]) == ("net_7", "eur", "Danke!")
        assert invoice["locale"] == "fr_FR" and invoice["attach_pdf"] is False
        assert invoice["subscription_id"] == sub["id"]
        expected_cc = ["team@buyer.example", "OPS@buyer.example", "cfo@buyer.example", "books@acme.example"]
        assert invoice["cc_emails"] == expected_cc

        shown = (await client.get(f"/v1/invoices/{invoice['id']}/settings")).json()
        sources = {name: (s["value"], s["source"]) for name, s in shown["settings"].items()}
        assert sources["payment_terms"] == ("net_7", "subscription")
        assert sources["currency"] == ("eur", "organization")
        assert sources["locale"] == ("fr_FR", "customer")
        assert sources["attach_pdf"] == (False, "customer")
        assert sources["memo"] == ("Danke!", "organization")
        assert sources["company_name"] == ("Acme Trading GmbH", "organization")
        assert sources["logo_url"] == (None, "default")
        assert sources["email_from_name"] == ("Acme Billing", "organization")
        assert sources["email_reply_to"] == ("billing@acme.example", "organization")
        assert sources["cc_emails"] == (expected_cc, "subscription")
        assert [(c["email"], c["source"], c["reason"]) for c in shown["cc"]] == [
            ("team@buyer.example", "subscription", "cc"), ("OPS@buyer.example", "subscription", "cc"),
            ("cfo@buyer.example", "customer", "finance_contact"), ("books@acme.example", "organization", "extra_cc")]
        assert shown["settings"] == preview["settings"]  # the preview said so before the invoice existed

        # Explicit values on the invoice win over every level; memo null means "no memo".
        explicit = (await client.post("/v1/invoices", json={
            "customer_id": customer["id"], "subscription_id": sub["id"], "lines": LINES, "currency": "usd",
            "payment_terms": "due_on_receipt", "memo": None})).json()
        assert (explicit["payment_terms"], explicit["currency"], explicit["memo"]) == ("due_on_receipt", "usd", None)
        explicit_shown = (await client.get(f"/v1/invoices/{explicit['id']}/settings")).json()["settings"]
        assert explicit_shown["currency"]["source"] == "invoice" and explicit_shown["memo"]["source"] == "invoice"

        approved = await client.post(f"/v1/invoices/{invoice['id']}/approve")
        assert approved.status_code == 200, approved.text
        issued_on = date.fromisoformat(approved.json()["issued_at"][:10])
        assert approved.json()["due_date"] == str(issued_on + timedelta(days=7))  # the subscription's net_7
        snapshot = (await client.get(f"/internal/invoices/{invoice['id']}", params={
            "organization_id": organization_id}, headers={INTERNAL_HEADER: svc.settings.internal_secret})).json()
    assert snapshot["locale"] == "fr_FR" and snapshot["attach_pdf"] is False
    assert snapshot["subscription_id"] == sub["id"]
    assert snapshot["customer"]["cc_emails"] == expected_cc
    assert snapshot["customer"]["tax_id"] == "FR40303265045"
    assert snapshot["customer"]["billing_address"]["city"] == "Paris"
    issuer = snapshot["issuer"]
    assert issuer["company_name"] == "Acme Trading GmbH" and issuer["tax_id"] == "DE123456789"
    assert issuer["accent_color"] == "#112233" and issuer["accepted_payment_methods"] == ["card", "wire_transfer"]
    assert issuer["bank_details"]["iban"] == "DE89370400440532013000"
    assert issuer["email_from_name"] == "Acme Billing" and issuer["email_reply_to"] == "billing@acme.example"


async def test_currency_is_required_only_when_nothing_resolves_one(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        body = invoice_body(customer["id"])
        del body["currency"]
        missing = await client.post("/v1/invoices", json=body)
        assert missing.status_code == 400
        assert missing.json()["error"]["param"] == "currency"
        assert missing.json()["error"]["code"] == "parameter_missing"
        assert (await client.get("/v1/invoices")).json()["data"] == []
        await client.patch(f"/v1/customers/{customer['id']}", json={"currency": "jpy"})
        created = await client.post("/v1/invoices", json=body)
        assert created.status_code == 201 and created.json()["currency"] == "jpy"


async def test_a_draft_edit_shows_as_the_invoice_own_value(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        await client.patch("/v1/settings/invoicing", json={"currency": "eur", "payment_terms": "net_10"})
        customer = await create_customer(client)
        draft = (await client.post("/v1/invoices", json={"customer_id": customer["id"], "lines": LINES})).json()
        before = (await client.get(f"/v1/invoices/{draft['id']}/settings")).json()["settings"]
        assert before["currency"] == {"value": "eur", "source": "organization"}
        edited = await client.patch(f"/v1/invoices/{draft['id']}", json={"currency": "chf"})
        assert edited.status_code == 200, edited.text
        after = (await client.get(f"/v1/invoices/{draft['id']}/settings")).json()["settings"]
        assert after["currency"] == {"value": "chf", "source": "invoice"}
        assert after["payment_terms"] == {"value": "net_10", "source": "organization"}
        assert (await client.post(f"/v1/invoices/{draft['id']}/approve")).status_code == 200
        issued = (await client.get(f"/v1/invoices/{draft['id']}/settings")).json()["settings"]
        assert issued["currency"] == {"value": "chf", "source": "invoice"}
        assert issued["payment_terms"] == {"value": "net_10", "source": "organization"}
